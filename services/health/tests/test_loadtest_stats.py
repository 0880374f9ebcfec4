"""The load test's statistics: percentiles, histogram, throughput and the timeline, with a
clock the test moves (no sleeping, no real time)."""

from __future__ import annotations

import statistics

import pytest

from registry_health.loadtest.stats import EDGES_MS, RunStats, histogram, percentile
from services.health.tests.helpers import Clock


def test_percentiles_interpolate_between_the_nearest_ranks() -> None:
    values = [10.0, 20.0, 30.0, 40.0]
    assert percentile(values, 0) == 10.0
    assert percentile(values, 100) == 40.0
    assert percentile(values, 50) == 25.0  # the median of an even count
    assert percentile(values, 90) == pytest.approx(37.0)
    assert percentile([5.0], 99) == 5.0
    assert percentile([], 50) is None
    many = [float(v) for v in range(1, 1001)]
    # The same definition as the standard library's inclusive quantiles.
    assert percentile(many, 99) == pytest.approx(
        statistics.quantiles(many, n=100, method="inclusive")[98]
    )
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile(values, 101)


def test_histogram_counts_every_latency_in_the_r10_bucket_holding_it() -> None:
    # 1.0 ms starts the bucket [1, 1.25); 1.3 lies in [1.25, 1.6); 2.0 starts [2, 2.5).
    buckets = histogram(sorted([1.0, 1.1, 1.3, 2.0]))
    assert buckets == [
        {"low_ms": 1.0, "high_ms": 1.25, "count": 2},
        {"low_ms": 1.25, "high_ms": 1.6, "count": 1},
        {"low_ms": 1.6, "high_ms": 2.0, "count": 0},  # gaps inside the span stay, as zeros
        {"low_ms": 2.0, "high_ms": 2.5, "count": 1},
    ]
    assert histogram([]) == []
    below, above = histogram([0.01]), histogram([5_000_000.0])
    assert below == [{"low_ms": 0.0, "high_ms": 0.1, "count": 1}]
    assert above == [{"low_ms": EDGES_MS[-1], "high_ms": None, "count": 1}]
    assert len(EDGES_MS) == 71
    assert EDGES_MS[0] == 0.1
    assert EDGES_MS[10] == 1.0


def test_a_run_summarises_correct_downloads_errors_and_throughput() -> None:
    clock = Clock(100.0)
    stats = RunStats(clock)
    stats.start()
    clock.advance(0.5)
    stats.record(0.010, 1_000_000)  # 10 ms, correct
    stats.record(0.030, 1_000_000)
    clock.advance(1.0)  # second 1
    stats.record(0.020, 1_000_000)
    stats.record(0.005, 200, "HTTP 404")
    stats.record(0.004, 500_000, "wrong size")
    stats.record(0.004, 0, "HTTP 404")
    stats.partial_bytes(300_000)  # cut off by the end of the run
    clock.advance(0.5)
    stats.stop()
    clock.advance(60)  # time after the stop does not count

    summary = stats.summary()
    assert summary["elapsed_seconds"] == 2.0
    assert summary["downloads"] == 3
    assert summary["errors"] == 3
    assert summary["error_kinds"] == {"HTTP 404": 2, "wrong size": 1}
    assert summary["bytes_received"] == 3_800_200
    assert summary["downloads_per_second"] == 1.5
    assert summary["megabytes_per_second"] == pytest.approx(1.9)
    latency = summary["latency_ms"]
    assert latency["mean"] == pytest.approx(20.0)
    assert latency["p50"] == pytest.approx(20.0)
    assert latency["min"] == pytest.approx(10.0)
    assert latency["max"] == pytest.approx(30.0)
    assert latency["p99"] == pytest.approx(29.8)

    assert stats.timeline() == [
        {
            "second": 0,
            "downloads": 2,
            "errors": 0,
            "megabytes": 2.0,
            "p50_ms": 20.0,
            "p99_ms": 29.8,
        },
        {
            "second": 1,
            "downloads": 1,
            "errors": 3,
            "megabytes": 1.8,
            "p50_ms": 20.0,
            "p99_ms": 20.0,
        },
    ]
    assert sum(bucket["count"] for bucket in stats.histogram()) == 3


def test_latencies_arriving_between_snapshots_merge_in_order() -> None:
    clock = Clock()
    stats = RunStats(clock)
    stats.start()
    for value in (0.05, 0.01, 0.03):
        stats.record(value, 1)
    assert stats.latencies_ms() == pytest.approx([10.0, 30.0, 50.0])
    for value in (0.02, 0.04):
        stats.record(value, 1)
    assert stats.latencies_ms() == pytest.approx([10.0, 20.0, 30.0, 40.0, 50.0])
    assert stats.summary()["latency_ms"]["p50"] == pytest.approx(30.0)


def test_an_empty_run_reports_zeros_and_no_latency() -> None:
    clock = Clock()
    stats = RunStats(clock)
    assert stats.summary()["elapsed_seconds"] == 0.0
    stats.start()
    clock.advance(1)
    summary = stats.summary()
    assert summary["downloads"] == 0
    assert summary["downloads_per_second"] == 0.0
    assert summary["latency_ms"]["p99"] is None
    assert summary["latency_ms"]["mean"] is None
    assert stats.histogram() == []
    assert stats.timeline() == []
