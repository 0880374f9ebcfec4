"""`GET /internal/traces/{id}` (one request across services as a tree) and
`GET /internal/logs` (the log tail with its filters), and the log sink wiring."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import orjson
import pytest
from opentelemetry import trace as otel_trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from registry_common.http import ServiceClient, build_service_app
from registry_common.telemetry import (
    SpanHub,
    attached_context,
    configure_logging,
    extract_trace_context,
    get_logger,
    inject_trace_context,
)
from services.health.tests.harness import running_health
from services.health.tests.helpers import provider_into

INTERNAL_TOKEN = "internal-token-of-the-trace-tests"


async def _one_request_across_services(hub: SpanHub) -> str:
    """gateway → ingest over HTTP (instrumented both sides), then ingest publishes an event
    that scoring handles: three services, one trace. Returns the trace id."""
    ingest = build_service_app(
        "ingest", tracer_provider=provider_into(hub, "ingest"), internal_token=INTERNAL_TOKEN
    )
    scoring_tracer = provider_into(hub, "scoring").get_tracer("bus")

    @ingest.post("/internal/artifacts/{artifact_type}")
    async def register(artifact_type: str) -> dict[str, str]:
        carrier = inject_trace_context()  # what the bus carries inside the event
        with (
            attached_context(extract_trace_context(carrier)),
            scoring_tracer.start_as_current_span(
                "process ArtifactRegistered",
                kind=SpanKind.CONSUMER,
                attributes={
                    "registry.event.type": "ArtifactRegistered",
                    "messaging.system": "inprocess",
                },
            ) as span,
        ):
            span.set_status(Status(StatusCode.ERROR, "RatingFailed: no README"))
        return {"id": "a1"}

    gateway_provider = provider_into(hub, "gateway")
    # With the per-message spans an operator can turn on (REGISTRY_TRACE_ASGI_MESSAGES).
    gateway = build_service_app(
        "gateway", tracer_provider=gateway_provider, trace_asgi_messages=True
    )
    client = ServiceClient(
        "ingest",
        "http://ingest.internal",
        transport=httpx.ASGITransport(app=ingest),
        tracer_provider=gateway_provider,
        internal_token=INTERNAL_TOKEN,
    )

    @gateway.post("/artifact/{artifact_type}")
    async def create(artifact_type: str) -> dict[str, str]:
        otel_trace.get_current_span().set_attribute("registry.user_token", "secret-value")
        response = await client.post(f"/internal/artifacts/{artifact_type}")
        return dict(response.json())

    transport = httpx.ASGITransport(app=gateway)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as public:
        response = await public.post(
            "/artifact/model", headers={"X-Authorization": "bearer top-secret"}
        )
    await client.aclose()
    assert response.status_code == 200
    return response.headers["x-trace-id"]


async def test_a_trace_is_the_tree_of_every_services_spans(tmp_path: Path) -> None:
    async with running_health(tmp_path) as health:
        trace_id = await _one_request_across_services(health.hub)
        response = await health.client.get(f"/internal/traces/{trace_id.upper()}")
        with_asgi = await health.client.get(
            f"/internal/traces/{trace_id}", params={"asgiEvents": "true"}
        )
    assert response.status_code == 200, response.text
    tree = response.json()
    assert tree["trace_id"] == trace_id
    assert tree["services"] == ["gateway", "ingest", "scoring"]
    assert tree["errors"] == 1
    shape = [(s["depth"], s["service"], s["kind"], s["name"]) for s in tree["spans"]]
    assert shape == [
        (0, "gateway", "server", "POST /artifact/{artifact_type}"),
        (1, "gateway", "client", "POST"),
        (2, "ingest", "internal", "POST /internal/artifacts/{artifact_type}"),
        (3, "scoring", "consumer", "process ArtifactRegistered"),
    ]
    root, _, _, consumer = tree["spans"]
    assert root["parent_span_id"] is None
    assert root["attributes"]["http.route"] == "/artifact/{artifact_type}"
    assert "registry.user_token" not in root["attributes"]  # names a secret: dropped
    assert "secret" not in orjson.dumps(tree).decode()
    assert consumer["status"] == "error"
    assert consumer["status_message"] == "RatingFailed: no README"
    assert consumer["attributes"]["registry.event.type"] == "ArtifactRegistered"
    assert all(span["duration_ms"] >= 0 for span in tree["spans"])
    assert tree["span_count"] == 4
    # The per-message ASGI spans only on request.
    assert with_asgi.json()["span_count"] > tree["span_count"]


async def test_unknown_and_malformed_trace_ids(tmp_path: Path) -> None:
    async with running_health(tmp_path) as health:
        unknown = await health.client.get(f"/internal/traces/{'ab' * 16}")
        malformed = await health.client.get("/internal/traces/not-a-trace")
    assert unknown.status_code == 404
    assert "No spans of trace" in unknown.json()["detail"]
    assert malformed.status_code == 400
    assert "32 hexadecimal digits" in malformed.json()["detail"]


async def test_recent_requests_carry_their_trace_ids(tmp_path: Path) -> None:
    async with running_health(tmp_path) as health:
        trace_id = await _one_request_across_services(health.hub)
        response = await health.client.get("/internal/requests", params={"service": "gateway"})
    (only,) = response.json()["requests"]
    assert (only["method"], only["route"], only["status"]) == (
        "POST",
        "/artifact/{artifact_type}",
        200,
    )
    assert only["trace_id"] == trace_id


# ---------------------------------------------------------------- logs


LOGGED = {"http.request", "ingest.fetch.slow", "bus.event.failed", "scoring.metric"}


def _feed_logs(health_logs: object) -> None:
    sink = health_logs.sink  # type: ignore[attr-defined]
    sink({"service": "gateway", "level": "info", "event": "http.request", "trace_id": "a" * 32})
    sink({"service": "ingest", "level": "warning", "event": "ingest.fetch.slow", "repo": "bert"})
    sink({"service": "ingest", "level": "error", "event": "bus.event.failed", "trace_id": "a" * 32})
    sink({"service": "scoring", "level": "debug", "event": "scoring.metric"})


@pytest.mark.parametrize(
    ("params", "events"),
    [
        ({}, ["http.request", "ingest.fetch.slow", "bus.event.failed", "scoring.metric"]),
        ({"service": "ingest"}, ["ingest.fetch.slow", "bus.event.failed"]),
        ({"level": "warning"}, ["ingest.fetch.slow", "bus.event.failed"]),
        ({"trace_id": "a" * 32}, ["http.request", "bus.event.failed"]),
        ({"contains": "BERT"}, ["ingest.fetch.slow"]),
        ({"service": "ingest", "level": "error"}, ["bus.event.failed"]),
        ({"limit": 1}, ["scoring.metric"]),
        (
            {"sinceMinutes": 5},
            ["http.request", "ingest.fetch.slow", "bus.event.failed", "scoring.metric"],
        ),
    ],
)
async def test_log_filters(tmp_path: Path, params: dict[str, str | int], events: list[str]) -> None:
    async with running_health(tmp_path) as health:
        _feed_logs(health.feed.logs_store)
        response = await health.client.get("/internal/logs", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    # Only what this test logged (the service's own lines may be there too).
    mine = [
        r["event"] for r in body["records"] if r["event"] in LOGGED and r["service"] != "health"
    ]
    assert mine == events
    assert body["count"] == len(body["records"])


async def test_logs_as_ndjson(tmp_path: Path) -> None:
    async with running_health(tmp_path) as health:
        _feed_logs(health.feed.logs_store)
        response = await health.client.get(
            "/internal/logs", params={"service": "ingest", "format": "ndjson"}
        )
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [orjson.loads(line) for line in response.content.splitlines()]
    assert [line["event"] for line in lines] == ["ingest.fetch.slow", "bus.event.failed"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"level": "loud"}, "level must be one of debug, info, warning, error, critical"),
        ({"limit": 0}, "limit must be between 1 and 1000"),
        ({"limit": 5000}, "limit must be between 1 and 1000"),
        ({"format": "xml"}, "format must be json or ndjson"),
        ({"sinceMinutes": 0}, "sinceMinutes must be between 1 and 1440"),
    ],
)
async def test_bad_log_queries_are_400(
    tmp_path: Path, params: dict[str, str | int], message: str
) -> None:
    async with running_health(tmp_path) as health:
        response = await health.client.get("/internal/logs", params=params)
    assert response.status_code == 400
    assert message in response.json()["detail"]


@pytest.mark.parametrize("limit", [0, 1001])
async def test_a_bad_request_listing_limit_is_400(tmp_path: Path, limit: int) -> None:
    async with running_health(tmp_path) as health:
        response = await health.client.get("/internal/requests", params={"limit": limit})
    assert response.status_code == 400
    assert response.json()["detail"] == f"limit must be between 1 and 1000; got {limit}."


async def test_the_services_structured_logs_reach_the_store(tmp_path: Path) -> None:
    """Through `configure_logging` + `add_log_sink`, as in the running registry."""
    configure_logging("DEBUG")
    async with running_health(tmp_path) as health:
        marker = f"marker-{time.monotonic_ns()}"
        get_logger("lineage").warning("lineage.graph.cycle", note=marker)
        response = await health.client.get(
            "/internal/logs", params={"service": "lineage", "contains": marker}
        )
        (line,) = response.json()["records"]
        assert (line["event"], line["level"], line["note"]) == (
            "lineage.graph.cycle",
            "warning",
            marker,
        )
    # Stopped: the sink is removed.
    get_logger("lineage").warning("lineage.after", note=marker)
    assert health.feed.logs_store.query(contains="lineage.after") == []
