"""The health service's memory of the last 24 hours: request records and log records.

Request records come from finished spans: one per HTTP request a service answered (SERVER
spans, or their in-process INTERNAL twins, see `is_request_span`) and one per event a service
handled (CONSUMER spans). Two ways in:

* `SpanHubFollower` reads new spans from `SPAN_HUB`, the process-wide store every provider
  with the `inprocess` exporter writes to (embedded mode: all six services);
* `RequestStoreExporter` is a `SpanExporter` to attach to any provider
  (`provider.add_span_processor(SimpleSpanProcessor(exporter))`).

Both may run at once: the store ignores a span it already holds. Log records come from a
sink registered with `registry_common.telemetry.add_log_sink`.

Both stores are bounded (count and age), thread-safe (spans end and logs are written on any
thread), and take a clock so tests can move time.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind, StatusCode

from registry_common.telemetry import SpanHub

Clock = Callable[[], float]
"""Seconds since the epoch (`time.time`)."""

DAY_SECONDS = 24 * 3600.0

# Routes every health probe calls: counting them would make an idle registry look busy.
PROBE_PATHS = frozenset({"/internal/health"})

UNMATCHED_ROUTE = "(unmatched)"


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One finished request (kind "server") or handled event (kind "consumer")."""

    at: float  # end time, seconds since the epoch
    service: str  # "gateway", "ingest", ... (the resource's service.name without "registry-")
    route: str  # route template ("/artifact/{artifact_type}/{id}"), or the event type
    method: str  # HTTP method, or "EVENT"
    status: int  # HTTP status; events: 200 handled, 500 failed
    duration_ms: float
    trace_id: str
    span_id: str
    client: str | None = None
    path: str | None = None  # the concrete path, for path parameters
    kind: str = "server"

    @property
    def key(self) -> tuple[str, str]:
        return (self.trace_id, self.span_id)

    @property
    def is_error(self) -> bool:
        return self.status >= 500

    @property
    def is_client_error(self) -> bool:
        return 400 <= self.status < 500

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.route}"


# ---------------------------------------------------------------- spans → records


def service_of(span: ReadableSpan) -> str:
    name = str(span.resource.attributes.get("service.name", "unknown"))
    return name.removeprefix("registry-")


def _first(attributes: Any, *keys: str) -> Any:
    for key in keys:
        value = attributes.get(key)
        if value is not None:
            return value
    return None


def is_request_span(span: ReadableSpan) -> bool:
    """The span of one request a service answered.

    Over a network that is a SERVER span. In embedded mode the gateway calls each service's
    ASGI app in-process, while its own client span is current, and the ASGI instrumentation
    then opens an INTERNAL span instead, with the same HTTP attributes.
    """
    if span.kind is SpanKind.SERVER:
        return True
    if span.kind is not SpanKind.INTERNAL:
        return False
    attributes = span.attributes or {}
    if "asgi.event.type" in attributes:  # one ASGI message ("http send"), not the request
        return False
    has_method = "http.request.method" in attributes or "http.method" in attributes
    has_path = any(k in attributes for k in ("http.route", "http.target", "url.path"))
    return has_method and has_path


