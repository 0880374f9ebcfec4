"""Ingest's real app on SQLite with its outbox relay: a bus outage does not fail a create (the
event waits in the outbox, visible in the health report, and is delivered once the bus is
back); events committed before a crash are delivered by the restarted process. (Redelivered
events, to every consumer and across restarts: tests/consumers/test_idempotent_consumers.py.)"""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from registry_common.bus.inprocess import InProcessBus
from registry_common.errors import ComponentUnavailable
from registry_common.events import ArtifactUploaded, Event
from registry_common.internal_token import generate_internal_token, internal_token_headers
from registry_common.settings import RuntimeSettings
from registry_common.telemetry import get_logger
from registry_ingest.app import create_app
from registry_ingest.config import IngestSettings


class SwitchableBus(InProcessBus):
    """The in-process bus, whose publish fails like a cut SNS while `down`."""

    down = False

    async def publish(self, event: Event) -> None:
        if self.down:
            raise ComponentUnavailable("event bus", "ConnectError")
        await super().publish(event)


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.md", "# tool\n")
        archive.writestr("main.py", "print('hi')\n")
    return buffer.getvalue()


class World:
    def __init__(self, tmp_path: Path) -> None:
        self.runtime = RuntimeSettings(
            data_dir=tmp_path,
            telemetry_exporter="none",
            internal_token=generate_internal_token(),
            hf_endpoint="http://127.0.0.1:9",
            github_api_url="http://127.0.0.1:9",
            outbox_poll_seconds=0.2,
            outbox_max_backoff_seconds=0.2,
        )
        self.uploaded: list[ArtifactUploaded] = []

    def bus(self) -> SwitchableBus:
        bus = SwitchableBus(logger=get_logger("test"))

        async def observe(event: ArtifactUploaded) -> None:
            self.uploaded.append(event)

        bus.subscribe("observer", ArtifactUploaded, observe)
        return bus

    @asynccontextmanager
    async def ingest(self, bus: SwitchableBus) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(IngestSettings(runtime=self.runtime, rating_wait_seconds=0), bus=bus)
        async with app.router.lifespan_context(app):
            await bus.start()
            try:
                async with httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app),
                    base_url="http://ingest",
                    headers=internal_token_headers(self.runtime.internal_token),
                ) as client:
                    yield client
            finally:
                await bus.drain(timeout=5)
                await bus.stop()


async def upload(client: httpx.AsyncClient) -> dict[str, Any]:
    answer = await client.post(
        "/internal/artifacts/code/upload",
        files={"file": ("tool.zip", _zip(), "application/zip")},
        headers={"X-Registry-User": "alice"},
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert body["status"] == 201
    metadata: dict[str, Any] = body["artifact"]["metadata"]
    return metadata


async def outbox_health(client: httpx.AsyncClient) -> dict[str, Any]:
    body = (await client.get("/internal/health")).json()
    entry: dict[str, Any] = body["components"]["event outbox"]
    return entry


async def eventually(condition: Any, timeout: float = 20) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


async def test_an_outage_keeps_the_event_and_delivers_it_once_the_bus_is_back(
    world: World,
) -> None:
    bus = world.bus()
    async with world.ingest(bus) as client:
        bus.down = True
        artifact = await upload(client)  # stored: the bus is not needed to commit
        listed = await client.get(f"/internal/artifacts/code/{artifact['id']}")
        assert listed.status_code == 200
        await asyncio.sleep(0.5)  # the relay tried, and failed, a few times
        waiting = await outbox_health(client)
        assert waiting["status"] == "ok"
        assert waiting["unsent"] == 1
        assert waiting["oldest_unsent_seconds"] >= 0.4
        assert world.uploaded == []

        bus.down = False

        async def delivered() -> bool:
            return bool(world.uploaded)

        await eventually(delivered)
        assert (await outbox_health(client))["unsent"] == 0
    assert [e.artifact.id for e in world.uploaded] == [artifact["id"]]


async def test_events_left_by_a_crash_are_delivered_by_the_restarted_process(
    world: World,
) -> None:
    down = world.bus()
    down.down = True
    async with world.ingest(down) as client:  # the process "dies" with its event unsent
        artifact = await upload(client)
    assert world.uploaded == []

    async with world.ingest(world.bus()) as client:

        async def delivered() -> bool:
            return bool(world.uploaded)

        await eventually(delivered)
        assert (await outbox_health(client))["unsent"] == 0
    assert [e.artifact.id for e in world.uploaded] == [artifact["id"]]
