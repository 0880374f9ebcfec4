"""The consumer ledger on SQLite and a real PostgreSQL: an event's handler runs once even
when the event comes again, or the ledger is a new instance (a restart); two copies at once
in one process are serialised by the bus's dispatcher, not here;
deleted artifacts are remembered inside the caller's transaction."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from registry_auth.app import MIGRATIONS as AUTH_MIGRATIONS
from registry_common.consumed import ConsumerLedger, tables
from registry_common.db import create_engine, run_migrations, session_factory
from registry_common.events import ArtifactDeleted, ArtifactRef, Event, RegistryReset
from registry_common.outbox import Outbox
from registry_common.uow import UnitOfWork
from registry_scoring.app import MIGRATIONS as SCORING_MIGRATIONS


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


async def test_a_handler_runs_once_per_event_id(url: str) -> None:
    engine = create_engine(url)
    try:
        # The auth service's migrations create its ledger tables (auth_processed_events...).
        await run_migrations(engine, AUTH_MIGRATIONS, version_table="alembic_auth")
        sessions = session_factory(engine)
        handled: list[Event] = []

        async def handler(event: Event) -> None:
            handled.append(event)

        event = RegistryReset(source="gateway")
        once = ConsumerLedger(sessions, "auth").once(handler)
        await once(event)
        await once(event)
        await ConsumerLedger(sessions, "auth").once(handler)(event)  # "after a restart"
        assert handled == [event]

        other = RegistryReset(source="gateway")
        await once(other)
        assert handled == [event, other]

        async def failing(event: Event) -> None:
            raise RuntimeError("not now")

        retried = ArtifactDeleted(
            source="ingest", artifact=ArtifactRef(id="a", name="a", type="model")
        )
        with pytest.raises(RuntimeError):
            await ConsumerLedger(sessions, "auth").once(failing)(retried)
        await once(retried)  # a failed attempt is not remembered: the retry runs
        assert handled[-1] == retried
    finally:
        await engine.dispose()


async def test_forgotten_artifacts_are_remembered_in_the_callers_transaction(url: str) -> None:
    engine = create_engine(url)
    try:
        await run_migrations(engine, AUTH_MIGRATIONS, version_table="alembic_auth")
        sessions = session_factory(engine)
        ledger = ConsumerLedger(sessions, "auth")
        async with sessions.begin() as session:
            await ledger.forget("gone", session)
            await ledger.forget("gone", session)  # twice: still one tombstone
        async with sessions() as session:
            assert await ledger.is_forgotten("gone", session)
            assert not await ledger.is_forgotten("here", session)

        async def removal_that_fails() -> None:
            async with sessions.begin() as session:
                await ledger.forget("rolled-back", session)
                raise RuntimeError("the removal failed")

        with pytest.raises(RuntimeError):
            await removal_that_fails()
        async with sessions() as session:
            assert not await ledger.is_forgotten("rolled-back", session)
    finally:
        await engine.dispose()


# ---------------------------------------------------------------- exactly once in effect


class Effects:
    """A deliberately non-idempotent handler: every run that commits adds one tombstone with
    a fresh id, so the number of "applied-" rows is the number of times it took effect."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], ledger: ConsumerLedger):
        self.sessions = sessions
        self.ledger = ledger
        self.crash_before_commit = False
        self.crash_after_commit = False

    async def handler(self, event: Event) -> None:
        async with self.sessions.begin() as session:
            await self.ledger.forget(f"applied-{uuid.uuid4()}", session)
            if self.crash_before_commit:
                raise RuntimeError("the process died before COMMIT")
        if self.crash_after_commit:
            # Where the ledger used to be written, in a transaction of its own.
            raise RuntimeError("the process died after COMMIT")

    async def applied(self) -> int:
        _, forgotten = tables("auth")
        statement = sa.select(sa.func.count()).where(forgotten.c.artifact_id.like("applied-%"))
        async with self.sessions() as session:
            return int((await session.execute(statement)).scalar_one())