def record_from_span(span: ReadableSpan) -> RequestRecord | None:
    """A record for a finished request span (see `is_request_span`) or CONSUMER span; None
    for any other span.

    Reads both the stable HTTP semantic conventions (`http.request.method`,
    `http.response.status_code`, `url.path`, `client.address`) and the older ones the
    installed FastAPI instrumentation writes (`http.method`, `http.status_code`,
    `http.target`, `net.peer.ip`).
    """
    if span.context is None or span.end_time is None or span.start_time is None:
        return None
    attributes = span.attributes or {}
    failed = span.status.status_code is StatusCode.ERROR
    at = span.end_time / 1e9
    service = service_of(span)
    duration_ms = (span.end_time - span.start_time) / 1e6
    trace_id = format(span.context.trace_id, "032x")
    span_id = format(span.context.span_id, "016x")
    if is_request_span(span):
        route = str(attributes.get("http.route") or UNMATCHED_ROUTE)
        status = _first(attributes, "http.response.status_code", "http.status_code")
        path = _first(attributes, "url.path", "http.target")
        if route in PROBE_PATHS or str(path).split("?", 1)[0] in PROBE_PATHS:
            return None
        client = _first(attributes, "client.address", "http.client_ip", "net.peer.ip")
        method = _first(attributes, "http.request.method", "http.method")
        return RequestRecord(
            at=at,
            service=service,
            route=route,
            method=str(method or span.name.split(" ")[0] or "GET").upper(),
            status=int(status) if status is not None else (500 if failed else 0),
            duration_ms=duration_ms,
            trace_id=trace_id,
            span_id=span_id,
            client=str(client) if client is not None else None,
            path=str(path).split("?", 1)[0] if path is not None else None,
            kind="server",
        )
    if span.kind is SpanKind.CONSUMER:
        event_type = attributes.get("registry.event.type") or span.name.removeprefix("process ")
        return RequestRecord(
            at=at,
            service=service,
            route=str(event_type),
            method="EVENT",
            status=500 if failed else 200,
            duration_ms=duration_ms,
            trace_id=trace_id,
            span_id=span_id,
            kind="consumer",
        )
    return None


# ---------------------------------------------------------------- the request store


class RequestStore:
    """Bounded, thread-safe ring of request records for the last `retention` seconds."""

    def __init__(
        self,
        *,
        capacity: int = 200_000,
        retention: float = DAY_SECONDS,
        clock: Clock = time.time,
    ) -> None:
        self.capacity = capacity
        self.retention = retention
        self.clock = clock
        self._records: deque[RequestRecord] = deque()
        self._keys: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def add(self, records: Iterable[RequestRecord]) -> int:
        """Keep `records` (ignoring ones already held); returns how many were new."""
        added = 0
        with self._lock:
            for record in records:
                if record.key in self._keys:
                    continue
                if len(self._records) >= self.capacity:
                    self._keys.discard(self._records.popleft().key)
                self._records.append(record)
                self._keys.add(record.key)
                added += 1
            self._prune(self.clock())
        return added

    def add_spans(self, spans: Iterable[ReadableSpan]) -> int:
        return self.add(r for r in map(record_from_span, spans) if r is not None)

    def _prune(self, now: float) -> None:
        oldest = now - self.retention
        while self._records and self._records[0].at < oldest:
            self._keys.discard(self._records.popleft().key)

    def window(
        self,
        since: float,
        until: float | None = None,
        *,
        service: str | None = None,
        kind: str | None = "server",
    ) -> list[RequestRecord]:
        """Records with `since` < at <= `until` (default now), oldest first.

        Records arrive roughly in time order (spans are exported as they end), so the scan
        walks back from the newest and stops a minute past `since`.
        """
        until = self.clock() if until is None else until
        with self._lock:
            self._prune(self.clock())
            found: list[RequestRecord] = []
            for record in reversed(self._records):
                if record.at < since - 60:
                    break
                if not since < record.at <= until:
                    continue
                if service is not None and record.service != service:
                    continue
                if kind is not None and record.kind != kind:
                    continue
                found.append(record)
        found.reverse()
        return found

    def recent(
        self, *, service: str | None = None, min_status: int = 0, limit: int = 50
    ) -> list[RequestRecord]:
        """The newest `limit` HTTP requests, newest first."""
        with self._lock:
            found: list[RequestRecord] = []
            for record in reversed(self._records):
                if record.kind != "server" or record.status < min_status:
                    continue
                if service is not None and record.service != service:
                    continue
                found.append(record)
                if len(found) >= limit:
                    break
        return found

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self._keys.clear()


class RequestStoreExporter(SpanExporter):
    """Hands finished spans to a `RequestStore` (and a `SpanHub`, for trace look-ups, when
    given); attach it to any tracer provider."""

    def __init__(self, store: RequestStore, *, hub: SpanHub | None = None) -> None:
        self._store = store
        self._hub = hub

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            if self._hub is not None:
                self._hub.add(spans)
            self._store.add_spans(spans)
        except Exception:  # telemetry must never break the request that produced it
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


