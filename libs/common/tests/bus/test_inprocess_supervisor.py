"""Embedded mode's supervisor: a consumer's worker that crashes is started again, the message
it was handling is delivered again, and a message that crashes every worker is dead-lettered
instead of restarting the worker forever."""

from __future__ import annotations

import asyncio

import structlog.testing

from registry_common.bus.inprocess import InProcessBus
from registry_common.events import ArtifactRef, ArtifactUploaded, Event

REF = ArtifactRef(id="a1", name="bert", type="model")


class WorkerCrash(BaseException):
    """Escapes the dispatcher (which contains every Exception), as a crash of the worker."""


async def test_a_crashed_worker_is_restarted_and_the_message_delivered_again() -> None:
    handled: list[Event] = []
    crashes = 0

    async def crashes_once(event: Event) -> None:
        nonlocal crashes
        if crashes == 0:
            crashes += 1
            raise WorkerCrash
        handled.append(event)

    bus = InProcessBus(max_receive_count=3, retry_delay_seconds=0.01)
    bus.subscribe("lineage", ArtifactUploaded, crashes_once)
    await bus.start()
    first = bus._consumers["lineage"].worker
    with structlog.testing.capture_logs() as logs:
        events = [ArtifactUploaded(source="ingest", artifact=REF) for _ in range(3)]
        for event in events:
            await bus.publish(event)
        await bus.drain(timeout=5)
        await asyncio.sleep(0)
    # Exactly once each: the crashed delivery came back, nothing was lost or doubled.
    assert sorted(str(e.event_id) for e in handled) == sorted(str(e.event_id) for e in events)
    restarted = [r for r in logs if r["event"] == "bus.worker.restarted"]
    assert [r["consumer"] for r in restarted] == ["lineage"]
    assert "WorkerCrash" in restarted[0]["reason"]
    second = bus._consumers["lineage"].worker
    assert second is not None
    assert second is not first
    assert not second.done()
    await bus.stop()


async def test_a_cancelled_worker_is_restarted_but_a_stopped_bus_stays_stopped() -> None:
    handled: list[Event] = []

    async def record(event: Event) -> None:
        handled.append(event)

    bus = InProcessBus()
    bus.subscribe("scoring", ArtifactUploaded, record)
    await bus.start()
    worker = bus._consumers["scoring"].worker
    assert worker is not None
    worker.cancel()  # killed from outside, as a stray cancellation would
    await asyncio.sleep(0.01)
    assert bus._consumers["scoring"].worker is not worker
    await bus.publish(ArtifactUploaded(source="ingest", artifact=REF))
    await bus.drain(timeout=5)
    assert len(handled) == 1
    await bus.stop()
    assert bus._consumers["scoring"].worker is None


async def test_a_message_that_crashes_every_worker_is_dead_lettered() -> None:
    async def always_crashes(event: Event) -> None:
        raise WorkerCrash

    bus = InProcessBus(max_receive_count=2, retry_delay_seconds=0.01)
    bus.subscribe("lineage", ArtifactUploaded, always_crashes)
    await bus.start()
    await bus.publish(ArtifactUploaded(source="ingest", artifact=REF))
    await bus.drain(timeout=5)
    letters = await bus.dead_letters("lineage")
    await asyncio.sleep(0)  # the supervisor runs as the crashed task's done callback
    assert [(d.receive_count, "worker crashed" in (d.reason or "")) for d in letters] == [(2, True)]
    worker = bus._consumers["lineage"].worker
    assert worker is not None
    assert not worker.done()  # the consumer still listens
    await bus.stop()
