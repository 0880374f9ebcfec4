"""Load tests started through the gateway (R21), in both topologies: an admin starts a short
run (2 clients, 2 s), watches it, reads its results, compares it with another; the run's
downloads are real downloads (checked for status and size, audited like any other)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.harness.registry import RunningRegistry
from tests.harness.topology import REAL_SCORER, Topology, topology

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

HF = "https://huggingface.co"


@pytest.fixture(scope="module")
def load_topology(topology_kind: str, request: pytest.FixtureRequest) -> Iterator[Topology]:
    with topology(topology_kind, REAL_SCORER, request) as running:
        yield running


@pytest.fixture(scope="module")
def registry(load_topology: Topology) -> RunningRegistry:
    return load_topology.shared()


@pytest.fixture(autouse=True)
def _invariant(load_topology: Topology, request: pytest.FixtureRequest) -> Iterator[None]:
    with load_topology.checked(request):
        yield


@pytest.fixture(scope="module")
def admin(registry: RunningRegistry) -> Iterator[httpx.Client]:
    with registry.admin() as client:
        yield client


@pytest.fixture(scope="module")
def model(admin: httpx.Client) -> dict[str, Any]:
    response = admin.post("/artifact/model", json={"url": f"{HF}/google-bert/bert-base-uncased"})
    assert response.status_code == 201, response.text
    artifact_id = response.json()["metadata"]["id"]
    details = admin.get(f"/artifacts/model/{artifact_id}/details").json()
    return {"id": artifact_id, "size": details["bundle_bytes"]}


def finished(admin: httpx.Client, run_id: str, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = admin.get(f"/health/load-tests/{run_id}")
        assert run.status_code == 200, run.text
        body: dict[str, Any] = run.json()
        if body["status"] not in ("preparing", "running"):
            return body
        time.sleep(0.3)
    raise AssertionError(f"load test {run_id} did not finish within {timeout} s")


def test_a_short_run_downloads_correctly_and_keeps_its_results(
    admin: httpx.Client, model: dict[str, Any], registry: RunningRegistry
) -> None:
    started = admin.post(
        "/health/load-tests", json={"models": [model["id"]], "clients": 2, "duration_seconds": 2}
    )
    assert started.status_code == 202, started.text
    run = started.json()
    assert run["status"] in ("preparing", "running")
    assert run["target"] == registry.url  # the registry's own gateway, from settings
    assert run["models"] == [
        {"id": model["id"], "name": "bert-base-uncased", "size": model["size"]}
    ]
    # One run at a time.
    again = admin.post(
        "/health/load-tests", json={"model_count": 1, "clients": 1, "duration_seconds": 1}
    )
    assert again.status_code == 409, again.text

    done = finished(admin, run["id"])
    assert done["status"] == "completed", done
    assert done["clients_ready"] == 2
    summary = done["summary"]
    assert summary["downloads"] > 0, summary
    assert summary["errors"] == 0, summary
    assert summary["bytes_received"] >= summary["downloads"] * model["size"]
    assert summary["megabytes_per_second"] > 0
    latency = summary["latency_ms"]
    assert 0 < latency["min"] <= latency["p50"] <= latency["p99"] <= latency["max"]
    assert sum(bucket["count"] for bucket in done["histogram"]) == summary["downloads"]
    assert sum(point["downloads"] for point in done["timeline"]) == summary["downloads"]
    assert done["message"] is None

    # The run's user signed its clients in, downloaded as any client, and is gone again.
    users = [user["name"] for user in admin.get("/users").json()]
    assert not [name for name in users if name.startswith("loadtest-")]
    trail = admin.get(f"/artifact/model/{model['id']}/audit").json()
    downloaders = {e["user"]["name"] for e in trail if e["action"] == "DOWNLOAD"}
    assert any(name.startswith("loadtest-") for name in downloaders)

    # A second run, picked by count, to compare with: both are listed, newest first.
    second = admin.post(
        "/health/load-tests", json={"model_count": 1, "clients": 1, "duration_seconds": 1}
    )
    assert second.status_code == 202, second.text
    assert finished(admin, second.json()["id"])["status"] == "completed"
    listing = admin.get("/health/load-tests").json()
    assert [r["id"] for r in listing["runs"][:2]] == [second.json()["id"], run["id"]]
    assert listing["active"] is None
    assert listing["limits"]["max_clients"] == 100
    assert "histogram" not in listing["runs"][0]


def test_a_run_is_cancelled_by_the_admin(admin: httpx.Client, model: dict[str, Any]) -> None:
    started = admin.post(
        "/health/load-tests", json={"models": [model["id"]], "clients": 1, "duration_seconds": 60}
    )
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]
    cancel = admin.post(f"/health/load-tests/{run_id}/cancel")
    assert cancel.status_code == 200, cancel.text
    done = finished(admin, run_id, timeout=30)
    assert done["status"] == "cancelled"
    assert done["summary"]["elapsed_seconds"] < 30
    late = admin.post(f"/health/load-tests/{run_id}/cancel")
    assert late.status_code == 409
    assert "not running" in late.json()["detail"]


def test_bad_requests_are_refused_with_a_reason(admin: httpx.Client, model: dict[str, Any]) -> None:
    too_many = admin.post(
        "/health/load-tests", json={"model_count": 1, "clients": 101, "duration_seconds": 1}
    )
    assert too_many.status_code == 400
    assert "HEALTH_LOADTEST_MAX_CLIENTS" in too_many.json()["detail"]
    both = admin.post(
        "/health/load-tests",
        json={"models": [model["id"]], "model_count": 1, "clients": 1, "duration_seconds": 1},
    )
    assert both.status_code == 400
    assert "not both" in both.json()["detail"]
    unknown = admin.post(
        "/health/load-tests", json={"models": ["123456789"], "clients": 1, "duration_seconds": 1}
    )
    assert unknown.status_code == 404
    assert "123456789" in unknown.json()["detail"]
    users = [user["name"] for user in admin.get("/users").json()]
    assert not [name for name in users if name.startswith("loadtest-")]  # cleaned up
    missing = admin.get("/health/load-tests/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404


def test_only_admins_start_or_read_load_tests(
    admin: httpx.Client, registry: RunningRegistry
) -> None:
    created = admin.post(
        "/users",
        json={
            "user": {"name": "downloader", "is_admin": False},
            "secret": {"password": "a long enough passphrase here"},
            "permissions": ["search", "download"],
        },
    )
    assert created.status_code == 201, created.text
    with registry.client() as client:
        token = client.put(
            "/authenticate",
            json={
                "user": {"name": "downloader", "is_admin": False},
                "secret": {"password": "a long enough passphrase here"},
            },
        ).json()
        body = {"model_count": 1, "clients": 1, "duration_seconds": 1}
        assert client.post("/health/load-tests", json=body).status_code == 403
        headers = {"X-Authorization": token}
        assert client.post("/health/load-tests", json=body, headers=headers).status_code == 401
        assert client.get("/health/load-tests", headers=headers).status_code == 401
    admin.delete("/users/downloader")
