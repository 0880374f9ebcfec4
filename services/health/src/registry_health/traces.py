"""One trace as a tree: the spans every service wrote for one request, parents first."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

from registry_common.telemetry import iter_span_tree
from registry_health.components import iso
from registry_health.telemetry_store import service_of

TRACE_ID = re.compile(r"^[0-9a-f]{32}$")

# Attribute names worth showing; anything naming a secret is dropped whatever its prefix.
_SHOWN_PREFIXES = (
    "http.",
    "url.",
    "server.",
    "client.",
    "net.",
    "network.",
    "messaging.",
    "registry.",
    "db.",
    "rpc.",
    "error.",
    "exception.",
    "aws.",
    "user_agent.",
)
_SECRET = re.compile(r"authori[sz]ation|token|password|secret|cookie|credential|api[-_]?key", re.I)
_MAX_VALUE = 512


def is_trace_id(value: str) -> bool:
    return bool(TRACE_ID.match(value)) and value != "0" * 32


def shown_attributes(attributes: Any) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    for key, value in sorted((attributes or {}).items()):
        if _SECRET.search(key) or not key.startswith(_SHOWN_PREFIXES):
            continue
        if isinstance(value, (tuple, list)):
            value = [str(v)[:_MAX_VALUE] for v in value]
        elif isinstance(value, str) and len(value) > _MAX_VALUE:
            value = value[:_MAX_VALUE] + "…"
        shown[key] = value
    return shown


def is_asgi_event(span: ReadableSpan) -> bool:
    """The ASGI instrumentation's "http send"/"http receive" spans: one per message."""
    return "asgi.event.type" in (span.attributes or {})


def trace_tree(
    trace_id: str, spans: Sequence[ReadableSpan], *, include_asgi_events: bool = False
) -> dict[str, Any] | None:
    """The trace's spans depth-first (parents before children), or None when none is known."""
    kept = [s for s in spans if include_asgi_events or not is_asgi_event(s)]
    if not kept:
        return None
    rows: list[dict[str, Any]] = []
    for depth, span in iter_span_tree(kept):
        assert span.context is not None
        start = (span.start_time or 0) / 1e9
        end = (span.end_time or span.start_time or 0) / 1e9
        row: dict[str, Any] = {
            "span_id": format(span.context.span_id, "016x"),
            "parent_span_id": format(span.parent.span_id, "016x") if span.parent else None,
            "name": span.name,
            "service": service_of(span),
            "kind": span.kind.name.lower(),
            "start": iso(start),
            "duration_ms": round((end - start) * 1000, 3),
            "status": {
                StatusCode.ERROR: "error",
                StatusCode.OK: "ok",
                StatusCode.UNSET: "unset",
            }[span.status.status_code],
            "depth": depth,
            "attributes": shown_attributes(span.attributes),
        }
        if span.status.description:
            row["status_message"] = span.status.description
        events = [
            {
                "name": event.name,
                "at": iso(event.timestamp / 1e9),
                "attributes": shown_attributes(event.attributes),
            }
            for event in span.events
        ]
        if events:
            row["events"] = events
        rows.append(row)
    starts = [(s.start_time or 0) for s in kept]
    ends = [(s.end_time or s.start_time or 0) for s in kept]
    services = sorted({row["service"] for row in rows})
    return {
        "trace_id": trace_id,
        "started_at": iso(min(starts) / 1e9),
        "duration_ms": round((max(ends) - min(starts)) / 1e6, 3),
        "span_count": len(rows),
        "services": services,
        "errors": sum(1 for row in rows if row["status"] == "error"),
        "spans": rows,
    }
