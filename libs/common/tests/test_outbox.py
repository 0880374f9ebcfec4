"""The unit of work and the outbox relay against a real SQLite file and a real PostgreSQL:
rows and events commit together or not at all; the relay publishes committed events in
order, once each, keeps them while the bus is down, sends what a crashed process left, and
reports its backlog."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from registry_common.bus.inprocess import InProcessBus
from registry_common.db import create_engine, session_factory
from registry_common.errors import ComponentUnavailable
from registry_common.events import ArtifactDeleted, ArtifactRef, Event
from registry_common.outbox import Outbox, OutboxRelay, OutboxStuck, check_backlog, table
from registry_common.telemetry import get_logger
from registry_common.uow import Sessions, UnitOfWork

SERVICE = "outboxtest"
_things = sa.Table("outboxtest_things", sa.MetaData(), sa.Column("id", sa.String(20)))


class Things:
    """A repository in the style of the services': a sessions factory, one write method."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    async def add(self, id_: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(sa.insert(_things).values(id=id_))

    async def ids(self) -> list[str]:
        async with self._sessions() as session:
            return sorted(r for (r,) in (await session.execute(sa.select(_things.c.id))).all())


class ThingsUnitOfWork(UnitOfWork):
    things: Things

    def bind(self, sessions: Sessions) -> None:
        self.things = Things(sessions)


class SwitchableBus:
    """The in-process bus behind a switch: while `down`, publishing fails like a cut SNS."""

    def __init__(self) -> None:
        self.bus = InProcessBus(logger=get_logger("test"))
        self.down = False
        self.received: list[Event] = []

        async def receive(event: ArtifactDeleted) -> None:
            self.received.append(event)

        self.bus.subscribe("observer", ArtifactDeleted, receive)

    async def publish(self, event: Event) -> None:
        if self.down:
            raise ComponentUnavailable("event bus", "ConnectError")
        await self.bus.publish(event)

    async def settle(self) -> list[str]:
        await self.bus.drain(timeout=5)
        return [e.artifact.id for e in self.received]  # type: ignore[attr-defined]


def deleted(artifact_id: str) -> ArtifactDeleted:
    return ArtifactDeleted(
        source="test", artifact=ArtifactRef(id=artifact_id, name=artifact_id, type="model")
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'outbox.sqlite3'}"
    else:
        url = str(request.getfixturevalue("postgres_url"))
    the_engine = create_engine(url)
    async with the_engine.begin() as conn:  # a new, empty database (file or server)
        await conn.run_sync(table(SERVICE).create)
        await conn.run_sync(_things.create)
    yield the_engine
    await the_engine.dispose()


@pytest.fixture
async def bus() -> AsyncIterator[SwitchableBus]:
    switchable = SwitchableBus()
    await switchable.bus.start()
    yield switchable
    await switchable.bus.stop()


def relay_for(outbox: Outbox, bus: SwitchableBus, **options: float) -> OutboxRelay:
    return OutboxRelay(
        outbox,
        bus,  # type: ignore[arg-type]
        get_logger("test"),
        min_backoff=0.05,
        max_backoff=0.2,
        **options,  # type: ignore[arg-type]
    )


