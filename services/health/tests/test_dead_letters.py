"""Dead letters through the health service's routes, on both buses: the in-process one the
services share in embedded mode, and SNS/SQS (moto) where health reads another process's
queues by name, as in distributed mode."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from registry_common.bus.inprocess import InProcessBus
from registry_common.bus.port import EventBus
from registry_common.bus.sns_sqs import SnsSqsBus
from registry_common.events import ArtifactRef, ArtifactUploaded, Event
from registry_common.settings import RuntimeSettings
from registry_health.app import create_app
from registry_health.config import HealthSettings


class Scoring:
    """A consumer whose handler fails until the bug is fixed."""

    def __init__(self) -> None:
        self.fixed = False
        self.handled: list[Event] = []

    async def handle(self, event: Event) -> None:
        if not self.fixed:
            raise RuntimeError("rating column too small")
        self.handled.append(event)


def uploaded(name: str) -> ArtifactUploaded:
    return ArtifactUploaded(source="ingest", artifact=ArtifactRef(id=name, name=name, type="model"))


async def eventually(predicate: Callable[[], Any], what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


@asynccontextmanager
async def health_client(
    tmp_path: Path, runtime: RuntimeSettings, bus: EventBus | None
) -> AsyncIterator[httpx.AsyncClient]:
    settings = HealthSettings(
        runtime=runtime,
        external_checks=False,
        peer_cache_seconds=0,
        bus_consumers=("scoring", "health"),
    )
    overrides: dict[str, Any] = {"bus": bus} if bus is not None else {}
    app = create_app(settings, peers={}, **overrides)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://health") as client:
            yield client


async def exercise(client: httpx.AsyncClient, scoring: Scoring, events: list[Event]) -> None:
    """What an operator does: see the dead letters, fix the cause, redrive one, then all."""

    async def all_dead() -> bool:
        body = (await client.get("/internal/dead-letters")).json()
        return any(q["consumer"] == "scoring" and q["dead_letters"] == 3 for q in body["queues"])

    await eventually(all_dead, "three dead letters of scoring")

    # The feed shows each queue's depth and dead-letter depth, and degrades the bus.
    components = (await client.get("/internal/components")).json()["components"]
    (bus,) = [c for c in components if c["id"] == "event-bus"]
    assert bus["metrics"]["dead_letters.scoring"] == 3
    assert bus["metrics"]["queue_depth.scoring"] == 0
    assert "dead_letters_present" in [i["code"] for i in bus["issues"]]

    listing = (await client.get("/internal/dead-letters", params={"consumer": "scoring"})).json()
    (queue,) = listing["queues"]
    assert queue["consumer"] == "scoring"
    assert queue["dead_letters"] == 3
    letters = queue["letters"]
    assert {letter["event_id"] for letter in letters} == {str(e.event_id) for e in events}
    for letter in letters:
        assert letter["event_type"] == "ArtifactUploaded"
        assert letter["reason"] == "RuntimeError: rating column too small"
        assert letter["receive_count"] == 2
        assert letter["dead_lettered_at"].endswith("Z")

    limited = await client.get("/internal/dead-letters", params={"consumer": "scoring", "limit": 1})
    assert len(limited.json()["queues"][0]["letters"]) == 1

    unknown = await client.get("/internal/dead-letters", params={"consumer": "nobody"})
    assert unknown.status_code == 404
    assert "nobody" in unknown.json()["detail"]
    assert (await client.get("/internal/dead-letters", params={"limit": 0})).status_code == 400
    bad = await client.post(
        "/internal/dead-letters/redrive", json={"consumer": "scoring", "ids": []}
    )
    assert bad.status_code == 400

    scoring.fixed = True
    first = letters[0]
    one = await client.post(
        "/internal/dead-letters/redrive", json={"consumer": "scoring", "ids": [first["id"]]}
    )
    assert one.status_code == 200, one.text
    assert one.json() == {"consumer": "scoring", "moved": 1, "not_found": []}

    async def first_handled() -> bool:
        return [str(e.event_id) for e in scoring.handled] == [first["event_id"]]

    await eventually(first_handled, "the redriven event")

    rest = await client.post("/internal/dead-letters/redrive", json={"consumer": "scoring"})
    assert rest.json()["moved"] == 2

    async def all_handled() -> bool:
        return len(scoring.handled) == 3

    await eventually(all_handled, "every redriven event")
    again = await client.post(
        "/internal/dead-letters/redrive", json={"consumer": "scoring", "ids": [first["id"]]}
    )
    assert again.json() == {"consumer": "scoring", "moved": 0, "not_found": [first["id"]]}

    async def empty() -> bool:
        body = (await client.get("/internal/dead-letters", params={"consumer": "scoring"})).json()
        return bool(body["queues"][0]["dead_letters"] == 0)

    await eventually(empty, "an empty dead-letter queue")


async def test_embedded_dead_letters_are_listed_and_redriven(tmp_path: Path) -> None:
    runtime = RuntimeSettings(data_dir=tmp_path, telemetry_exporter="inprocess")
    bus = InProcessBus(max_receive_count=2, retry_delay_seconds=0.01)
    scoring = Scoring()
    bus.subscribe("scoring", ArtifactUploaded, scoring.handle)
    events: list[Event] = [uploaded(f"m{i}") for i in range(3)]
    async with health_client(tmp_path, runtime, bus) as client:
        await bus.start()  # the launcher's job in embedded mode
        try:
            for event in events:
                await bus.publish(event)
            await exercise(client, scoring, events)
        finally:
            await bus.stop()


@pytest.mark.integration
async def test_distributed_health_reads_and_redrives_another_services_queue(
    tmp_path: Path, aws_endpoint: str
) -> None:
    runtime = RuntimeSettings(
        data_dir=tmp_path,
        telemetry_exporter="inprocess",
        bus_backend="sns-sqs",
        aws_endpoint_url=aws_endpoint,
        bus_prefix=f"t{uuid.uuid4().hex[:10]}",
        bus_wait_seconds=1,
    )
    # The scoring "process": its own bus with its own queue and DLQ.
    scoring_bus = SnsSqsBus(
        runtime, max_receive_count=2, retry_delay_seconds=0, wait_time_seconds=1, stop_timeout=5
    )
    scoring = Scoring()
    scoring_bus.subscribe("scoring", ArtifactUploaded, scoring.handle)
    await scoring_bus.start()
    events: list[Event] = [uploaded(f"m{i}") for i in range(3)]
    try:
        async with health_client(tmp_path, runtime, None) as client:
            for event in events:
                await scoring_bus.publish(event)
            await exercise(client, scoring, events)
    finally:
        await scoring_bus.stop()
