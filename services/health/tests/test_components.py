"""`GET /internal/components`: statuses from real checks and from the request records,
turning degraded/critical when something breaks and back to ok when it recovers."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from registry_common.bus.port import BusStats
from services.health.tests.harness import running_health
from services.health.tests.helpers import assert_valid, record

SERVICES = ["gateway", "auth", "ingest", "scoring", "lineage", "health"]
BACKING = ["database", "blob-store", "event-bus", "huggingface-hub", "github-api"]


def _codes(entry: dict[str, Any]) -> list[str]:
    return [found["code"] for found in entry.get("issues", [])]


def _statuses(document: dict[str, Any]) -> dict[str, str]:
    return {entry["id"]: entry["status"] for entry in document["components"]}


async def test_a_healthy_registry_is_ok_everywhere_and_matches_the_spec(tmp_path: Path) -> None:
    async with running_health(tmp_path) as health:
        document = await health.components(windowMinutes=60, includeTimeline="true")
    assert [entry["id"] for entry in document["components"]] == SERVICES + BACKING
    assert set(_statuses(document).values()) == {"ok"}, _statuses(document)
    assert document["window_minutes"] == 60
    assert_valid("HealthComponentCollection", document)
    for entry in document["components"]:
        assert entry["display_name"]
        assert entry["description"]
        assert entry["logs"], entry["id"]
    bus = next(e for e in document["components"] if e["id"] == "event-bus")
    assert bus["metrics"]["queue_depth"] == 0
    assert bus["metrics"]["dead_letters"] == 0
    assert bus["metrics"]["services_reporting"] == 5  # four services and health itself
    github = next(e for e in document["components"] if e["id"] == "github-api")
    assert github["metrics"]["rate_limit_remaining"] == 4999


async def test_a_service_that_does_not_answer_is_critical_until_it_is_back(tmp_path: Path) -> None:
    async with running_health(tmp_path) as health:
        health.peers["ingest"].down = True
        document = await health.components()
        ingest = next(e for e in document["components"] if e["id"] == "ingest")
        assert ingest["status"] == "critical"
        assert _codes(ingest) == ["service_unreachable"]
        assert "unreachable" in ingest["issues"][0]["details"]
        # Only ingest uses the blob store: nobody can say how it is.
        assert _statuses(document)["blob-store"] == "unknown"
        assert_valid("HealthComponentCollection", document)

        health.peers["ingest"].down = False
        assert (await health.component("ingest"))["status"] == "ok"
        assert (await health.component("blob-store"))["status"] == "ok"


@pytest.mark.parametrize(
    ("behaviour", "detail"),
    [
        ({"slow": True}, "did not answer its health check within 0.3 s"),
        ({"http_status": 500}, "answered its health check with HTTP 500"),
    ],
)
async def test_a_slow_or_failing_health_check_is_critical(
    tmp_path: Path, behaviour: dict[str, Any], detail: str
) -> None:
    async with running_health(tmp_path) as health:
        for key, value in behaviour.items():
            setattr(health.peers["scoring"], key, value)
        scoring = await health.component("scoring")
    assert scoring["status"] == "critical"
    assert detail in scoring["issues"][0]["details"]


async def test_a_service_without_the_internal_route_is_up(tmp_path: Path) -> None:
    async with running_health(tmp_path) as health:
        health.peers["gateway"].no_route = True
        gateway = await health.component("gateway")
    assert gateway["status"] == "ok"


async def test_a_stopped_blob_store_is_critical_and_its_user_degraded(tmp_path: Path) -> None:
    async with running_health(tmp_path) as health:
        health.peers["ingest"].failing = {"blob store": "The blob store is unavailable (S3)."}
        document = await health.components()
        statuses = _statuses(document)
        assert statuses["blob-store"] == "critical"
        assert statuses["ingest"] == "degraded"
        blobs = next(e for e in document["components"] if e["id"] == "blob-store")
        assert _codes(blobs) == ["dependency_unreachable"]
        assert blobs["issues"][0]["severity"] == "error"
        assert blobs["issues"][0]["details"] == "The blob store is unavailable (S3)."
        assert blobs["metrics"] == {"services_reporting": 1, "services_failing": 1}
        ingest = next(e for e in document["components"] if e["id"] == "ingest")
        assert _codes(ingest) == ["dependency_unreachable"]

        health.peers["ingest"].failing = {}
        statuses = _statuses(await health.components())
        assert statuses["blob-store"] == statuses["ingest"] == "ok"


async def test_a_stopped_bus_is_critical(tmp_path: Path) -> None:
    async with running_health(tmp_path) as health:
        for name in ("auth", "ingest", "scoring", "lineage"):
            health.peers[name].failing = {"event bus": "The event bus is unavailable."}
        health.bus.unreachable = True  # the health service's own check and statistics
        bus = await health.component("event-bus")
        assert bus["status"] == "critical"
        assert _codes(bus).count("dependency_unreachable") == 5
        assert "bus_stats_unavailable" in _codes(bus)

        for name in ("auth", "ingest", "scoring", "lineage"):
            health.peers[name].failing = {}
        health.bus.unreachable = False
        assert (await health.component("event-bus"))["status"] == "ok"


async def test_dead_letters_and_backlogs_degrade_the_bus(tmp_path: Path) -> None:
    async with running_health(tmp_path) as health:
        health.bus.stats_value = BusStats(
            queue_depth={"ingest": 0, "scoring": 150}, dead_letters={"ingest": 2, "scoring": 0}
        )
        bus = await health.component("event-bus")
        assert bus["status"] == "degraded"
        assert _codes(bus) == ["dead_letters_present", "queue_backlog"]
        assert bus["metrics"]["dead_letters"] == 2
        assert bus["metrics"]["dead_letters.ingest"] == 2
        assert bus["metrics"]["queue_depth.scoring"] == 150
        assert "ingest: 2" in bus["issues"][0]["details"]

        health.bus.stats_value = BusStats(queue_depth={"scoring": 0}, dead_letters={"ingest": 0})
        assert (await health.component("event-bus"))["status"] == "ok"


async def test_bus_statistics_reported_by_services_are_merged(tmp_path: Path) -> None:
    async with running_health(tmp_path) as health:
        health.peers["lineage"].bus = {
            "queue_depth": {"lineage": 3},
            "dead_letters": {"lineage": 1},
        }
        bus = await health.component("event-bus")
    assert bus["metrics"]["queue_depth.lineage"] == 3
    assert bus["metrics"]["dead_letters"] == 1
    assert bus["status"] == "degraded"


async def test_failing_event_handlers_degrade_the_bus(tmp_path: Path) -> None:
    async with running_health(tmp_path) as health:
        now = health.clock.now
        health.feed.store.add(
            [record(now - 30, service="scoring", kind="consumer", method="EVENT", status=500)]
            + [
                record(now - 20, service="lineage", kind="consumer", method="EVENT")
                for _ in range(3)
            ]
        )
        bus = await health.component("event-bus", includeTimeline="true")
    assert bus["status"] == "degraded"
    assert _codes(bus) == ["event_failures"]
    assert (bus["metrics"]["events_handled"], bus["metrics"]["events_failed"]) == (3, 1)
    units = {entry["unit"] for entry in bus["timeline"]}
    assert units == {"events/min", "failed events/min"}


async def test_an_error_rate_above_five_percent_degrades_until_it_leaves_the_window(
    tmp_path: Path,
) -> None:
    async with running_health(tmp_path) as health:
        now = health.clock.now
        requests = [
            record(now - 60, service="auth", route="/internal/tokens/spend") for _ in range(18)
        ]
        requests += [
            record(now - 60, service="auth", route="/internal/tokens/spend", status=500)
            for _ in range(2)
        ]
        requests += [record(now - 60, service="auth", route="/internal/users", status=404)]
        health.feed.store.add(requests)

        auth = await health.component("auth", windowMinutes=5)
        assert auth["status"] == "degraded"
        assert _codes(auth) == ["high_error_rate"]
        assert auth["metrics"]["requests"] == 21
        assert auth["metrics"]["errors"] == 2
        assert auth["metrics"]["client_errors"] == 1  # a 404 is the caller's mistake
        assert auth["metrics"]["error_rate"] == round(2 / 21, 4)
        assert "GET /internal/tokens/spend: 2" in auth["issues"][0]["details"]

        health.clock.advance(5 * 60)  # the failures leave the 5-minute window
        auth = await health.component("auth", windowMinutes=5)
        assert auth["status"] == "ok"
        assert auth["metrics"]["requests"] == 0
        assert "error_rate" not in auth["metrics"]
        # ... but a 60-minute window still sees them.
        assert (await health.component("auth", windowMinutes=60))["status"] == "degraded"


async def test_five_percent_exactly_is_still_ok(tmp_path: Path) -> None:
    async with running_health(tmp_path) as health:
        now = health.clock.now
        health.feed.store.add(
            [record(now - 1, service="lineage") for _ in range(19)]
            + [record(now - 1, service="lineage", status=502)]
        )
        lineage = await health.component("lineage")
    assert lineage["metrics"]["error_rate"] == 0.05
    assert lineage["status"] == "ok"


async def test_a_slow_p95_degrades_but_slow_by_design_routes_do_not(tmp_path: Path) -> None:
    async with running_health(tmp_path) as health:
        now = health.clock.now
        health.feed.store.add(
            [record(now - 1, service="ingest", duration_ms=20) for _ in range(19)]
            + [
                record(
                    now - 1,
                    service="ingest",
                    method="POST",
                    route="/internal/artifacts/{artifact_type}",
                    duration_ms=60_000,
                )
            ]
        )
        ingest = await health.component("ingest")
        assert ingest["status"] == "ok"
        assert ingest["metrics"]["p95_ms"] == 20

        health.feed.store.add(
            [record(now - 1, service="ingest", duration_ms=3000) for _ in range(5)]
        )
        ingest = await health.component("ingest")
    assert ingest["status"] == "degraded"
    assert _codes(ingest) == ["high_latency"]
    assert ingest["metrics"]["p95_ms"] == 3000


async def test_a_failing_check_outranks_good_request_metrics(tmp_path: Path) -> None:
    async with running_health(tmp_path) as health:
        health.feed.store.add([record(health.clock.now - 1, service="scoring")])
        health.peers["scoring"].down = True
        assert (await health.component("scoring"))["status"] == "critical"


async def test_without_a_check_the_request_metrics_decide(tmp_path: Path) -> None:
    async with running_health(tmp_path) as health:
        health.feed.peers.peers.pop("gateway")
        gateway = await health.component("gateway")
        assert gateway["status"] == "unknown"  # no check and no requests
        assert _codes(gateway) == ["not_monitored"]
        health.feed.store.add([record(health.clock.now - 1, service="gateway")])
        assert (await health.component("gateway"))["status"] == "ok"


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"hub_down": True}, "critical", "dependency_unreachable"),
        ({"hub_status": 503}, "critical", "dependency_error"),
        ({"hub_status": 429}, "degraded", "rate_limited"),
        ({"hub_status": 404}, "ok", None),  # it answered: reachable
    ],
)
async def test_hugging_face_reachability(
    tmp_path: Path, change: dict[str, Any], status: str, code: str | None
) -> None:
    async with running_health(tmp_path) as health:
        for key, value in change.items():
            setattr(health.external, key, value)
        hub = await health.component("huggingface-hub")
        assert hub["status"] == status
        assert _codes(hub) == ([code] if code else [])
        for key in change:
            setattr(health.external, key, False if key == "hub_down" else 200)
        assert (await health.component("huggingface-hub"))["status"] == "ok"


async def test_an_exhausted_github_quota_degrades_the_github_api(tmp_path: Path) -> None:
    async with running_health(tmp_path) as health:
        health.external.github_remaining = 0
        health.external.github_status = 403
        github = await health.component("github-api")
    assert github["status"] == "degraded"
    assert _codes(github) == ["rate_limited"]
    assert github["metrics"]["rate_limit_remaining"] == 0


async def test_external_checks_are_cached(tmp_path: Path) -> None:
    async with running_health(tmp_path, external_cache_seconds=30) as health:
        await health.components()
        await health.components()
        assert health.external.calls == ["hub.test/api/models", "github.test/rate_limit"]
        health.external.hub_down = True
        assert (await health.component("huggingface-hub"))["status"] == "ok"  # still cached
        health.clock.advance(31)
        assert (await health.component("huggingface-hub"))["status"] == "critical"


async def test_external_checks_can_be_switched_off(tmp_path: Path) -> None:
    async with running_health(tmp_path, external_checks=False) as health:
        document = await health.components()
    assert _statuses(document)["huggingface-hub"] == "unknown"
    assert health.external.calls == []
    assert_valid("HealthComponentCollection", document)


async def test_timelines_cover_the_window_in_at_most_sixty_buckets(tmp_path: Path) -> None:
    async with running_health(tmp_path) as health:
        now = health.clock.now
        health.feed.store.add(
            [record(now - 90, service="gateway") for _ in range(4)]
            + [record(now - 90, service="gateway", status=500)]
        )
        without = await health.component("gateway")
        assert "timeline" not in without
        hour = await health.component("gateway", includeTimeline="true")
        day = await health.component("gateway", includeTimeline="true", windowMinutes=1440)
    requests = [e for e in hour["timeline"] if e["unit"] == "requests/min"]
    errors = [e for e in hour["timeline"] if e["unit"] == "errors/min"]
    assert len(requests) == len(errors) == 60
    assert [e["value"] for e in requests][-2] == 5.0  # 90 s ago: the next-to-last minute
    assert sum(e["value"] for e in errors) == 1.0
    assert requests[0]["bucket"] < requests[1]["bucket"]
    day_requests = [e for e in day["timeline"] if e["unit"] == "requests/min"]
    assert len(day_requests) == 60
    assert day_requests[-1]["value"] == round(5 / 24, 3)  # 24-minute buckets, per minute


async def test_service_timelines_give_the_p95_latency_of_each_bucket(tmp_path: Path) -> None:
    async with running_health(tmp_path) as health:
        now = health.clock.now
        health.feed.store.add(
            [record(now - 90, service="ingest", duration_ms=float(ms)) for ms in range(1, 21)]
            + [record(now - 30, service="ingest", duration_ms=7)]
        )
        ingest = await health.component("ingest", includeTimeline="true")
        bus = await health.component("event-bus", includeTimeline="true")
    latency = [e for e in ingest["timeline"] if e["unit"] == "p95 ms"]
    # Only buckets that timed a request have a latency entry: a quiet minute is unknown, not 0.
    assert [e["value"] for e in latency] == [19.0, 7.0]
    requests = [e for e in ingest["timeline"] if e["unit"] == "requests/min"]
    assert [e["bucket"] for e in latency] == [e["bucket"] for e in requests[-2:]]
    assert "p95 ms" not in {e["unit"] for e in bus["timeline"]}
    assert_valid("HealthComponentDetail", ingest)


async def test_log_references_are_absolute_links_to_the_public_log_route(tmp_path: Path) -> None:
    async with running_health(tmp_path) as health:
        health.feed.logs_store.sink({"service": "ingest", "event": "ingest.started"})
        ingest = await health.component("ingest", base_url="http://localhost:8000/")
        default = await health.component("ingest")
    first, errors = ingest["logs"]
    assert first["url"] == "http://localhost:8000/health/logs?service=ingest"
    assert parse_qs(urlsplit(errors["url"]).query) == {"service": ["ingest"], "level": ["warning"]}
    assert first["tail_available"] is True
    assert first["last_updated_at"].endswith("Z")
    assert default["logs"][0]["url"] == "https://registry.example.com/health/logs?service=ingest"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"windowMinutes": 4}, "windowMinutes must be between 5 and 1440 minutes"),
        ({"windowMinutes": 1441}, "windowMinutes must be between 5 and 1440 minutes"),
        ({"windowMinutes": "soon"}, "windowMinutes"),
        ({"base_url": "/relative"}, "base_url must be an absolute http(s) URL"),
        ({"base_url": "ftp://x.example"}, "base_url must be an absolute http(s) URL"),
    ],
)
async def test_bad_parameters_are_400_with_a_sentence(
    tmp_path: Path, params: dict[str, Any], message: str
) -> None:
    async with running_health(tmp_path) as health:
        for route in ("/internal/components", "/internal/summary"):
            response = await health.client.get(route, params=params)
            assert response.status_code == 400, response.text
            assert message in response.json()["detail"]
            assert response.json()["detail"].endswith(".")


async def test_the_window_edges_are_accepted(tmp_path: Path) -> None:
    async with running_health(tmp_path) as health:
        for window in (5, 1440):
            document = await health.components(windowMinutes=window, includeTimeline="true")
            assert document["window_minutes"] == window
            assert_valid("HealthComponentCollection", document)


def test_the_schema_check_itself_rejects_a_bad_document() -> None:
    """The validator used above is not vacuous."""
    bad = {
        "components": [{"id": "x", "status": "fine", "observed_at": "yesterday"}],
        "generated_at": "2026-01-01T00:00:00Z",
    }
    with pytest.raises(AssertionError, match=r"status|observed_at"):
        assert_valid("HealthComponentCollection", bad)
    relative = {
        "components": [
            {
                "id": "x",
                "status": "ok",
                "observed_at": "2026-01-01T00:00:00Z",
                "logs": [{"label": "l", "url": "/health/logs"}],
                "metrics": {"requests": 3, "error_rate": 0.5, "up": True, "since": "now"},
            }
        ],
        "generated_at": "2026-01-01T00:00:00Z",
    }
    with pytest.raises(AssertionError, match="url"):
        assert_valid("HealthComponentCollection", relative)


async def test_a_peer_can_be_an_in_process_check(tmp_path: Path) -> None:
    """Embedded mode's gateway: no internal route, so a function answers its health body."""
    blob_store_up = True

    async def gateway_health() -> dict[str, Any]:
        if not blob_store_up:
            return {
                "service": "gateway",
                "status": "degraded",
                "components": {"blob store": {"status": "critical", "detail": "No such dir."}},
            }
        return {
            "service": "gateway",
            "status": "ok",
            "components": {"blob store": {"status": "ok"}},
        }

    async def broken() -> dict[str, Any]:
        raise RuntimeError("the gateway is gone")

    async with running_health(tmp_path) as health:
        health.feed.peers.add_peer("gateway", gateway_health)
        assert (await health.component("gateway"))["status"] == "ok"
        assert (await health.component("blob-store"))["metrics"]["services_reporting"] == 2

        blob_store_up = False
        statuses = _statuses(await health.components())
        assert (statuses["gateway"], statuses["blob-store"]) == ("degraded", "critical")

        health.feed.peers.add_peer("gateway", broken)
        gateway = await health.component("gateway")
        assert gateway["status"] == "critical"
        assert "RuntimeError: the gateway is gone" in gateway["issues"][0]["details"]
