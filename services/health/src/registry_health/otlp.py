"""The OTLP/HTTP receiver: other services' spans and logs, into the same stores embedded mode
fills in-process.

`POST /internal/otlp/v1/traces` and `/internal/otlp/v1/logs` take an
`ExportTraceServiceRequest` / `ExportLogsServiceRequest`, as protobuf
(`application/x-protobuf`, what the Python SDK's exporter sends) or OTLP/JSON
(`application/json`, ids hex-encoded), optionally gzip-compressed. Spans become the SDK's
`ReadableSpan`s, so the span hub, the request store and the trace tree treat a span from
another process exactly like one of this process's own.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as ProtoSpan
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

from registry_common.errors import RegistryError
from registry_common.limits import DecompressedTooLarge, gunzip_bounded, human_bytes
from registry_common.telemetry import LogSink, SpanHub
from registry_health.telemetry_store import RequestStore

MAX_BODY_BYTES = 16 * 1024 * 1024
# What a gzip body may unpack to: the same bound as an uncompressed body, so a small gzip
# bomb cannot fill the memory of the service that keeps everyone's telemetry.
MAX_DECOMPRESSED_BYTES = MAX_BODY_BYTES
PROTOBUF = "application/x-protobuf"
JSON = "application/json"

_KINDS = {
    ProtoSpan.SPAN_KIND_INTERNAL: SpanKind.INTERNAL,
    ProtoSpan.SPAN_KIND_SERVER: SpanKind.SERVER,
    ProtoSpan.SPAN_KIND_CLIENT: SpanKind.CLIENT,
    ProtoSpan.SPAN_KIND_PRODUCER: SpanKind.PRODUCER,
    ProtoSpan.SPAN_KIND_CONSUMER: SpanKind.CONSUMER,
}
_STATUS = {0: StatusCode.UNSET, 1: StatusCode.OK, 2: StatusCode.ERROR}
_ID_KEYS = {"traceId", "spanId", "parentSpanId"}

M = TypeVar("M", bound=Message)


class BadTelemetry(RegistryError):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message, status, code="bad_telemetry")


# ---------------------------------------------------------------- decoding


def _hex_ids_to_base64(node: Any) -> Any:
    """OTLP/JSON writes trace and span ids as hex; protobuf's JSON mapping expects base64."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in _ID_KEYS and isinstance(value, str) and value:
                try:
                    value = base64.b64encode(bytes.fromhex(value)).decode()
                except ValueError:
                    raise BadTelemetry(f"{key} must be hexadecimal; got {value!r}.") from None
            out[key] = _hex_ids_to_base64(value)
        return out
    if isinstance(node, list):
        return [_hex_ids_to_base64(v) for v in node]
    return node


def parse_export(body: bytes, content_type: str, encoding: str, message: M) -> M:
    """Fill `message` from an OTLP/HTTP request body; a clear 4xx for anything else."""
    if len(body) > MAX_BODY_BYTES:
        raise BadTelemetry(f"An OTLP request may hold at most {MAX_BODY_BYTES} bytes.", 413)
    if encoding.strip().lower() == "gzip":
        try:
            body = gunzip_bounded(body, MAX_DECOMPRESSED_BYTES)
        except DecompressedTooLarge:
            raise BadTelemetry(
                "The gzip body unpacks to more than "
                f"{human_bytes(MAX_DECOMPRESSED_BYTES)}; send smaller batches.",
                413,
            ) from None
        except (OSError, EOFError, zlib.error) as exc:
            raise BadTelemetry(f"The body is not valid gzip: {exc}.") from None
    elif encoding.strip() not in ("", "identity"):
        raise BadTelemetry(f"Content-Encoding {encoding!r} is not supported; use gzip.", 415)
    media = content_type.split(";", 1)[0].strip().lower()
    kind = type(message).__name__
    if media == PROTOBUF:
        try:
            message.ParseFromString(body)
        except DecodeError:
            raise BadTelemetry(f"The body is not a protobuf {kind}.") from None
    elif media == JSON:
        try:
            document = _hex_ids_to_base64(orjson.loads(body))
            json_format.ParseDict(document, message, ignore_unknown_fields=True)
        except (orjson.JSONDecodeError, json_format.ParseError) as exc:
            raise BadTelemetry(f"The body is not an OTLP/JSON {kind}: {exc}") from None
    else:
        raise BadTelemetry(
            f"Content-Type must be {PROTOBUF} or {JSON}; got {content_type or 'none'!r}.", 415
        )
    return message