class SpanHubFollower:
    """Copies request records out of a `SpanHub` as spans arrive there.

    `sync()` walks the hub from its newest span back to the newest one seen last time (with
    a few seconds' slack, as threads may append slightly out of order); cheap enough to call
    before every read and every couple of seconds.
    """

    SLACK_NS = 5_000_000_000

    def __init__(self, hub: SpanHub, store: RequestStore, *, since_ns: int | None = None) -> None:
        """Spans that ended before `since_ns` (default: now) are not this registry's news: in
        one process, the hub may still hold an earlier registry's spans (tests)."""
        self._hub = hub
        self._store = store
        self._since = time.time_ns() if since_ns is None else since_ns
        self._watermark = self._since  # the newest end time seen, in ns
        self._lock = threading.Lock()

    def sync(self) -> int:
        with self._lock:
            spans = self._hub.snapshot()
            fresh: list[ReadableSpan] = []
            stop = self._watermark - self.SLACK_NS
            newest = self._watermark
            for span in reversed(spans):
                end = span.end_time or 0
                if end < stop:
                    break
                newest = max(newest, end)
                if end < self._since:
                    continue
                if span.kind is not SpanKind.CLIENT and span.kind is not SpanKind.PRODUCER:
                    fresh.append(span)
            self._watermark = newest
            fresh.reverse()
            return self._store.add_spans(fresh)


