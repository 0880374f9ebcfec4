"""The statistics of one load-test run: every download's latency and outcome, summarised as
throughput, mean, median and tail percentiles, a latency histogram, and a per-second
timeline for the live view.

Percentiles are exact, over every completed download, by linear interpolation between the
two nearest ranks (numpy's default, `statistics.quantiles(method="inclusive")`). Latencies
are kept sorted incrementally: a snapshot sorts only what arrived since the last one and
merges it (timsort merges two sorted runs in linear time), so the live view stays cheap.

The histogram uses fixed bucket edges, the Renard R10 series (ten per decade: 1, 1.25, 1.6,
2, 2.5, 3.15, 4, 5, 6.3, 8 ms, times powers of ten) from 0.1 ms to 1000 s: fine enough to
show the shape of one run, and the same edges in every run, so runs compare bucket by bucket.
Only the span from the first to the last non-empty bucket is reported.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

Clock = Callable[[], float]
"""Monotonic seconds (`time.monotonic`); tests pass a clock they move."""

R10 = (1.0, 1.25, 1.6, 2.0, 2.5, 3.15, 4.0, 5.0, 6.3, 8.0)
# Bucket edges in milliseconds: 0.1 ms ... 1,000,000 ms (1000 s), ten a decade.
EDGES_MS: tuple[float, ...] = (
    *(round(m * 10.0**exponent, 6) for exponent in range(-1, 6) for m in R10),
    1_000_000.0,
)

PERCENTILES = (50, 90, 95, 99)


def percentile(ordered: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0-100) of sorted values, interpolating linearly between the two
    nearest ranks; None for no values."""
    if not ordered:
        return None
    if not 0 <= p <= 100:
        raise ValueError(f"a percentile lies between 0 and 100; got {p}")
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def histogram(ordered_ms: Sequence[float]) -> list[dict[str, float | int | None]]:
    """Counts per bucket [low, high) in milliseconds, from the first to the last non-empty
    bucket. A latency below 0.1 ms counts in the first bucket (low 0); above 1000 s in an
    open last bucket (high None)."""
    if not ordered_ms:
        return []
    counts = [0] * (len(EDGES_MS) + 1)
    for value in ordered_ms:
        counts[bisect_right(EDGES_MS, value)] += 1
    used = [i for i, count in enumerate(counts) if count]
    buckets: list[dict[str, float | int | None]] = []
    for i in range(used[0], used[-1] + 1):
        low = EDGES_MS[i - 1] if i > 0 else 0.0
        high = EDGES_MS[i] if i < len(EDGES_MS) else None
        buckets.append({"low_ms": low, "high_ms": high, "count": counts[i]})
    return buckets


@dataclass
class _Second:
    """What finished in one second of the run (the timeline's point)."""

    downloads: int = 0
    errors: int = 0
    bytes: int = 0
    latencies_ms: list[float] = field(default_factory=list)


@dataclass
class RunStats:
    """Everything one run measured. `record` is called once per finished request; the
    clock dates it (seconds since `start()`)."""

    clock: Clock
    started: float | None = None
    ended: float | None = None
    downloads: int = 0
    """Correct downloads: status 200 and the expected size."""
    errors: int = 0
    bytes_received: int = 0
    """Every byte read from a response body, correct download or not."""
    error_kinds: dict[str, int] = field(default_factory=dict)
    token_renewals: int = 0
    _sorted_ms: list[float] = field(default_factory=list)
    _pending_ms: list[float] = field(default_factory=list)
    _sum_ms: float = 0.0
    _seconds: dict[int, _Second] = field(default_factory=dict)

    def start(self) -> None:
        self.started = self.clock()

    def stop(self) -> None:
        if self.ended is None:
            self.ended = self.clock()

    @property
    def elapsed(self) -> float:
        if self.started is None:
            return 0.0
        end = self.ended if self.ended is not None else self.clock()
        return max(0.0, end - self.started)

    def _second(self) -> _Second:
        index = int(self.elapsed)
        if index not in self._seconds:
            self._seconds[index] = _Second()
        return self._seconds[index]

    def record(self, latency_s: float, body_bytes: int, error: str | None = None) -> None:
        """One finished request: its latency to the last byte, the bytes read, and the
        reason it does not count (None: a correct download)."""
        second = self._second()
        self.bytes_received += body_bytes
        second.bytes += body_bytes
        if error is not None:
            self.errors += 1
            second.errors += 1
            self.error_kinds[error] = self.error_kinds.get(error, 0) + 1
            return
        latency_ms = latency_s * 1000.0
        self.downloads += 1
        second.downloads += 1
        second.latencies_ms.append(latency_ms)
        self._pending_ms.append(latency_ms)
        self._sum_ms += latency_ms

    def partial_bytes(self, body_bytes: int) -> None:
        """Bytes of a download cut off when the run ended: they crossed the wire in the
        run's time, so they count towards throughput, not as a download or an error."""
        self.bytes_received += body_bytes
        self._second().bytes += body_bytes

    def latencies_ms(self) -> list[float]:
        """Every correct download's latency, sorted (merges what arrived since last time)."""
        if self._pending_ms:
            self._pending_ms.sort()
            self._sorted_ms.extend(self._pending_ms)
            self._sorted_ms.sort()
            self._pending_ms = []
        return self._sorted_ms

    def summary(self) -> dict[str, Any]:
        """The figures of the run so far (or of the whole run once stopped)."""
        ordered = self.latencies_ms()
        elapsed = self.elapsed
        per_second = (lambda n: n / elapsed) if elapsed > 0 else (lambda n: 0.0)
        latency: dict[str, float | None] = {
            "mean": self._sum_ms / len(ordered) if ordered else None,
            "min": ordered[0] if ordered else None,
            "max": ordered[-1] if ordered else None,
            **{f"p{p}": percentile(ordered, p) for p in PERCENTILES},
        }
        return {
            "elapsed_seconds": round(elapsed, 3),
            "downloads": self.downloads,
            "errors": self.errors,
            "error_kinds": dict(sorted(self.error_kinds.items())),
            "token_renewals": self.token_renewals,
            "bytes_received": self.bytes_received,
            "downloads_per_second": round(per_second(self.downloads), 3),
            "megabytes_per_second": round(per_second(self.bytes_received) / 1e6, 3),
            "latency_ms": {k: (round(v, 3) if v is not None else None) for k, v in latency.items()},
        }

    def timeline(self) -> list[dict[str, Any]]:
        """Per whole second of the run: downloads, errors, megabytes and the median and
        p99 latency of the downloads that finished in it."""
        points = []
        for index in sorted(self._seconds):
            second = self._seconds[index]
            ordered = sorted(second.latencies_ms)
            p50, p99 = percentile(ordered, 50), percentile(ordered, 99)
            points.append(
                {
                    "second": index,
                    "downloads": second.downloads,
                    "errors": second.errors,
                    "megabytes": round(second.bytes / 1e6, 3),
                    "p50_ms": round(p50, 3) if p50 is not None else None,
                    "p99_ms": round(p99, 3) if p99 is not None else None,
                }
            )
        return points

    def histogram(self) -> list[dict[str, float | int | None]]:
        return histogram(self.latencies_ms())
