"""Durable memory of a consuming service: which events it handled, which artifacts it forgot.

Delivery is at least once and in no particular order. Each consuming service keeps, in its
own database (tables prefixed with its name, created by its own migrations through
`create_tables`):

- `<service>_processed_events`: the `event_id` of every event its handlers finished. A
  redelivered event (SQS twice, a redrive, a publisher retrying, another replica, a restart:
  what the bus's in-memory LRU cannot see) is acknowledged without running the handler
  again, so a model is not re-rated and no second ArtifactScored is published.
- `<service>_forgotten_artifacts`: artifacts an ArtifactDeleted removed. Artifact ids are
  never reused, so an ArtifactUploaded/Updated that arrives after the delete (out of order,
  or redriven) is ignored instead of bringing the artifact back. A registry reset keeps
  them: an event of a pre-reset artifact still in flight must not resurrect it either.

The ledger entry is written after the handler committed, in its own transaction: a crash in
between runs the handler once more, so handlers stay idempotent; the ledger saves the work
and the duplicate side effects, it does not replace idempotence.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from registry_common.db import database_errors
from registry_common.events import Event

_metadata = sa.MetaData()
_tables: dict[str, tuple[sa.Table, sa.Table]] = {}


def _columns_processed() -> list[sa.Column[Any]]:
    return [
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _columns_forgotten() -> list[sa.Column[Any]]:
    return [
        sa.Column("artifact_id", sa.String(64), primary_key=True),
        sa.Column("forgotten_at", sa.DateTime(timezone=True), nullable=False),
    ]


def table_names(service: str) -> tuple[str, str]:
    return f"{service}_processed_events", f"{service}_forgotten_artifacts"


def tables(service: str) -> tuple[sa.Table, sa.Table]:
    """The two tables of `service` (one definition for the code and the migrations)."""
    if service not in _tables:
        processed, forgotten = table_names(service)
        _tables[service] = (
            sa.Table(processed, _metadata, *_columns_processed()),
            sa.Table(forgotten, _metadata, *_columns_forgotten()),
        )
    return _tables[service]


def create_tables(op: Any, service: str) -> None:
    """For a service's alembic migration: `create_tables(op, "scoring")`."""
    processed, forgotten = table_names(service)
    op.create_table(processed, *_columns_processed())
    op.create_table(forgotten, *_columns_forgotten())


def drop_tables(op: Any, service: str) -> None:
    for name in table_names(service):
        op.drop_table(name)


class ConsumerLedger:
    """One service's processed events and forgotten artifacts."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], service: str) -> None:
        self._sessions = sessions
        self.service = service
        self._processed, self._forgotten = tables(service)

    # ------------------------------------------------------------ events

    async def seen(self, event_id: uuid.UUID) -> bool:
        statement = sa.select(self._processed.c.event_id).where(
            self._processed.c.event_id == str(event_id)
        )
        async with database_errors(), self._sessions() as session:
            return (await session.execute(statement)).first() is not None

    async def record(self, event: Event) -> None:
        """Remember `event` as handled (a second record of the same id is a no-op)."""
        row = {
            "event_id": str(event.event_id),
            "event_type": event.event_type,
            "processed_at": datetime.now(UTC),
        }
        try:
            async with database_errors(), self._sessions.begin() as session:
                await session.execute(sa.insert(self._processed).values(**row))
        except IntegrityError:
            return  # another replica (or a concurrent copy) recorded it first

    def once(self, handler: Callable[[Any], Awaitable[None]]) -> Callable[[Any], Awaitable[None]]:
        """`handler`, skipped for events this service already handled."""

        async def handle_once(event: Event) -> None:
            if await self.seen(event.event_id):
                return
            await handler(event)
            await self.record(event)

        return handle_once

    # ------------------------------------------------------------ artifacts

    async def forget(self, artifact_id: str, session: AsyncSession) -> None:
        """Mark `artifact_id` deleted, inside the caller's transaction (with its removal)."""
        exists = await session.execute(
            sa.select(self._forgotten.c.artifact_id).where(
                self._forgotten.c.artifact_id == artifact_id
            )
        )
        if exists.first() is None:
            await session.execute(
                sa.insert(self._forgotten).values(
                    artifact_id=artifact_id, forgotten_at=datetime.now(UTC)
                )
            )

    async def is_forgotten(self, artifact_id: str, session: AsyncSession) -> bool:
        statement = sa.select(self._forgotten.c.artifact_id).where(
            self._forgotten.c.artifact_id == artifact_id
        )
        return (await session.execute(statement)).first() is not None