def _value(value: AnyValue) -> Any:
    which = value.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        return tuple(_value(v) for v in value.array_value.values)
    if which == "kvlist_value":
        return orjson.dumps({kv.key: _value(kv.value) for kv in value.kvlist_value.values}).decode()
    if which == "bytes_value":
        return value.bytes_value.hex()
    return getattr(value, which)


def _attributes(pairs: Any) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    for pair in pairs:
        value = _value(pair.value)
        if value is not None:
            attributes[pair.key] = value
    return attributes


def _context(trace_id: bytes, span_id: bytes) -> SpanContext | None:
    if len(trace_id) != 16 or len(span_id) != 8:
        return None
    return SpanContext(
        int.from_bytes(trace_id, "big"),
        int.from_bytes(span_id, "big"),
        is_remote=False,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )


def spans_of(request: ExportTraceServiceRequest) -> Iterator[ReadableSpan]:
    """Every well-formed span of the request; spans without valid ids are skipped."""
    for resource_spans in request.resource_spans:
        resource = Resource(_attributes(resource_spans.resource.attributes))
        for scope_spans in resource_spans.scope_spans:
            scope = InstrumentationScope(
                scope_spans.scope.name or "unknown", scope_spans.scope.version or None
            )
            for span in scope_spans.spans:
                context = _context(span.trace_id, span.span_id)
                if context is None:
                    continue
                parent = _context(span.trace_id, span.parent_span_id)
                yield ReadableSpan(
                    name=span.name,
                    context=context,
                    parent=parent,
                    resource=resource,
                    attributes=_attributes(span.attributes),
                    events=[
                        Event(e.name, _attributes(e.attributes), timestamp=e.time_unix_nano)
                        for e in span.events
                    ],
                    kind=_KINDS.get(span.kind, SpanKind.INTERNAL),
                    status=Status(
                        _STATUS.get(span.status.code, StatusCode.UNSET),
                        span.status.message or None,
                    ),
                    start_time=span.start_time_unix_nano,
                    end_time=span.end_time_unix_nano,
                    instrumentation_scope=scope,
                )


def log_records_of(request: ExportLogsServiceRequest) -> Iterator[dict[str, Any]]:
    """Each log record as the JSON object the service wrote: the body when it is one (what
    `registry_common.log_export` sends), else one built from the OTLP fields."""
    for resource_logs in request.resource_logs:
        resource = _attributes(resource_logs.resource.attributes)
        service = str(resource.get("service.name", "unknown")).removeprefix("registry-")
        for scope_logs in resource_logs.scope_logs:
            for entry in scope_logs.log_records:
                body = _value(entry.body)
                record: dict[str, Any] | None = None
                if isinstance(body, str) and body.startswith("{"):
                    try:
                        parsed = orjson.loads(body)
                    except orjson.JSONDecodeError:
                        parsed = None
                    record = parsed if isinstance(parsed, dict) else None
                if record is None:
                    record = {"event": body, **_attributes(entry.attributes)}
                record.setdefault("service", service)
                record.setdefault("level", (entry.severity_text or "info").lower())
                if len(entry.trace_id) == 16:
                    record.setdefault("trace_id", entry.trace_id.hex())
                if len(entry.span_id) == 8:
                    record.setdefault("span_id", entry.span_id.hex())
                yield record


# ---------------------------------------------------------------- the receiver


@dataclass
class TelemetryReceiver:
    """Feeds received spans to the span hub (trace look-up) and the request store (metrics),
    and received log records to the log store's sink."""

    hub: SpanHub
    store: RequestStore
    log_sink: LogSink
    spans_received: int = 0
    logs_received: int = 0

    def traces(self, body: bytes, content_type: str, encoding: str = "") -> tuple[bytes, str]:
        request = parse_export(body, content_type, encoding, ExportTraceServiceRequest())
        spans = list(spans_of(request))
        self.hub.add(spans)
        self.store.add_spans(spans)
        self.spans_received += len(spans)
        return _response(ExportTraceServiceResponse(), content_type)

    def logs(self, body: bytes, content_type: str, encoding: str = "") -> tuple[bytes, str]:
        request = parse_export(body, content_type, encoding, ExportLogsServiceRequest())
        for record in log_records_of(request):
            self.log_sink(record)
            self.logs_received += 1
        return _response(ExportLogsServiceResponse(), content_type)


def _response(message: Message, content_type: str) -> tuple[bytes, str]:
    if content_type.split(";", 1)[0].strip().lower() == JSON:
        return json_format.MessageToJson(message).encode(), JSON
    return message.SerializeToString(), PROTOBUF
