"""Shared test pieces: a clock tests move by hand, records, real spans into a private hub."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

from registry_common.telemetry import SpanHub
from registry_health.telemetry_store import RequestRecord

T0 = 1_790_000_000.0  # 2026-09-21, a fixed "now" for store tests
SPEC = Path(__file__).resolve().parents[3] / "docs" / "spec" / "openapi.yaml"


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


_ids = itertools.count(1)


def record(
    at: float,
    *,
    service: str = "gateway",
    route: str = "/artifacts/{artifact_type}/{id}",
    method: str = "GET",
    status: int = 200,
    duration_ms: float = 10.0,
    client: str | None = "10.0.0.1",
    path: str | None = None,
    kind: str = "server",
    trace_id: str | None = None,
) -> RequestRecord:
    n = next(_ids)
    return RequestRecord(
        at=at,
        service=service,
        route=route,
        method=method,
        status=status,
        duration_ms=duration_ms,
        trace_id=trace_id or f"{n:032x}",
        span_id=f"{n:016x}",
        client=client,
        path=path,
        kind=kind,
    )


class ToHub(SpanExporter):
    def __init__(self, hub: SpanHub) -> None:
        self.hub = hub

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.hub.add(spans)
        return SpanExportResult.SUCCESS


def provider_into(hub: SpanHub, service: str) -> TracerProvider:
    """A provider for `service` whose finished spans land in `hub` (not the global one)."""
    provider = TracerProvider(resource=Resource.create({"service.name": f"registry-{service}"}))
    provider.add_span_processor(SimpleSpanProcessor(ToHub(hub)))
    return provider


# ---------------------------------------------------------------- the spec's schemas


def _spec_schemas() -> dict[str, Any]:
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    schemas: dict[str, Any] = spec["components"]["schemas"]
    # An integer is also a number, so `oneOf: [integer, number, ...]` rejects every integer
    # metric; the spec means "any of these".
    metric_value = dict(schemas["HealthMetricValue"])
    metric_value["anyOf"] = metric_value.pop("oneOf")
    schemas["HealthMetricValue"] = metric_value
    return schemas


def _is_date_time(value: object) -> bool:
    from datetime import datetime

    if not isinstance(value, str) or "T" not in value:
        return False
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return parsed.tzinfo is not None


def _is_uri(value: object) -> bool:
    from urllib.parse import urlsplit

    if not isinstance(value, str) or any(c.isspace() for c in value):
        return False
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc)


def spec_validator(schema_name: str) -> Draft202012Validator:
    checker = FormatChecker(formats=())
    checker.checks("date-time")(_is_date_time)
    checker.checks("uri")(_is_uri)
    schema = {
        "$ref": f"#/components/schemas/{schema_name}",
        "components": {"schemas": _spec_schemas()},
    }
    return Draft202012Validator(schema, format_checker=checker)


def assert_valid(schema_name: str, document: object) -> None:
    errors = sorted(
        spec_validator(schema_name).iter_errors(document), key=lambda e: list(e.absolute_path)
    )
    assert not errors, "\n".join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:10]
    )
