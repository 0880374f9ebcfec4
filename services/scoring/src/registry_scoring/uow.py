"""Scoring's unit of work: the ratings of one transaction and the ArtifactScored events it
raises (written to scoring's outbox with them; `registry_common.uow`)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from registry_common.consumed import ConsumerLedger
from registry_common.outbox import Outbox
from registry_common.uow import Sessions, UnitOfWork
from registry_scoring.store import RatingStore


class ScoringUnitOfWork(UnitOfWork):
    store: RatingStore

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        outbox: Outbox,
        ledger: ConsumerLedger,
    ) -> None:
        super().__init__(sessions, outbox)
        self._ledger = ledger

    def bind(self, sessions: Sessions) -> None:
        self.store = RatingStore(sessions, self._ledger)


UnitOfWorkFactory = Callable[[], ScoringUnitOfWork]


def unit_of_work_factory(
    sessions: async_sessionmaker[AsyncSession], outbox: Outbox, ledger: ConsumerLedger
) -> UnitOfWorkFactory:
    return lambda: ScoringUnitOfWork(sessions, outbox, ledger)