async def until(condition: Callable[[], Awaitable[bool]], timeout: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "the condition never held"
        await asyncio.sleep(0.01)


async def commit(outbox: Outbox, *ids: str) -> None:
    async with ThingsUnitOfWork(outbox.sessions, outbox) as uow:
        for id_ in ids:
            await uow.things.add(id_)
            uow.record(deleted(id_))
        await uow.commit()


async def test_rows_and_events_commit_together_or_not_at_all(
    engine: AsyncEngine, bus: SwitchableBus
) -> None:
    outbox = Outbox(session_factory(engine), SERVICE)
    await commit(outbox, "a", "b")

    async def failing_use_case() -> None:
        async with ThingsUnitOfWork(outbox.sessions, outbox) as uow:
            await uow.things.add("c")
            uow.record(deleted("c"))
            raise RuntimeError("the use case failed before its commit")

    with pytest.raises(RuntimeError):
        await failing_use_case()
    async with ThingsUnitOfWork(outbox.sessions, outbox) as uow:
        await uow.things.add("d")
        uow.record(deleted("d"))
        # leaving without commit(): an early return rolls back too
    assert uow.committed is False

    assert await Things(outbox.sessions).ids() == ["a", "b"]
    assert [e.artifact.id for e in await outbox.unsent()] == ["a", "b"]  # type: ignore[attr-defined]
    assert await relay_for(outbox, bus).relay_once() == 2
    assert await bus.settle() == ["a", "b"]
    assert (await outbox.backlog()).unsent == 0


async def test_bus_down_keeps_events_and_sends_them_in_order_once_it_is_back(
    engine: AsyncEngine, bus: SwitchableBus
) -> None:
    outbox = Outbox(session_factory(engine), SERVICE)
    relay = relay_for(outbox, bus)
    bus.down = True
    await commit(outbox, "first")
    await commit(outbox, "second")
    with pytest.raises(ComponentUnavailable):
        await relay.relay_once()
    backlog = await outbox.backlog()
    assert backlog.unsent == 2
    assert backlog.oldest_unsent_seconds is not None
    t = outbox.table
    async with outbox.sessions() as session:
        attempts, error, owner = (
            await session.execute(
                sa.select(t.c.attempts, t.c.last_error, t.c.lease_owner).order_by(t.c.seq)
            )
        ).first()  # type: ignore[misc]
    assert attempts == 1
    assert "event bus" in error
    assert owner is None  # the failed batch was given back, not left leased

    bus.down = False
    assert await relay.relay_once() == 2
    assert await bus.settle() == ["first", "second"]
    assert await relay.relay_once() == 0  # marked sent: never again


async def test_running_relay_retries_while_down_and_is_woken_by_commits(
    engine: AsyncEngine, bus: SwitchableBus
) -> None:
    outbox = Outbox(session_factory(engine), SERVICE)
    # A poll far longer than the test: only the commit's wake-up can explain fast delivery.
    relay = relay_for(outbox, bus, poll_seconds=60)
    async with relay.running():
        await asyncio.sleep(0.05)
        await commit(outbox, "fast")

        async def received() -> bool:
            return bool(bus.received)

        await until(received, timeout=20)
        assert await bus.settle() == ["fast"]

        bus.down = True
        await commit(outbox, "during-outage")
        await asyncio.sleep(0.3)  # several failed attempts (backoff 0.05 .. 0.2 s)
        assert (await outbox.backlog()).unsent == 1
        bus.down = False

        async def all_sent() -> bool:
            return (await outbox.backlog()).unsent == 0

        await until(all_sent, timeout=20)
    assert await bus.settle() == ["fast", "during-outage"]


async def test_events_committed_before_a_crash_are_sent_after_the_restart(
    engine: AsyncEngine, bus: SwitchableBus
) -> None:
    """The process dies between the commit and the publish (here: its relay never ran, and
    the batch it had claimed is still leased); the restarted process's relay sends them."""
    outbox = Outbox(session_factory(engine), SERVICE)
    await commit(outbox, "x", "y")
    crashed = relay_for(outbox, bus, lease_seconds=0.2)
    assert await crashed._claim()  # claimed, then the process died before publishing

    restarted = relay_for(Outbox(session_factory(engine), SERVICE), bus)
    assert await restarted.relay_once() == 0  # the dead relay's lease still holds
    await asyncio.sleep(0.25)
    assert await restarted.relay_once() == 2
    assert await bus.settle() == ["x", "y"]


async def test_two_relays_never_send_the_same_event_concurrently(
    engine: AsyncEngine, bus: SwitchableBus
) -> None:
    outbox = Outbox(session_factory(engine), SERVICE)
    for batch in range(5):
        await commit(outbox, *(f"e{batch}-{i}" for i in range(4)))
    one, two = relay_for(outbox, bus, batch=3), relay_for(outbox, bus, batch=3)
    counts = await asyncio.gather(one.relay_once(), two.relay_once())
    assert sum(counts) == 20
    received = await bus.settle()
    assert sorted(received) == sorted(f"e{b}-{i}" for b in range(5) for i in range(4))
    assert len(received) == len(set(received))


async def test_health_reports_the_backlog_and_a_stuck_outbox(engine: AsyncEngine) -> None:
    now = [datetime(2026, 1, 1, 12, 0, tzinfo=UTC)]
    outbox = Outbox(session_factory(engine), SERVICE, clock=lambda: now[0])
    assert await check_backlog(outbox, stuck_after=60) == {
        "unsent": 0,
        "oldest_unsent_seconds": None,
    }
    await commit(outbox, "waiting")
    now[0] += timedelta(seconds=30)
    assert await check_backlog(outbox, stuck_after=60) == {
        "unsent": 1,
        "oldest_unsent_seconds": 30.0,
    }
    now[0] += timedelta(seconds=60)
    with pytest.raises(OutboxStuck) as stuck:
        await check_backlog(outbox, stuck_after=60)
    assert stuck.value.status == 503
    assert "1 events are waiting in the outbox, the oldest for 90 s" in stuck.value.message
    assert stuck.value.details == {"unsent": 1, "oldest_unsent_seconds": 90.0}


async def test_sent_rows_are_pruned_after_the_retention(
    engine: AsyncEngine, bus: SwitchableBus
) -> None:
    outbox = Outbox(session_factory(engine), SERVICE)
    await commit(outbox, "old")
    relay = relay_for(outbox, bus, retention_seconds=0)
    assert await relay.relay_once() == 1
    relay._last_prune = None
    await relay.relay_once()
    async with outbox.sessions() as session:
        assert (
            await session.execute(sa.select(sa.func.count()).select_from(outbox.table))
        ).scalar() == 0