@pytest.fixture
async def effects(url: str) -> AsyncIterator[Effects]:
    engine = create_engine(url)
    await run_migrations(engine, AUTH_MIGRATIONS, version_table="alembic_auth")
    sessions = session_factory(engine)
    yield Effects(sessions, ConsumerLedger(sessions, "auth"))
    await engine.dispose()


async def test_a_crash_before_the_handlers_commit_applies_nothing_and_the_retry_once(
    effects: Effects,
) -> None:
    event = RegistryReset(source="gateway")
    once = effects.ledger.once(effects.handler)
    effects.crash_before_commit = True
    with pytest.raises(RuntimeError):
        await once(event)
    assert await effects.applied() == 0
    assert not await effects.ledger.seen(event.event_id)

    effects.crash_before_commit = False
    await once(event)  # the redelivery
    await once(event)  # and another one
    assert await effects.applied() == 1
    assert await effects.ledger.seen(event.event_id)


async def test_the_ledger_entry_commits_with_the_handlers_effects(effects: Effects) -> None:
    event = RegistryReset(source="gateway")
    effects.crash_after_commit = True
    with pytest.raises(RuntimeError):
        await effects.ledger.once(effects.handler)(event)
    # The effect committed, and "handled" with it: the redelivery is skipped, so the
    # non-idempotent handler does not apply twice.
    assert await effects.ledger.seen(event.event_id)
    effects.crash_after_commit = False
    await ConsumerLedger(effects.sessions, "auth").once(effects.handler)(event)  # restarted
    assert await effects.applied() == 1


async def test_two_copies_handled_at_once_take_effect_once(effects: Effects) -> None:
    event = RegistryReset(source="gateway")
    both_past_the_check = asyncio.Barrier(2)
    one_writer = asyncio.Lock()  # SQLite has one writer at a time; PostgreSQL would block

    async def handler(event: Event) -> None:
        await both_past_the_check.wait()
        async with one_writer:
            await effects.handler(event)

    once = effects.ledger.once(handler)
    outcomes = await asyncio.gather(once(event), once(event), return_exceptions=True)
    # The second COMMIT hit the first one's ledger row and rolled its effect back; the bus
    # retries that message, and the ledger then skips it.
    assert sum(isinstance(o, IntegrityError) for o in outcomes) == 1, outcomes
    await once(event)
    assert await effects.applied() == 1


async def test_a_handler_that_writes_nothing_is_recorded_after_it_returns(
    effects: Effects,
) -> None:
    event = RegistryReset(source="gateway")
    calls: list[Event] = []

    async def external_only(event: Event) -> None:
        calls.append(event)

    await effects.ledger.once(external_only)(event)
    await effects.ledger.once(external_only)(event)
    assert calls == [event]


async def test_a_unit_of_works_events_and_the_ledger_entry_commit_together(url: str) -> None:
    # Scoring's migrations create its outbox and ledger tables.
    engine = create_engine(url)
    try:
        await run_migrations(engine, SCORING_MIGRATIONS, version_table="alembic_scoring")
        sessions = session_factory(engine)
        ledger = ConsumerLedger(sessions, "scoring")
        outbox = Outbox(sessions, "scoring")
        incoming = ArtifactDeleted(
            source="ingest", artifact=ArtifactRef(id="m", name="m", type="model")
        )
        raised = RegistryReset(source="scoring")

        async def handler(event: Event, *, fail: bool) -> None:
            async with UnitOfWork(sessions, outbox) as uow:
                uow.record(raised)
                if fail:
                    raise RuntimeError("failed before commit")
                await uow.commit()

        with pytest.raises(RuntimeError):
            await ledger.once(lambda e: handler(e, fail=True))(incoming)
        assert await outbox.unsent() == []
        assert not await ledger.seen(incoming.event_id)
        await ledger.once(lambda e: handler(e, fail=False))(incoming)
        await ledger.once(lambda e: handler(e, fail=False))(incoming)
        assert [e.event_id for e in await outbox.unsent()] == [raised.event_id]
        assert await ledger.seen(incoming.event_id)
    finally:
        await engine.dispose()
