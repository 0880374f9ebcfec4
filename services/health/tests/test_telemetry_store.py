"""The request store (window, bucketing, percentiles, bounds), spans → records, the log store."""

from __future__ import annotations

import threading

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.trace import SpanKind, Status, StatusCode

from registry_common.http import build_service_app
from registry_common.telemetry import SpanHub
from registry_health.telemetry_store import (
    LogStore,
    RequestStore,
    SpanHubFollower,
    bucket_seconds_for,
    bucketize,
    percentile,
    record_from_span,
    summarize,
)
from services.health.tests.helpers import T0, Clock, provider_into, record

# ---------------------------------------------------------------- aggregation


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 100) == 100
    assert percentile([7.0], 95) == 7
    assert percentile([30.0, 10.0, 20.0], 50) == 20  # unsorted input
    assert percentile([], 50) is None


def test_summary_counts_server_errors_apart_from_client_errors() -> None:
    records = [
        record(T0, status=200, duration_ms=5),
        record(T0, status=404, duration_ms=6),
        record(T0, status=500, duration_ms=7),
        record(T0, status=503, duration_ms=8),
    ]
    stats = summarize(records)
    assert (stats.requests, stats.errors, stats.client_errors) == (4, 2, 1)
    assert stats.error_rate == 0.5
    assert (stats.p50_ms, stats.p95_ms) == (6, 8)
    assert stats.last_at == T0
    assert summarize([]).error_rate is None


def test_latency_exempt_requests_count_but_are_not_timed() -> None:
    records = [record(T0, duration_ms=10), record(T0, method="POST", duration_ms=90_000)]
    stats = summarize(records, latency_exempt=lambda r: r.method == "POST")
    assert stats.requests == 2
    assert stats.p95_ms == 10


@pytest.mark.parametrize(
    ("window_minutes", "bucket_minutes", "buckets"),
    [(5, 1, 5), (60, 1, 60), (61, 2, 31), (120, 2, 60), (1440, 24, 60), (1439, 24, 60)],
)
def test_buckets_are_whole_minutes_and_at_most_sixty(
    window_minutes: int, bucket_minutes: int, buckets: int
) -> None:
    seconds = bucket_seconds_for(window_minutes * 60)
    assert seconds == bucket_minutes * 60
    assert len(bucketize([], T0 - window_minutes * 60, T0, seconds)) == buckets


def test_bucketize_places_each_record_in_its_bucket() -> None:
    start = T0 - 600  # a 10-minute window, 1-minute buckets
    records = [
        record(start + 30),  # bucket 0
        record(start + 59, status=500),  # bucket 0
        record(start + 60),  # bucket 1 (boundaries belong to the later bucket)
        record(T0),  # the last bucket (the window's end is inclusive)
        record(start),  # the window's start is exclusive: left out
        record(T0 + 1),  # in the future: left out
    ]
    buckets = bucketize(records, start, T0, 60)
    assert len(buckets) == 10
    assert [b.count for b in buckets] == [2, 1, 0, 0, 0, 0, 0, 0, 0, 1]
    assert buckets[0].errors == 1
    assert buckets[0].start == start
    assert buckets[1].start == start + 60
    assert buckets[0].per_minute == 2.0
    assert buckets[0].errors_per_minute == 1.0


def test_each_bucket_has_the_p95_latency_of_its_timed_requests() -> None:
    start = T0 - 180  # three 1-minute buckets
    first = [record(start + 5, duration_ms=float(ms)) for ms in range(1, 101)]  # 1..100 ms
    second = [
        record(start + 65, duration_ms=40),
        record(start + 70, method="POST", duration_ms=90_000),  # exempt: counted, not timed
    ]
    buckets = bucketize(first + second, start, T0, 60, latency_exempt=lambda r: r.method == "POST")
    assert [b.p95_ms for b in buckets] == [95, 40, None]  # no requests: unknown, not 0
    assert buckets[1].count == 2
    assert bucketize(second, start, T0, 60)[1].p95_ms == 90_000  # nothing exempt


def test_rates_are_per_minute_when_buckets_are_wider() -> None:
    start = T0 - 1440 * 60  # 24-minute buckets
    buckets = bucketize([record(start + 10) for _ in range(48)], start, T0, 24 * 60)
    assert buckets[0].count == 48
    assert buckets[0].per_minute == 2.0


