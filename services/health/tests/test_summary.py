"""`GET /internal/summary`: the spec's HealthSummaryResponse, from real gateway spans."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI

from registry_common.http import build_service_app
from registry_common.telemetry import SpanHub
from registry_health.summary import artifact_type_of
from services.health.tests.harness import running_health
from services.health.tests.helpers import T0, assert_valid, provider_into, record


def _gateway(hub: SpanHub) -> FastAPI:
    """A stand-in gateway with the real routes' templates, instrumented into `hub`."""
    app = build_service_app("gateway", tracer_provider=provider_into(hub, "gateway"))

    @app.get("/artifacts/{artifact_type}/{id}")
    async def read(artifact_type: str, id: str) -> dict[str, str]:
        return {"id": id}

    @app.get("/artifact/model/{id}/rate")
    async def rate(id: str) -> dict[str, str]:
        return {"id": id}

    @app.post("/artifacts")
    async def enumerate_() -> list[str]:
        return []

    return app


async def _call(app: FastAPI, client_ip: str, *paths: str) -> None:
    transport = httpx.ASGITransport(app=app, client=(client_ip, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        for path in paths:
            if path == "/artifacts":
                await client.post(path, json=[{"name": "*"}])
            else:
                await client.get(path)


async def test_summary_counts_the_public_requests_by_route_type_and_client(
    tmp_path: Path,
) -> None:
    async with running_health(tmp_path) as health:
        gateway = _gateway(health.hub)
        await _call(gateway, "203.0.113.7", "/artifacts/model/a1", "/artifacts/dataset/d1")
        await _call(gateway, "203.0.113.8", "/artifact/model/a1/rate", "/artifacts", "/nowhere")
        # An ingest request is not a public one.
        health.feed.store.add([record(health.clock.now - 1, service="ingest")])
        health.clock.advance(1)  # the spans carry the real time, after the frozen clock's
        summary = await health.summary(windowMinutes=30, base_url="http://localhost:8000")

    assert_valid("HealthSummaryResponse", summary)
    assert summary["window_minutes"] == 30
    assert summary["version"] == "1.2.3-test"
    assert summary["uptime_seconds"] >= 0
    requests = summary["request_summary"]
    assert requests["total_requests"] == 5
    assert requests["per_route"] == {
        "GET /artifacts/{artifact_type}/{id}": 2,
        "GET /artifact/model/{id}/rate": 1,
        "POST /artifacts": 1,
        "GET (unmatched)": 1,
    }
    assert requests["per_artifact_type"] == {"model": 2, "dataset": 1, "code": 0}
    assert requests["unique_clients"] == 2
    assert requests["window_start"] < requests["window_end"] == summary["checked_at"]
    assert [ref["url"] for ref in summary["logs"]][:2] == [
        "http://localhost:8000/health/logs",
        "http://localhost:8000/health/logs?level=warning",
    ]
    gateway_brief = next(b for b in summary["components"] if b["id"] == "gateway")
    assert gateway_brief["last_event_at"].endswith("Z")


async def test_status_is_the_worst_component_and_briefs_come_worst_first(tmp_path: Path) -> None:
    async with running_health(tmp_path) as health:
        assert (await health.summary())["status"] == "ok"

        health.bus.stats_value = health.bus.stats_value.__class__(
            queue_depth={}, dead_letters={"ingest": 1}
        )
        summary = await health.summary()
        assert summary["status"] == "degraded"
        assert summary["components"][0] == {
            "id": "event-bus",
            "display_name": "Event bus",
            "status": "degraded",
            "issue_count": 1,
        }

        health.peers["lineage"].down = True
        summary = await health.summary()
        assert_valid("HealthSummaryResponse", summary)
    assert summary["status"] == "critical"
    order = [brief["id"] for brief in summary["components"]]
    assert order[:2] == ["lineage", "event-bus"]
    assert [b["status"] for b in summary["components"]][2:] == ["ok"] * 9


def test_the_artifact_type_comes_from_the_path_or_the_template() -> None:
    def of(route: str, path: str | None) -> str | None:
        return artifact_type_of(record(T0, route=route, path=path))

    assert of("/artifacts/{artifact_type}/{id}", "/artifacts/code/c1") == "code"
    assert of("/artifact/{artifact_type}", "/artifact/dataset") == "dataset"
    assert of("/artifact/model/{id}/lineage", "/artifact/model/x/lineage") == "model"
    assert of("/artifacts/{artifact_type}/{id}", "/artifacts/banana/c1") is None
    assert of("/artifacts", "/artifacts") is None
    assert of("/artifact/byName/{name}", "/artifact/byName/model") is None
