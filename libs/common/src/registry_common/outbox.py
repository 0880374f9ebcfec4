"""The transactional outbox: events stored with the rows that raised them, published after.

A unit of work (`registry_common.uow`) writes its events into the service's
`<service>_outbox` table in the same transaction as its rows. The relay, a background task
of the service, publishes committed, unsent rows in `seq` order and marks them sent. While
the bus is down a publish fails, the row stays unsent and the relay retries with a growing
backoff: nothing committed is lost, and nothing uncommitted is ever published. A crash
between the commit and the publish leaves the row unsent; the relay sends it after the
restart. Delivery is therefore at least once (a crash after the publish but before the row
is marked sends it again), and consumers de-duplicate by `event_id`
(`registry_common.consumed`).

The relay is woken as soon as a unit of work that recorded events commits, so an event
leaves within one database round trip of its commit; a slow poll picks up what another
replica (or a process that crashed) left behind. Several replicas may relay the same table:
each claims a batch with a lease (one conditional UPDATE, atomic on SQLite and PostgreSQL),
so they do not send the same rows concurrently; an expired lease (its relay died) is taken
over.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from registry_common.bus.port import EventBus
from registry_common.db import database_errors
from registry_common.errors import ComponentUnavailable, RegistryError
from registry_common.events import Event, event_from_message
from registry_common.telemetry import attached_context, extract_trace_context

_metadata = sa.MetaData()
_tables: dict[str, sa.Table] = {}
_MAX_ERROR = 500


def table_name(service: str) -> str:
    return f"{service}_outbox"


def _columns() -> list[Any]:
    return [
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True, index=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.String(_MAX_ERROR), nullable=True),
        sa.Column("lease_owner", sa.String(36), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
    ]


def table(service: str) -> sa.Table:
    """`service`'s outbox table (one definition for the code and the migrations)."""
    if service not in _tables:
        _tables[service] = sa.Table(table_name(service), _metadata, *_columns())
    return _tables[service]


def create_table(op: Any, service: str) -> None:
    """For a service's alembic migration: `create_table(op, "ingest")`."""
    op.create_table(table_name(service), *_columns())


def drop_table(op: Any, service: str) -> None:
    op.drop_table(table_name(service))


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Backlog:
    """What ops look at to see a stuck outbox: unsent events and the age of the oldest."""

    unsent: int
    oldest_unsent_seconds: float | None

    def as_json(self) -> dict[str, Any]:
        return {"unsent": self.unsent, "oldest_unsent_seconds": self.oldest_unsent_seconds}


class Outbox:
    """A service's outbox table: units of work add to it, the relay drains it."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        service: str,
        *,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.sessions = sessions
        self.service = service
        self.table = table(service)
        self.clock = clock
        self._wake = asyncio.Event()

    async def add(self, session: AsyncSession, events: Sequence[Event]) -> None:
        """Insert `events` in `session`'s transaction (they are sent only if it commits)."""
        if not events:
            return
        now = self.clock()
        rows = [
            {
                "event_id": str(event.event_id),
                "event_type": event.event_type,
                "payload": event.to_message(),
                "created_at": now,
                "attempts": 0,
            }
            for event in events
        ]
        await session.execute(sa.insert(self.table), rows)

    def notify(self) -> None:
        """A transaction with events committed: wake the relay now rather than at its poll."""
        self._wake.set()

    async def wait_for_news(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)
        self._wake.clear()

    async def backlog(self) -> Backlog:
        t = self.table
        statement = sa.select(sa.func.count(), sa.func.min(t.c.created_at)).where(
            t.c.sent_at.is_(None)
        )
        async with database_errors(), self.sessions() as session:
            count, oldest = (await session.execute(statement)).one()
        age = None if oldest is None else (self.clock() - _utc(oldest)).total_seconds()
        return Backlog(unsent=int(count), oldest_unsent_seconds=age)

    async def unsent(self) -> list[Event]:
        """The unsent events, oldest first (for tests and the ops page)."""
        t = self.table
        statement = sa.select(t.c.payload).where(t.c.sent_at.is_(None)).order_by(t.c.seq)
        async with database_errors(), self.sessions() as session:
            return [
                event_from_message(p, check_version=False)
                for (p,) in (await session.execute(statement)).all()
            ]


