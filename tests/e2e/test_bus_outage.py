"""R13/R24, distributed: the event bus (SNS+SQS) becomes unreachable while S3 and PostgreSQL
stay up. The feed reports it; an upload meanwhile is stored and its ArtifactUploaded waits in
ingest's transactional outbox (its backlog visible in ingest's health); once the bus is back
the feed is ok again, the waiting event is delivered (nothing lost), and events flow."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import boto3
import httpx
import pytest

from tests.fakes.github import FakeGitHub
from tests.fakes.hub import FakeHub
from tests.harness.distributed import DistributedRegistry, distributed
from tests.harness.postgres import PostgresHandle
from tests.harness.proxy import TcpProxy
from tests.harness.topology import expected_failures

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

SERVICES_ON_THE_BUS = ("auth", "ingest", "scoring", "lineage")


@pytest.fixture(scope="module")
def bus_cut(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: PostgresHandle,
    fake_hub: FakeHub,
    fake_github: FakeGitHub,
) -> Iterator[tuple[DistributedRegistry, TcpProxy]]:
    """A distributed registry whose SNS and SQS calls go through a proxy the test can cut."""
    proxies: list[TcpProxy] = []

    def through_proxy(aws_url: str) -> str:
        target = urlsplit(aws_url)
        proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 80)
        proxy.start()
        proxies.append(proxy)
        return proxy.url

    try:
        with distributed(
            tmp_path_factory.mktemp("bus-outage"),
            postgres_server,
            fake_hub,
            fake_github,
            bus_endpoint=through_proxy,
        ) as registry:
            yield registry, proxies[0]
    finally:
        for proxy in proxies:
            proxy.stop()


def _statuses(admin: httpx.Client) -> dict[str, dict[str, Any]]:
    document = admin.get("/health/components", params={"windowMinutes": 5}).json()
    return {c["id"]: c for c in document["components"]}


def _wait(admin: httpx.Client, done: Any, timeout: float = 60) -> dict[str, dict[str, Any]]:
    """Poll the feed until `done(components)` (the checks are cached for seconds)."""
    deadline = time.monotonic() + timeout
    components = _statuses(admin)
    while not done(components) and time.monotonic() < deadline:
        time.sleep(1)
        components = _statuses(admin)
    return components


def _artifact_keys(registry: DistributedRegistry) -> list[str]:
    s3 = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url=registry.aws_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    bucket = registry.env["REGISTRY_S3_BUCKET"]
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="artifacts/")
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


def _outbox(registry: DistributedRegistry) -> dict[str, Any]:
    """Ingest's own health report's `event outbox` entry (unsent events, the oldest's age)."""
    answer = httpx.get(
        f"{registry.env['HEALTH_INGEST_URL']}/internal/health",
        headers={"X-Internal-Token": registry.env["REGISTRY_INTERNAL_TOKEN"]},
        timeout=10,
    )
    outbox: dict[str, Any] = answer.json()["components"]["event outbox"]
    return outbox


def _consumers_of(admin: httpx.Client, trace_id: str, wanted: str) -> set[str]:
    deadline = time.monotonic() + 30
    consumers: set[str] = set()
    while time.monotonic() < deadline and wanted not in consumers:
        answer = admin.get(f"/health/traces/{trace_id}")
        if answer.status_code == 200:
            consumers = {s["service"] for s in answer.json()["spans"] if s["kind"] == "consumer"}
        time.sleep(0.5)
    return consumers


@pytest.mark.expected_failures(
    # Every service's bus client failing while the bus is cut: the outage this test stages
    # (ingest's outbox relay retrying its publish among them).
    {"event": "bus.publish.failed"},
    {"event": "bus.poll.failed"},
    {"event": "bus.ack.failed"},
)
def test_a_cut_bus_is_reported_keeps_uploads_in_the_outbox_and_recovers(
    bus_cut: tuple[DistributedRegistry, TcpProxy], request: pytest.FixtureRequest
) -> None:
    registry, proxy = bus_cut
    with registry.checked(expected_failures(request)), registry.admin() as admin:
        healthy = _wait(admin, lambda c: c["event-bus"]["status"] == "ok")
        assert healthy["event-bus"]["status"] == "ok", healthy["event-bus"]
        catalog_before = admin.post("/artifacts", json=[{"name": "*"}]).json()
        keys_before = _artifact_keys(registry)

        proxy.stop()
        try:
            down = _wait(admin, lambda c: c["event-bus"]["status"] == "critical")
            bus = down["event-bus"]
            assert bus["status"] == "critical", bus
            assert any(i["code"] == "dependency_unreachable" for i in bus["issues"]), bus
            # Every service that uses the bus says so (degraded: it answers, the bus does not).
            for service in SERVICES_ON_THE_BUS:
                assert down[service]["status"] in {"degraded", "critical"}, down[service]

            # Rows and event commit together; the event waits for the bus in the outbox.
            stored = admin.post(
                "/artifact/code",
                json={"url": "https://github.com/openai/whisper", "name": "during-outage"},
            )
            assert stored.status_code == 201, stored.text
            listed = admin.post("/artifacts", json=[{"name": "*"}]).json()
            assert len(listed) == len(catalog_before) + 1
            assert len(_artifact_keys(registry)) > len(keys_before)
            waiting = _outbox(registry)
            assert waiting["status"] == "ok", waiting  # waiting, not yet stuck
            assert waiting["unsent"] >= 1, waiting
            assert waiting["oldest_unsent_seconds"] is not None, waiting
        finally:
            proxy.start()

        def bus_trouble(component: dict[str, Any]) -> list[str]:
            """Issues other than the 5xx rate (a health probe that timed out during the cut
            stays in the window; the feed is right to remember it)."""
            return [
                i["code"] for i in component.get("issues", []) if i["code"] != "high_error_rate"
            ]

        recovered = _wait(
            admin,
            lambda c: (
                c["event-bus"]["status"] == "ok"
                and not any(bus_trouble(c[s]) for s in SERVICES_ON_THE_BUS)
            ),
        )
        assert recovered["event-bus"]["status"] == "ok", recovered["event-bus"]
        assert {s: bus_trouble(recovered[s]) for s in SERVICES_ON_THE_BUS} == {
            s: [] for s in SERVICES_ON_THE_BUS
        }
        assert {s: recovered[s]["status"] for s in ("auth", "scoring", "lineage")} == dict.fromkeys(
            ("auth", "scoring", "lineage"), "ok"
        )
        ingest_issues = {i["code"] for i in recovered["ingest"].get("issues", [])}
        assert ingest_issues <= {"high_error_rate"}, recovered["ingest"]

        # The event committed during the outage was delivered once the bus was back.
        deadline = time.monotonic() + 30
        while _outbox(registry)["unsent"] and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _outbox(registry)["unsent"] == 0
        assert "lineage" in _consumers_of(admin, stored.headers["X-Trace-Id"], "lineage")

        # Events flow again: an upload now is stored and its event reaches the consumers.
        created = admin.post(
            "/artifact/code",
            json={"url": "https://github.com/openai/whisper", "name": "after-outage"},
        )
        assert created.status_code == 201, created.text
        assert "lineage" in _consumers_of(admin, created.headers["X-Trace-Id"], "lineage")
