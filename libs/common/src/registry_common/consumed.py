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

The ledger entry commits with the handler's own writes. While `once` runs a handler, the
first transaction the handler commits on its service's database (a unit of work, or a
store's `sessions.begin()`) also inserts the event's `<service>_processed_events` row, just
before its COMMIT (a `before_commit` hook on the service's sessions): the effect and "handled"
are stored together or not at all. A crash (or an exception) before that commit leaves
neither, and the redelivery applies the handler once; a redelivery after it is skipped. Two
copies handled at once by two replicas both insert the same primary key: the second COMMIT
fails, its transaction (its effects) rolls back, and its message is retried and then
skipped. So a handler whose effects are in its own database need not be idempotent.

What the hook cannot cover: effects outside the database (a blob deleted, an HTTP call) and
writes in a second transaction of the same handler (after the first committed, the event
counts as handled). Handlers keep such steps idempotent, or do all their writes in one
transaction. A handler that commits nothing (it only skipped the event, or only called
something external) is recorded by `once` after it returns, in a transaction of its own, as
before (docs/events.md lists which handler is which).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

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


@dataclass
class _Handling:
    """The event a handler of `ledger` is running for (in this task's context), and whether
    one of the handler's transactions committed its processed row already."""

    ledger: ConsumerLedger
    event: Event
    claimed: bool = False
    claiming: Session | None = None


_handling: ContextVar[_Handling | None] = ContextVar("registry_consumed_handling", default=None)


def _ours(session: Session) -> _Handling | None:
    handling = _handling.get()
    if handling is None or session.bind is not handling.ledger.sync_engine:
        return None
    return handling


def _claim_before_commit(session: Session) -> None:
    """Any session's `before_commit`: in a transaction of a handler run by `once`, on that
    ledger's database, insert the event's processed row (in the handler's first committed
    transaction only; a later one of the same handler adds nothing)."""
    handling = _ours(session)
    if handling is None or handling.claimed:
        return
    handling.ledger.claim(session, handling.event)
    handling.claiming = session


def _claimed_after_commit(session: Session) -> None:
    handling = _ours(session)
    if handling is not None and handling.claiming is session:
        handling.claimed, handling.claiming = True, None


def _install_hooks() -> None:
    # Listeners on the Session class, idle outside a handler: sessions are created by the
    # services' sessionmakers (and units of work), which know nothing of the ledger. A
    # failed commit never reaches `after_commit`, so its claim does not count.
    for name, hook in (
        ("before_commit", _claim_before_commit),
        ("after_commit", _claimed_after_commit),
    ):
        if not sa_event.contains(Session, name, hook):
            sa_event.listen(Session, name, hook)


class ConsumerLedger:
    """One service's processed events and forgotten artifacts."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], service: str) -> None:
        self._sessions = sessions
        self.service = service
        self._processed, self._forgotten = tables(service)
        bind = sessions.kw.get("bind")
        self.sync_engine = getattr(bind, "sync_engine", None)
        _install_hooks()

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

    def claim(self, session: Session, event: Event) -> None:
        """Insert `event`'s processed row in `session`'s transaction. Runs inside the commit
        of an async session (SQLAlchemy's greenlet), hence the synchronous call.

        A plain INSERT, no "unless present": when a concurrent copy of the event (another
        replica, a redelivery that overtook this one) committed first, the primary key
        makes this COMMIT fail, and this copy's effects roll back with it (its message is
        then retried, and skipped)."""
        session.execute(
            sa.insert(self._processed).values(
                event_id=str(event.event_id),
                event_type=event.event_type,
                processed_at=datetime.now(UTC),
            )
        )

    def once(self, handler: Callable[[Any], Awaitable[None]]) -> Callable[[Any], Awaitable[None]]:
        """`handler`, skipped for events this service already handled; its first committed
        transaction records the event with its effects (see the module's docstring)."""

        async def handle_once(event: Event) -> None:
            if await self.seen(event.event_id):
                return
            token = _handling.set(_Handling(self, event))
            try:
                await handler(event)
            finally:
                _handling.reset(token)
            # Recorded already when the handler committed a transaction (then this insert
            # is a no-op); a handler that wrote nothing is recorded here.
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
