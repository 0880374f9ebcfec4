"""Ingest's unit of work: the catalog, audit trail and monitors of one transaction, and the
events it raises (written to ingest's outbox with them; `registry_common.uow`)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from registry_common.outbox import Outbox
from registry_common.uow import Sessions, UnitOfWork
from registry_ingest.audit import AuditTrail
from registry_ingest.catalog import Catalog
from registry_ingest.monitor_store import MonitorStore


class IngestUnitOfWork(UnitOfWork):
    catalog: Catalog
    audit: AuditTrail
    monitors: MonitorStore

    def bind(self, sessions: Sessions) -> None:
        self.catalog = Catalog(sessions)
        self.audit = AuditTrail(sessions)
        self.monitors = MonitorStore(sessions)


UnitOfWorkFactory = Callable[[], IngestUnitOfWork]


def unit_of_work_factory(
    sessions: async_sessionmaker[AsyncSession], outbox: Outbox
) -> UnitOfWorkFactory:
    return lambda: IngestUnitOfWork(sessions, outbox)
