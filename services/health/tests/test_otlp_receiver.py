"""The OTLP/HTTP receiver (distributed mode): spans exported by the SDK's own OTLP exporter
from other processes become trace look-ups and request metrics; shipped log records become
`/internal/logs` answers. A real health app on a loopback port, real exporters."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from registry_common.http import INTERNAL_TOKEN_HEADER
from registry_common.log_export import LogShipper
from registry_common.settings import RuntimeSettings
from registry_common.telemetry import create_tracer_provider
from registry_health.app import create_app
from registry_health.config import HealthSettings
from registry_health.otlp import MAX_BODY_BYTES, BadTelemetry, parse_export
from tests.harness.registry import free_port, serve_app

TOKEN = "internal-secret-for-tests"


@pytest.fixture
def health_url(tmp_path: Path) -> Iterator[str]:
    runtime = RuntimeSettings(data_dir=tmp_path, telemetry_exporter="none", internal_token=TOKEN)
    app = create_app(HealthSettings(runtime=runtime, external_checks=False), peers={})
    with serve_app(app) as url:
        yield url


def _internal(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={INTERNAL_TOKEN_HEADER: TOKEN}, timeout=10)


def _provider(service: str, exporter: Any) -> TracerProvider:
    provider = create_tracer_provider(service, "none")
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


def _request_in_two_services(gateway: TracerProvider, ingest: TracerProvider) -> str:
    """gateway's SERVER span → its CLIENT call → ingest's SERVER span → a db query."""
    http = {"http.method": "POST"}
    with (
        gateway.get_tracer("t").start_as_current_span(
            "POST /artifact/{artifact_type}",
            kind=SpanKind.SERVER,
            attributes={**http, "http.route": "/artifact/{artifact_type}", "http.status_code": 201},
        ) as root,
        gateway.get_tracer("t").start_as_current_span("POST", kind=SpanKind.CLIENT),
        ingest.get_tracer("t").start_as_current_span(
            "POST /internal/artifacts/{artifact_type}",
            kind=SpanKind.SERVER,
            attributes={
                **http,
                "http.route": "/internal/artifacts/{artifact_type}",
                "http.status_code": 503,
            },
        ),
        ingest.get_tracer("t").start_as_current_span(
            "INSERT registry", kind=SpanKind.CLIENT, attributes={"db.system": "sqlite"}
        ),
    ):
        pass
    return format(root.get_span_context().trace_id, "032x")


def test_spans_from_other_processes_form_one_trace_and_feed_the_metrics(health_url: str) -> None:
    endpoint = f"{health_url}/internal/otlp/v1/traces"
    headers = {INTERNAL_TOKEN_HEADER: TOKEN}
    gateway = _provider("gateway", OTLPSpanExporter(endpoint=endpoint, headers=headers))
    ingest = _provider("ingest", OTLPSpanExporter(endpoint=endpoint, headers=headers))
    trace_id = _request_in_two_services(gateway, ingest)

    with _internal(health_url) as client:
        tree = client.get(f"/internal/traces/{trace_id}").json()
        requests = client.get("/internal/requests", params={"limit": 10}).json()["requests"]
        components = client.get("/internal/components", params={"windowMinutes": 5}).json()

    assert tree["services"] == ["gateway", "ingest"]
    assert [(row["depth"], row["service"], row["kind"]) for row in tree["spans"]] == [
        (0, "gateway", "server"),
        (1, "gateway", "client"),
        (2, "ingest", "server"),
        (3, "ingest", "client"),
    ]
    assert tree["spans"][3]["attributes"] == {"db.system": "sqlite"}
    assert {
        (r["service"], r["route"], r["status"]) for r in requests if r["service"] != "health"
    } == {
        ("gateway", "/artifact/{artifact_type}", 201),
        ("ingest", "/internal/artifacts/{artifact_type}", 503),
    }
    ingest_metrics = next(c for c in components["components"] if c["id"] == "ingest")["metrics"]
    assert ingest_metrics["requests"] == 1
    assert ingest_metrics["errors"] == 1


def test_the_receiver_needs_the_internal_token(health_url: str) -> None:
    exporter = OTLPSpanExporter(endpoint=f"{health_url}/internal/otlp/v1/traces")
    memory = InMemorySpanExporter()
    provider = _provider("ingest", memory)
    with provider.get_tracer("t").start_as_current_span("x", kind=SpanKind.SERVER):
        pass
    assert exporter.export(memory.get_finished_spans()) is SpanExportResult.FAILURE
    trace_id = format(memory.get_finished_spans()[0].context.trace_id, "032x")
    with _internal(health_url) as client:
        assert client.get(f"/internal/traces/{trace_id}").status_code == 404


def _finished_spans() -> tuple[str, list[ReadableSpan]]:
    memory = InMemorySpanExporter()
    provider = _provider("lineage", memory)
    with provider.get_tracer("t").start_as_current_span(
        "process ArtifactUploaded",
        kind=SpanKind.CONSUMER,
        attributes={"registry.event.type": "ArtifactUploaded"},
    ) as span:
        span.add_event("retry", {"attempt": 2})
    trace_id = format(span.get_span_context().trace_id, "032x")
    return trace_id, list(memory.get_finished_spans())


def test_otlp_json_and_gzip_are_accepted(health_url: str) -> None:
    from google.protobuf import json_format

    trace_id, spans = _finished_spans()
    document = json_format.MessageToDict(encode_spans(spans))
    # OTLP/JSON writes ids as hex (protobuf's own JSON mapping would write base64).
    for resource in document["resourceSpans"]:
        for scope in resource["scopeSpans"]:
            for span in scope["spans"]:
                for key in ("traceId", "spanId"):
                    span[key] = __import__("base64").b64decode(span[key]).hex()
    with _internal(health_url) as client:
        answer = client.post(
            "/internal/otlp/v1/traces",
            content=gzip.compress(orjson.dumps(document)),
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        )
        assert answer.status_code == 200, answer.text
        tree = client.get(f"/internal/traces/{trace_id}").json()
    (row,) = tree["spans"]
    assert (row["service"], row["kind"], row["name"]) == (
        "lineage",
        "consumer",
        "process ArtifactUploaded",
    )
    assert row["events"][0]["name"] == "retry"


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b"\xff\xfe not protobuf", "application/x-protobuf", 400),
        (b"{not json", "application/json", 400),
        (b"{}", "text/plain", 415),
    ],
)
def test_bad_exports_are_refused_clearly(
    health_url: str, content: bytes, content_type: str, status: int
) -> None:
    with _internal(health_url) as client:
        answer = client.post(
            "/internal/otlp/v1/traces", content=content, headers={"Content-Type": content_type}
        )
    assert answer.status_code == status
    assert answer.json()["code"] == "bad_telemetry"
    assert "ExportTraceServiceRequest" in answer.json()["detail"] or status == 415


def test_shipped_logs_are_searchable_by_service_and_trace(health_url: str) -> None:
    shipper = LogShipper(
        f"{health_url}/internal/otlp", service="ingest", headers={INTERNAL_TOKEN_HEADER: TOKEN}
    )
    trace_id = "ab" * 16
    shipper.sink(
        {
            "service": "ingest",
            "event": "ingest.artifact.stored",
            "level": "info",
            "trace_id": trace_id,
            "span_id": "cd" * 8,
            "artifact_id": "42",
        }
    )
    shipper.sink({"service": "bus", "event": "bus.event.failed", "level": "warning"})
    assert shipper.ship_once()
    with _internal(health_url) as client:
        by_trace = client.get("/internal/logs", params={"trace_id": trace_id}).json()
        warnings = client.get("/internal/logs", params={"service": "bus"}).json()
    (record,) = by_trace["records"]
    assert (record["service"], record["event"], record["artifact_id"]) == (
        "ingest",
        "ingest.artifact.stored",
        "42",
    )
    assert [r["event"] for r in warnings["records"]] == ["bus.event.failed"]
    shipper.stop()


def test_a_down_receiver_costs_records_counted_never_a_blocked_caller(health_url: str) -> None:
    down = f"http://127.0.0.1:{free_port()}/internal/otlp"
    shipper = LogShipper(down, service="scoring", capacity=3, batch_size=2, timeout=0.5)
    for n in range(5):
        shipper.sink({"service": "scoring", "event": "scoring.step", "n": n})
    assert (shipper.pending(), shipper.dropped) == (3, 2)  # the queue is full: dropped
    assert not shipper.ship_once()
    assert (shipper.pending(), shipper.failures) == (3, 1)  # the batch is kept for later

    # The receiver is back (the same shipper, pointed at the running health service).
    shipper.url = f"{health_url}/internal/otlp/v1/logs"
    shipper._client.headers[INTERNAL_TOKEN_HEADER] = TOKEN
    while shipper.pending():
        assert shipper.ship_once()
    with _internal(health_url) as client:
        records = client.get("/internal/logs", params={"service": "scoring"}).json()["records"]
    assert [r.get("n") for r in records if r["event"] == "scoring.step"] == [0, 1, 2]
    (gap,) = [r for r in records if r["event"] == "telemetry.logs.dropped"]
    assert (gap["dropped"], gap["level"]) == (2, "warning")
    shipper.stop()


def test_a_gzip_bomb_is_refused_without_unpacking_it(health_url: str) -> None:
    # 64 MiB of zeros gzip to ~64 KiB: the receiver stops at its 16 MiB output cap.
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 1024 * 1024
    with _internal(health_url) as client:
        answer = client.post(
            "/internal/otlp/v1/traces",
            content=bomb,
            headers={"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"},
        )
        assert answer.status_code == 413, answer.text
        assert answer.json()["code"] == "bad_telemetry"
        assert "unpacks to more than 16 MiB" in answer.json()["detail"]
        # The connection and the receiver stay usable.
        assert client.get("/internal/health").status_code == 200


def test_an_export_over_the_body_ceiling_is_refused_before_it_is_read(health_url: str) -> None:
    with _internal(health_url) as client:
        answer = client.post(
            "/internal/otlp/v1/traces",
            content=b"\0" * (16 * 1024 * 1024 + 1),
            headers={"Content-Type": "application/x-protobuf"},
        )
    assert answer.status_code == 413
    assert answer.json()["code"] == "too_large"
    assert "16 MiB" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("body", "content_type", "encoding", "status", "sentence"),
    [
        (
            orjson.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "xyz"}]}]}]}),
            "application/json",
            "",
            400,
            "traceId must be hexadecimal; got 'xyz'.",
        ),
        (b"x" * (MAX_BODY_BYTES + 1), "application/json", "", 413, "may hold at most 16777216"),
        (b"not gzip at all", "application/json", "gzip", 400, "The body is not valid gzip"),
        (b"{}", "application/json", "br", 415, "Content-Encoding 'br' is not supported; use gzip."),
        (b"{}", "", "", 415, "Content-Type must be application/x-protobuf or application/json"),
    ],
)
def test_each_refusal_says_what_to_send(
    body: bytes, content_type: str, encoding: str, status: int, sentence: str
) -> None:
    with pytest.raises(BadTelemetry) as refused:
        parse_export(body, content_type, encoding, ExportTraceServiceRequest())
    assert refused.value.status == status
    assert refused.value.code == "bad_telemetry"
    assert sentence in refused.value.message