# ---------------------------------------------------------------- the store


def test_window_filters_by_time_service_and_kind() -> None:
    clock = Clock()
    store = RequestStore(clock=clock)
    store.add(
        [
            record(T0 - 3600 - 1, service="gateway"),  # just outside a 60-minute window
            record(T0 - 3600 + 1, service="gateway"),
            record(T0 - 10, service="ingest"),
            record(T0 - 5, service="ingest", kind="consumer", method="EVENT"),
        ]
    )
    hour = store.window(T0 - 3600)
    assert [r.service for r in hour] == ["gateway", "ingest"]
    assert [r.at for r in store.window(T0 - 3600, service="gateway")] == [T0 - 3599]
    assert [r.kind for r in store.window(T0 - 3600, kind="consumer")] == ["consumer"]
    assert len(store.window(T0 - 7200, kind=None)) == 4
    assert store.window(T0 - 60, T0 - 7) == [hour[1]]


def test_old_records_age_out_and_the_count_is_capped() -> None:
    clock = Clock()
    store = RequestStore(capacity=3, retention=100, clock=clock)
    store.add([record(T0 - 50), record(T0 - 40)])
    clock.advance(55)  # the first is now 105 s old
    store.add([record(clock.now)])
    assert len(store) == 2
    store.add([record(clock.now), record(clock.now)])
    assert len(store) == 3  # capped: the oldest went


def test_the_same_span_is_kept_once() -> None:
    store = RequestStore(clock=Clock())
    one = record(T0)
    assert store.add([one, one]) == 1
    assert store.add([one]) == 0
    assert len(store) == 1


def test_recent_lists_newest_requests_first() -> None:
    store = RequestStore(clock=Clock())
    store.add([record(T0 - 3, status=200), record(T0 - 2, status=500), record(T0 - 1, status=404)])
    assert [r.status for r in store.recent()] == [404, 500, 200]
    assert [r.status for r in store.recent(min_status=500)] == [500]
    assert len(store.recent(limit=2)) == 2


def test_concurrent_writers_lose_nothing() -> None:
    store = RequestStore(clock=Clock())

    def write(n: int) -> None:
        store.add(record(T0 - 1, service=f"s{n}") for _ in range(500))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store) == 4000


# ---------------------------------------------------------------- spans → records


def _instrumented_app(hub: SpanHub) -> FastAPI:
    app = build_service_app("gateway", tracer_provider=provider_into(hub, "gateway"))

    @app.get("/artifacts/{artifact_type}/{id}")
    async def read(artifact_type: str, id: str) -> dict[str, str]:
        return {"id": id}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("kaput")

    @app.get("/internal/health")
    async def probe() -> dict[str, str]:
        return {"status": "ok"}

    return app


async def _earlier_registry_request(hub: SpanHub) -> None:
    transport = httpx.ASGITransport(app=_instrumented_app(hub))
    async with httpx.AsyncClient(transport=transport, base_url="http://old") as client:
        await client.get("/artifacts/code/old")


