"""Structured logs and traces.

Logs: one JSON object per line with `service`, `trace_id`, `span_id`, a dotted `event` name
and key-value fields. Traces: one OpenTelemetry TracerProvider per service (several can
live in one process in embedded mode), its exporter chosen by settings. Trace context
crosses HTTP (httpx instrumentation) and the bus (`inject_trace_context` /
`extract_trace_context` around each event).
"""

from __future__ import annotations

import logging
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import orjson
import structlog
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from registry_common.internal_token import internal_token_headers
from registry_common.settings import RuntimeSettings, TelemetryExporter

_PROPAGATOR = TraceContextTextMapPropagator()

LogRecord = dict[str, Any]
LogSink = Callable[[LogRecord], None]


# ---------------------------------------------------------------- logs


class _LogRouter:
    """Writes each JSON line to stdout, to `<log_dir>/<service>.log`, and to in-process sinks.

    Process-wide because structlog's configuration is; services are told apart by the
    `service` key every logger is bound with.
    """

    def __init__(self) -> None:
        self.stream: TextIO = sys.stdout
        self.log_dir: Path | None = None
        self.sinks: list[LogSink] = []
        self._files: dict[str, TextIO] = {}
        self._lock = threading.Lock()

    def write(self, record: LogRecord) -> None:
        line = orjson.dumps(record, default=str).decode()
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()
            if self.log_dir is not None:
                handle = self._file_for(str(record.get("service", "registry")))
                handle.write(line + "\n")
                handle.flush()
        for sink in list(self.sinks):
            sink(record)

    def _file_for(self, service: str) -> TextIO:
        handle = self._files.get(service)
        if handle is None:
            assert self.log_dir is not None
            self.log_dir.mkdir(parents=True, exist_ok=True)
            handle = (self.log_dir / f"{service}.log").open("a", encoding="utf-8")
            self._files[service] = handle
        return handle

    def close(self) -> None:
        with self._lock:
            for handle in self._files.values():
                handle.close()
            self._files.clear()


_ROUTER = _LogRouter()


