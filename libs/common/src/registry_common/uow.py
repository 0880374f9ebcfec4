"""Unit of work: one use case's rows and the events it raises, committed in one transaction.

A use case opens a unit of work, calls its repositories (bound to the unit's session, so
their writes join its transaction instead of committing on their own), records the events
it raises, and commits. The events go into the service's outbox table in the same
transaction (`registry_common.outbox`); the relay publishes them after the commit. Either
the rows and their events are both stored, or neither is: nothing is published for a
change that did not commit, and nothing committed goes unannounced.

    async with self._uow() as uow:
        await uow.catalog.remove(row.id)
        await uow.audit.forget(row.id)
        uow.record(ArtifactDeleted(...))
        await uow.commit()

Leaving the block without `commit()` (an exception, or an early return) rolls everything
back. A multi-step use case (several creates, updates and deletes applied at once) runs all
its steps inside one block and commits once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import TracebackType
from typing import Protocol, Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from registry_common.db import database_errors
from registry_common.events import Event
from registry_common.outbox import Outbox


class Sessions(Protocol):
    """What a repository needs: `sessions()` for reads, `sessions.begin()` for a write.

    An `async_sessionmaker` is one (each call its own session and transaction); a unit of
    work's `BoundSessions` is another (every call the unit's one session and transaction).
    """

    def __call__(self) -> AbstractAsyncContextManager[AsyncSession]: ...

    def begin(self) -> AbstractAsyncContextManager[AsyncSession]: ...


class BoundSessions:
    """`Sessions` that hand out one open session and never commit or close it: a repository
    built on it writes inside the unit of work's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def __call__(self) -> AbstractAsyncContextManager[AsyncSession]:
        return self._use()

    def begin(self) -> AbstractAsyncContextManager[AsyncSession]:
        return self._use(flush=True)

    @asynccontextmanager
    async def _use(self, *, flush: bool = False) -> AsyncIterator[AsyncSession]:
        yield self._session
        if flush:
            # Send the statements now, so a constraint violation surfaces at the repository
            # call that caused it (where it is translated, e.g. into DuplicateId).
            await self._session.flush()


class UnitOfWork:
    """A transaction over the service's database plus the events recorded in it.

    Subclasses bind their repositories in `bind(sessions)`; `record(event)` queues an event
    for the outbox; `commit()` writes the queued events to the outbox table and commits the
    lot, then wakes the relay. `committed` and `events` are what a test inspects (a fake
    unit of work offers the same two).
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], outbox: Outbox) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self._session: AsyncSession | None = None
        self.events: list[Event] = []
        self.committed = False

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("a unit of work is used inside `async with` only")
        return self._session

    def bind(self, sessions: Sessions) -> None:
        """Build this unit's repositories on `sessions` (overridden by each service)."""

    def record(self, event: Event) -> None:
        """Publish `event` if, and only if, this unit of work commits."""
        self.events.append(event)

    async def commit(self) -> None:
        async with database_errors():
            await self._outbox.add(self.session, self.events)
            await self.session.commit()
        self.committed = True
        if self.events:
            self._outbox.notify()

    async def rollback(self) -> None:
        await self.session.rollback()

    async def __aenter__(self) -> Self:
        self._session = self._sessions()
        self.events = []
        self.committed = False
        self.bind(BoundSessions(self._session))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self.session, None
        try:
            if not self.committed:
                await session.rollback()
        except Exception:
            if exc is None:
                raise
            # The database failing during the rollback of a failed use case: the use
            # case's own error is the one to report (the transaction is gone either way).
        finally:
            await session.close()