async def test_request_spans_become_records() -> None:
    hub = SpanHub()
    store = RequestStore()  # the real clock: spans carry real times
    await _earlier_registry_request(hub)
    follower = SpanHubFollower(hub, store)
    transport = httpx.ASGITransport(app=_instrumented_app(hub), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        await client.get("/artifacts/model/abc?x=1")
        await client.get("/boom")
        await client.get("/nowhere")
        await client.get("/internal/health")  # a probe: not a request to count
    assert follower.sync() == 3  # not the request that ended before the follower began
    assert follower.sync() == 0  # nothing new
    records = store.window(0)
    by_route = {r.route: r for r in records}
    ok = by_route["/artifacts/{artifact_type}/{id}"]
    assert (ok.service, ok.method, ok.status, ok.path) == (
        "gateway",
        "GET",
        200,
        "/artifacts/model/abc",
    )
    assert ok.client == "127.0.0.1"
    assert ok.duration_ms > 0
    assert len(ok.trace_id) == 32
    assert by_route["/boom"].status == 500
    assert by_route["(unmatched)"].status == 404


def test_consumer_spans_become_event_records_and_client_spans_are_skipped() -> None:
    hub = SpanHub()
    tracer = provider_into(hub, "scoring").get_tracer("test")
    with tracer.start_as_current_span(
        "process ArtifactRegistered",
        kind=SpanKind.CONSUMER,
        attributes={"registry.event.type": "ArtifactRegistered"},
    ) as span:
        span.set_status(Status(StatusCode.ERROR, "boom"))
    with tracer.start_as_current_span(
        "GET", kind=SpanKind.CLIENT, attributes={"http.method": "GET"}
    ):
        pass
    records = [r for r in map(record_from_span, hub.snapshot()) if r is not None]
    assert len(records) == 1
    event = records[0]
    assert (event.kind, event.service, event.route, event.status) == (
        "consumer",
        "scoring",
        "ArtifactRegistered",
        500,
    )


def test_in_process_request_spans_count_as_requests() -> None:
    """Embedded mode: a service called in-process gets an INTERNAL span with HTTP attributes."""
    hub = SpanHub()
    tracer = provider_into(hub, "ingest").get_tracer("test")
    attributes: dict[str, str | int] = {
        "http.method": "POST",
        "http.route": "/internal/catalog/query",
        "http.target": "/internal/catalog/query",
        "http.status_code": 200,
    }
    with tracer.start_as_current_span("POST /internal/catalog/query", attributes=attributes):
        with tracer.start_as_current_span(
            "POST /internal/catalog/query http send",
            attributes={"asgi.event.type": "http.response.start", "http.status_code": 200},
        ):
            pass
        with tracer.start_as_current_span("catalog.query"):
            pass
    records = [r for r in map(record_from_span, hub.snapshot()) if r is not None]
    assert [(r.service, r.endpoint) for r in records] == [
        ("ingest", "POST /internal/catalog/query")
    ]


# ---------------------------------------------------------------- the log store


def _logs() -> tuple[LogStore, Clock]:
    clock = Clock()
    store = LogStore(clock=clock)
    lines: list[dict[str, object]] = [
        {"service": "gateway", "level": "info", "event": "http.request", "trace_id": "a" * 32},
        {"service": "ingest", "level": "warning", "event": "ingest.fetch.slow", "repo": "bert"},
        {"service": "ingest", "level": "error", "event": "bus.event.failed", "trace_id": "a" * 32},
        {"service": "scoring", "level": "debug", "event": "scoring.metric", "value": 0.5},
        {"service": "auth", "level": "critical", "event": "auth.keys.missing"},
    ]
    for line in lines:
        store.sink(line)
        clock.advance(1)
    return store, clock


def test_logs_filter_by_service_level_trace_and_text() -> None:
    store, _ = _logs()
    assert [e.record["event"] for e in store.query(service="ingest")] == [
        "ingest.fetch.slow",
        "bus.event.failed",
    ]
    # A level is a minimum: warning gives warnings, errors and critical ones.
    assert [e.level for e in store.query(level="warning")] == ["warning", "error", "critical"]
    assert [e.level for e in store.query(level="ERROR")] == ["error", "critical"]
    assert [e.service for e in store.query(trace_id="A" * 32)] == ["gateway", "ingest"]
    assert [e.service for e in store.query(contains="BERT")] == ["ingest"]  # values too
    assert [e.service for e in store.query(service="ingest", level="error")] == ["ingest"]
    assert store.query(service="nobody") == []


def test_logs_give_the_newest_first_limited_in_time_order() -> None:
    store, clock = _logs()
    assert [e.service for e in store.query(limit=2)] == ["scoring", "auth"]
    assert [e.service for e in store.query(since=clock.now - 2.5)] == ["scoring", "auth"]
    assert store.last_updated("auth") == clock.now - 1
    assert store.updated()["gateway"] == clock.now - 5


def test_old_logs_age_out() -> None:
    clock = Clock()
    store = LogStore(retention=60, clock=clock)
    store.sink({"service": "gateway", "event": "old"})
    clock.advance(61)
    store.sink({"service": "gateway", "event": "new"})
    assert [e.record["event"] for e in store.query()] == ["new"]


def test_a_log_record_is_json_safe_and_the_sink_never_raises() -> None:
    store = LogStore(clock=Clock())
    store.sink({"service": "ingest", "event": "x", "path": object(), "level": "warn"})
    store.sink(None)  # type: ignore[arg-type]  # a broken record must not raise
    (entry,) = store.query()
    body = entry.to_json()
    assert body["level"] == "warning"
    assert body["timestamp"].endswith("Z")
    assert isinstance(body["path"], str)