def _add_trace_ids(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> Mapping[str, Any]:
    ctx = trace.get_current_span().get_span_context()
    if ctx.is_valid:
        event_dict.setdefault("trace_id", format(ctx.trace_id, "032x"))
        event_dict.setdefault("span_id", format(ctx.span_id, "016x"))
    return event_dict


def _route(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> str:
    _ROUTER.write(dict(event_dict))
    return ""


class _NullLogger:
    """structlog's final logger; the router already wrote the line."""

    def msg(self, *_: Any, **__: Any) -> None:
        return None

    info = debug = warning = error = critical = exception = msg


class _StdlibBridge(logging.Handler):
    """Library logs (uvicorn, botocore, alembic) become JSON lines like ours."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            event: dict[str, Any] = {
                "service": record.name.split(".")[0],
                "event": record.getMessage(),
                "level": record.levelname.lower(),
                "logger": record.name,
            }
            if record.exc_info:
                event["exception"] = self.formatException(record.exc_info)
            _add_trace_ids(None, "", event)
            _ROUTER.write(event)
        except Exception:  # a log line must never break the caller
            self.handleError(record)

    def formatException(self, ei: Any) -> str:
        return logging.Formatter().formatException(ei)


def configure_logging(
    level: str = "INFO", *, log_dir: Path | None = None, stream: TextIO | None = None
) -> None:
    """Configure structlog once per process (idempotent; later calls replace the outputs)."""
    _ROUTER.close()
    _ROUTER.stream = stream or sys.stdout
    _ROUTER.log_dir = log_dir
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
            _add_trace_ids,
            structlog.processors.format_exc_info,
            _route,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
        ),
        logger_factory=lambda *_: _NullLogger(),
        cache_logger_on_first_use=False,
    )
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not isinstance(h, _StdlibBridge)]
    root.addHandler(_StdlibBridge())
    root.setLevel(logging.WARNING)  # libraries speak up only when something is wrong


def add_log_sink(sink: LogSink) -> None:
    """Also hand every log record to `sink` (the health service's log store)."""
    _ROUTER.sinks.append(sink)


def remove_log_sink(sink: LogSink) -> None:
    if sink in _ROUTER.sinks:
        _ROUTER.sinks.remove(sink)


def get_logger(service: str) -> Any:
    """A structlog logger bound to `service`: `log.info("ingest.bundle.stored", id=...)`."""
    return structlog.get_logger().bind(service=service)


# ---------------------------------------------------------------- traces


class SpanHub:
    """Bounded in-process store of finished spans, read by the health service.

    One per process: in embedded mode every service's provider exports here.
    """

    def __init__(self, capacity: int = 50_000) -> None:
        self._spans: deque[ReadableSpan] = deque(maxlen=capacity)
        self._lock = threading.Lock()

    def add(self, spans: Sequence[ReadableSpan]) -> None:
        with self._lock:
            self._spans.extend(spans)

    def snapshot(self) -> list[ReadableSpan]:
        with self._lock:
            return list(self._spans)

    def by_trace(self, trace_id: str) -> list[ReadableSpan]:
        wanted = int(trace_id, 16)
        return [
            s for s in self.snapshot() if s.context is not None and s.context.trace_id == wanted
        ]

    def clear(self) -> None:
        with self._lock:
            self._spans.clear()


SPAN_HUB = SpanHub()


class _HubExporter(SpanExporter):
    def __init__(self, hub: SpanHub) -> None:
        self._hub = hub

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self._hub.add(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


def create_tracer_provider(
    service: str,
    exporter: TelemetryExporter,
    *,
    otlp_endpoint: str | None = None,
    otlp_headers: Mapping[str, str] | None = None,
    version: str = "0.1.0",
    extra_exporters: Sequence[SpanExporter] = (),
) -> TracerProvider:
    """A provider for one service; never installed globally (several share a process).

    `otlp`: batched OTLP/HTTP (protobuf) to `<otlp_endpoint>/v1/traces`, with `otlp_headers`
    on every export (the internal token, when the receiver is the health service).
    """
    provider = TracerProvider(
        resource=Resource.create(
            {"service.name": f"registry-{service}", "service.version": version}
        )
    )
    if exporter == "console":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    elif exporter == "inprocess":
        provider.add_span_processor(SimpleSpanProcessor(_HubExporter(SPAN_HUB)))
    elif exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = f"{otlp_endpoint.rstrip('/')}/v1/traces" if otlp_endpoint else None
        exporter_ = OTLPSpanExporter(endpoint=endpoint, headers=dict(otlp_headers or {}))
        provider.add_span_processor(BatchSpanProcessor(exporter_))
    for extra in extra_exporters:
        provider.add_span_processor(SimpleSpanProcessor(extra))
    return provider


def otlp_headers(runtime: RuntimeSettings) -> dict[str, str]:
    """Headers of every OTLP export: the internal token, which the health service's receiver
    (an `/internal/` route) requires in distributed mode. A collector ignores it."""
    return internal_token_headers(runtime.internal_token)


def service_tracer_provider(service: str, runtime: RuntimeSettings) -> TracerProvider:
    """The provider a service's composition root uses, as its runtime settings ask."""
    return create_tracer_provider(
        service,
        runtime.telemetry_exporter,
        otlp_endpoint=runtime.otlp_endpoint,
        otlp_headers=otlp_headers(runtime),
    )


def inject_trace_context() -> dict[str, str]:
    """The current span's W3C context, to carry inside an event."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier


def extract_trace_context(carrier: Mapping[str, str]) -> Context:
    return _PROPAGATOR.extract(dict(carrier))


def current_trace_id() -> str | None:
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else None


class attached_context:
    """Make `ctx` current for a block (a consumer handling an event from another service)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._token: object | None = None

    def __enter__(self) -> None:
        self._token = otel_context.attach(self._ctx)

    def __exit__(self, *_: object) -> None:
        if self._token is not None:
            otel_context.detach(self._token)  # type: ignore[arg-type]


def iter_span_tree(spans: Sequence[ReadableSpan]) -> Iterator[tuple[int, ReadableSpan]]:
    """Depth-first (depth, span) over spans of one trace, parents before children."""
    children: dict[int | None, list[ReadableSpan]] = {}
    ids = {s.context.span_id for s in spans if s.context is not None}
    for span in spans:
        parent = span.parent.span_id if span.parent is not None else None
        children.setdefault(parent if parent in ids else None, []).append(span)

    def walk(parent: int | None, depth: int) -> Iterator[tuple[int, ReadableSpan]]:
        for span in sorted(children.get(parent, []), key=lambda s: s.start_time or 0):
            yield depth, span
            if span.context is not None:
                yield from walk(span.context.span_id, depth + 1)

    yield from walk(None, 0)