# ---------------------------------------------------------------- aggregation


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0-100) of `values`; None when there are none."""
    return _ranked(sorted(values), p)


def _ranked(ordered: Sequence[float], p: float) -> float | None:
    if not ordered:
        return None
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(frozen=True)
class RequestStats:
    requests: int
    errors: int  # 5xx: the service failed
    client_errors: int  # 4xx: the caller asked for something wrong
    p50_ms: float | None
    p95_ms: float | None  # of the requests not exempt from the latency check
    last_at: float | None

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.requests if self.requests else None


def summarize(
    records: Sequence[RequestRecord], latency_exempt: Callable[[RequestRecord], bool] | None = None
) -> RequestStats:
    """One pass over `records` (this runs over up to a day of requests per feed call)."""
    errors = client_errors = 0
    timed: list[float] = []
    last: float | None = None
    for record in records:
        status = record.status
        if status >= 500:
            errors += 1
        elif status >= 400:
            client_errors += 1
        if latency_exempt is None or not latency_exempt(record):
            timed.append(record.duration_ms)
        if last is None or record.at > last:
            last = record.at
    timed.sort()
    return RequestStats(
        requests=len(records),
        errors=errors,
        client_errors=client_errors,
        p50_ms=_ranked(timed, 50),
        p95_ms=_ranked(timed, 95),
        last_at=last,
    )


def bucket_seconds_for(window_seconds: float, max_buckets: int = 60) -> int:
    """Whole minutes per bucket so that the window has at most `max_buckets` buckets."""
    minutes = max(1, math.ceil(window_seconds / 60 / max_buckets))
    return minutes * 60


@dataclass(frozen=True)
class Bucket:
    start: float
    seconds: int
    count: int
    errors: int
    p95_ms: float | None = None  # of the bucket's timed requests; None when there were none

    @property
    def per_minute(self) -> float:
        return self.count * 60 / self.seconds

    @property
    def errors_per_minute(self) -> float:
        return self.errors * 60 / self.seconds


def bucketize(
    records: Iterable[RequestRecord],
    start: float,
    end: float,
    seconds: int,
    latency_exempt: Callable[[RequestRecord], bool] | None = None,
) -> list[Bucket]:
    """Buckets of `seconds` from `start` to `end` (the last one may be cut short by `end`;
    it is still reported per minute of its full size). Each bucket's `p95_ms` is the
    nearest-rank 95th percentile of its requests' durations, leaving out those
    `latency_exempt` names (as `summarize` does)."""
    count = max(1, math.ceil((end - start) / seconds))
    totals = [0] * count
    errors = [0] * count
    timed: list[list[float]] = [[] for _ in range(count)]
    last = count - 1
    for record in records:
        at = record.at
        if not start < at <= end:
            continue
        index = min(int((at - start) // seconds), last)
        totals[index] += 1
        if record.status >= 500:
            errors[index] += 1
        if latency_exempt is None or not latency_exempt(record):
            timed[index].append(record.duration_ms)
    return [
        Bucket(
            start=start + i * seconds,
            seconds=seconds,
            count=totals[i],
            errors=errors[i],
            p95_ms=percentile(timed[i], 95),
        )
        for i in range(count)
    ]


# ---------------------------------------------------------------- the log store

LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40, "critical": 50}
_LEVEL_ALIASES = {"warn": "warning", "exception": "error", "fatal": "critical", "notset": "debug"}


def normalize_level(level: object) -> str:
    name = str(level or "info").lower()
    return _LEVEL_ALIASES.get(name, name)


@dataclass(frozen=True, slots=True)
class LogEntry:
    at: float
    service: str
    level: str
    trace_id: str | None
    record: dict[str, Any]

    def text(self) -> str:
        return orjson.dumps(self.record, default=str).decode().lower()

    def to_json(self) -> dict[str, Any]:
        """The record as JSON-safe values, with `timestamp`, `service` and `level` set."""
        body: dict[str, Any] = orjson.loads(orjson.dumps(self.record, default=str))
        body.setdefault("timestamp", _iso(self.at))
        body["service"] = self.service
        body["level"] = self.level
        return body


def _iso(at: float) -> str:
    from datetime import UTC, datetime

    stamp = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    return stamp + "Z"


class LogStore:
    """Bounded ring of recent log records; `sink` is what `add_log_sink` registers."""

    def __init__(
        self, *, capacity: int = 20_000, retention: float = DAY_SECONDS, clock: Clock = time.time
    ) -> None:
        self.retention = retention
        self.clock = clock
        self._entries: deque[LogEntry] = deque(maxlen=capacity)
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def sink(self, record: dict[str, Any]) -> None:
        """Called on whichever thread logged; must be cheap and must never raise."""
        try:
            now = self.clock()
            service = str(record.get("service") or "registry")
            trace_id = record.get("trace_id")
            entry = LogEntry(
                at=now,
                service=service,
                level=normalize_level(record.get("level")),
                trace_id=str(trace_id) if trace_id else None,
                record=dict(record),
            )
            with self._lock:
                self._entries.append(entry)
                self._last[service] = now
        except Exception:  # noqa: S110 - a log line must never break the caller
            pass

    def query(
        self,
        *,
        service: str | None = None,
        level: str | None = None,
        trace_id: str | None = None,
        contains: str | None = None,
        since: float | None = None,
        limit: int = 200,
    ) -> list[LogEntry]:
        """The newest `limit` matching entries, oldest first. `level` is a minimum level;
        `contains` is a case-insensitive substring of the whole record."""
        minimum = LEVELS[normalize_level(level)] if level else 0
        oldest = max(self.clock() - self.retention, since or 0)
        needle = contains.lower() if contains else None
        wanted_trace = trace_id.lower() if trace_id else None
        with self._lock:
            entries = list(self._entries)
        found: list[LogEntry] = []
        for entry in reversed(entries):
            if entry.at < oldest:
                break
            if service is not None and entry.service != service:
                continue
            if LEVELS.get(entry.level, 20) < minimum:
                continue
            if wanted_trace is not None and entry.trace_id != wanted_trace:
                continue
            if needle is not None and needle not in entry.text():
                continue
            found.append(entry)
            if len(found) >= limit:
                break
        found.reverse()
        return found

    def updated(self) -> dict[str, float]:
        """When each service last logged."""
        with self._lock:
            return dict(self._last)

    def last_updated(self, service: str | None = None) -> float | None:
        with self._lock:
            if service is None:
                return max(self._last.values(), default=None)
            return self._last.get(service)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