class OutboxRelay:
    """Publishes an outbox's committed, unsent events in order; retries while the bus is down.

    `poll_seconds`: how often it looks without being woken (rows left by a crash or another
    replica). `min_backoff`/`max_backoff`: the retry delay after a failed publish, doubling
    between the two. `lease_seconds`: how long a claimed batch is this relay's before another
    may take it over. `retention_seconds`: sent rows are deleted after this long (they are
    kept a while for an operator reading the table after an incident).
    """

    def __init__(
        self,
        outbox: Outbox,
        bus: EventBus,
        log: Any,
        *,
        poll_seconds: float = 2.0,
        min_backoff: float = 0.2,
        max_backoff: float = 5.0,
        lease_seconds: float = 30.0,
        batch: int = 100,
        retention_seconds: float = 3600.0,
    ) -> None:
        self.outbox = outbox
        self.bus = bus
        self.log = log
        self.poll_seconds = poll_seconds
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.lease_seconds = lease_seconds
        self.batch = batch
        self.retention_seconds = retention_seconds
        self.owner = str(uuid.uuid4())
        self._last_prune: datetime | None = None

    async def relay_once(self) -> int:
        """Publish what is unsent, in order; the number published. Raises (after putting the
        unsent rest back) when a publish fails: the caller backs off and tries again."""
        published = 0
        while True:
            rows = await self._claim()
            if not rows:
                break
            for seq, payload in rows:
                try:
                    # Forwarding only: a newer replica's event (a newer version, fields this
                    # code does not know) goes out as it was recorded.
                    event = event_from_message(payload, check_version=False)
                    # Published in the trace of the request that raised it (the relay runs
                    # outside it): one upload stays one trace across the processes.
                    with attached_context(extract_trace_context(event.trace_context or {})):
                        await self.bus.publish(event)
                except Exception as exc:
                    await self._release(seq, exc)
                    raise
                await self._mark_sent(seq)
                published += 1
            if len(rows) < self.batch:
                break
        await self._prune()
        return published

    async def run(self) -> None:
        """Relay until cancelled: after every wake-up, every poll, and after a backoff."""
        delay = self.min_backoff
        while True:
            try:
                await self.relay_once()
                delay = self.min_backoff
                await self.outbox.wait_for_news(self.poll_seconds)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.log.warning(
                    "outbox.relay.failed",
                    service=self.outbox.service,
                    error=type(exc).__name__,
                    detail=str(exc)[:_MAX_ERROR],
                    retry_in=delay,
                )
                # A commit meanwhile is worth an early attempt; otherwise wait out the delay.
                await self.outbox.wait_for_news(delay)
                delay = min(delay * 2, self.max_backoff)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Relay in the background for the duration of the block (a service's lifespan)."""
        task = asyncio.create_task(self.run(), name=f"{self.outbox.service}-outbox-relay")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            # Stopped between a claim and its release: give the batch back now, so that the
            # next process (or replica) need not wait for the lease to expire.
            await self._give_back()

    # ---------------------------------------------------------------- steps

    async def _claim(self) -> list[tuple[int, dict[str, Any]]]:
        t = self.outbox.table
        now = self.outbox.clock()
        free = sa.and_(
            t.c.sent_at.is_(None), sa.or_(t.c.lease_until.is_(None), t.c.lease_until < now)
        )
        batch = sa.select(t.c.seq).where(free).order_by(t.c.seq).limit(self.batch)
        # The outer WHERE repeats the condition: PostgreSQL re-checks it on a row another
        # relay claimed meanwhile (and skips it), where the subquery's snapshot would not.
        claim = (
            sa.update(t)
            .where(t.c.seq.in_(batch.scalar_subquery()), free)
            .values(
                lease_owner=self.owner,
                lease_until=now + timedelta(seconds=self.lease_seconds),
            )
            .execution_options(synchronize_session=False)
        )
        mine = (
            sa.select(t.c.seq, t.c.payload)
            .where(t.c.lease_owner == self.owner, t.c.sent_at.is_(None))
            .order_by(t.c.seq)
        )
        async with database_errors(), self.outbox.sessions.begin() as session:
            await session.execute(claim)
            return [(seq, payload) for seq, payload in (await session.execute(mine)).all()]

    async def _mark_sent(self, seq: int) -> None:
        t = self.outbox.table
        statement = (
            sa.update(t)
            .where(t.c.seq == seq)
            .values(
                sent_at=self.outbox.clock(),
                attempts=t.c.attempts + 1,
                lease_owner=None,
                lease_until=None,
            )
        )
        async with database_errors(), self.outbox.sessions.begin() as session:
            await session.execute(statement)

    async def _release(self, failed_seq: int, exc: Exception) -> None:
        """Count the failed attempt, and give back every row of this relay's batch."""
        t = self.outbox.table
        reason = exc.message if isinstance(exc, ComponentUnavailable) else repr(exc)
        try:
            async with database_errors(), self.outbox.sessions.begin() as session:
                await session.execute(
                    sa.update(t)
                    .where(t.c.seq == failed_seq)
                    .values(attempts=t.c.attempts + 1, last_error=reason[:_MAX_ERROR])
                )
        except ComponentUnavailable:
            # The database is down too: the leases expire by themselves.
            self.log.warning("outbox.release.failed", service=self.outbox.service)
            return
        await self._give_back()

    async def _give_back(self) -> None:
        t = self.outbox.table
        try:
            async with database_errors(), self.outbox.sessions.begin() as session:
                await session.execute(
                    sa.update(t)
                    .where(t.c.lease_owner == self.owner, t.c.sent_at.is_(None))
                    .values(lease_owner=None, lease_until=None)
                )
        except ComponentUnavailable:
            self.log.warning("outbox.release.failed", service=self.outbox.service)

    async def _prune(self) -> None:
        now = self.outbox.clock()
        if self._last_prune is not None and (now - self._last_prune).total_seconds() < 60:
            return
        self._last_prune = now
        t = self.outbox.table
        horizon = now - timedelta(seconds=self.retention_seconds)
        async with database_errors(), self.outbox.sessions.begin() as session:
            await session.execute(sa.delete(t).where(t.c.sent_at < horizon))


async def check_backlog(outbox: Outbox, stuck_after: float) -> dict[str, Any]:
    """A health check: the backlog as details; critical when the oldest unsent event has
    waited longer than `stuck_after` seconds (the bus is down, or the relay is stuck)."""
    backlog = await outbox.backlog()
    age = backlog.oldest_unsent_seconds
    if age is not None and age > stuck_after:
        raise OutboxStuck(backlog)
    return backlog.as_json()


class OutboxStuck(RegistryError):
    """The oldest unsent event has waited too long: the bus is down, or the relay is stuck."""

    status = 503
    code = "outbox_stuck"

    def __init__(self, backlog: Backlog) -> None:
        age = backlog.oldest_unsent_seconds or 0.0
        super().__init__(
            f"{backlog.unsent} events are waiting in the outbox, the oldest for {age:.0f} s: "
            "check that the event bus is reachable (they are sent once it is).",
            details=backlog.as_json(),
        )
        self.backlog = backlog
