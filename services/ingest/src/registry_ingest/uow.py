"""Ingest's unit of work: the catalog, audit trail, monitors and reviews of one transaction, and the
events it raises (written to ingest's outbox with them; `registry_common.uow`)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from registry_common.outbox import Outbox
from registry_common.uow import Sessions, UnitOfWork
from registry_ingest.audit import AuditTrail
from registry_ingest.catalog import Catalog, CatalogStore
from registry_ingest.group_store import GroupStore
from registry_ingest.monitor_store import MonitorStore
from registry_ingest.reviews import ReviewStore


class IngestUnitOfWork(UnitOfWork):
    """`catalog` is the SQL catalog bound to this transaction; with the catalog on DynamoDB
    (`INGEST_METADATA_STORE=dynamodb`) it is that store, whose writes are not part of the SQL
    transaction (see docs/robustness.md: the outbox row then commits just after the item)."""

    catalog: CatalogStore
    audit: AuditTrail
    monitors: MonitorStore
    reviews: ReviewStore
    groups: GroupStore

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        outbox: Outbox,
        catalog: CatalogStore | None = None,
    ) -> None:
        self._fixed_catalog = catalog
        super().__init__(sessions, outbox)

    def bind(self, sessions: Sessions) -> None:
        self.catalog = self._fixed_catalog or Catalog(sessions)
        self.audit = AuditTrail(sessions)
        self.monitors = MonitorStore(sessions)
        self.reviews = ReviewStore(sessions)
        self.groups = GroupStore(sessions)


UnitOfWorkFactory = Callable[[], IngestUnitOfWork]


def unit_of_work_factory(
    sessions: async_sessionmaker[AsyncSession],
    outbox: Outbox,
    catalog: CatalogStore | None = None,
) -> UnitOfWorkFactory:
    """`catalog`: a store outside the SQL database (DynamoDB); None binds the SQL catalog."""
    return lambda: IngestUnitOfWork(sessions, outbox, catalog)
