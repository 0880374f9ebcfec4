"""The consumer ledger on SQLite and a real PostgreSQL: an event's handler runs once even
when the event comes again, or the ledger is a new instance (a restart); two copies at once
in one process are serialised by the bus's dispatcher, not here;
deleted artifacts are remembered inside the caller's transaction."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry_auth.app import MIGRATIONS as AUTH_MIGRATIONS
from registry_common.consumed import ConsumerLedger
from registry_common.db import create_engine, run_migrations, session_factory
from registry_common.events import ArtifactDeleted, ArtifactRef, Event, RegistryReset


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
