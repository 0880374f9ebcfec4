"""R13/R24, distributed: the event bus (SNS+SQS) becomes unreachable while S3 and PostgreSQL
stay up. The feed reports it, an upload that needs it fails with a 503 naming it and leaves
nothing behind, and once the bus is back the feed is ok again and events flow."""

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


@pytest.mark.expected_failures(
    # The refused upload and the gateway's answer to it, and every service's bus client
    # failing while the bus is cut: the outage this test stages.
    {"status": 503},
    {"event": "http.error.server"},
    {"event": "bus.publish.failed"},
    {"event": "bus.poll.failed"},
    {"event": "bus.ack.failed"},
)
def test_a_cut_bus_is_reported_refuses_uploads_cleanly_and_recovers(
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

            refused = admin.post(
                "/artifact/code",
                json={"url": "https://github.com/openai/whisper", "name": "during-outage"},
            )
            assert refused.status_code == 503, refused.text
            assert "event bus" in refused.json()["detail"]
            # Nothing half-written: no catalog entry, no bundle left in S3.
            assert admin.post("/artifacts", json=[{"name": "*"}]).json() == catalog_before
            assert _artifact_keys(registry) == keys_before
        finally:
            proxy.start()

        def bus_trouble(component: dict[str, Any]) -> list[str]:
            """Issues other than the 5xx rate: the refused upload above is a real 5xx and
            stays in the window (the feed is right to remember it)."""
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

        # Events flow again: an upload now is stored and its event reaches the consumers.
        created = admin.post(
            "/artifact/code",
            json={"url": "https://github.com/openai/whisper", "name": "after-outage"},
        )
        assert created.status_code == 201, created.text
        trace_id = created.headers["X-Trace-Id"]
        deadline = time.monotonic() + 30
        consumers: set[str] = set()
        while time.monotonic() < deadline and not {"lineage"} <= consumers:
            answer = admin.get(f"/health/traces/{trace_id}")
            if answer.status_code == 200:
                consumers = {
                    s["service"] for s in answer.json()["spans"] if s["kind"] == "consumer"
                }
            time.sleep(0.5)
        assert "lineage" in consumers
