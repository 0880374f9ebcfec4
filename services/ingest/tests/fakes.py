"""In-memory fakes of ingest's repositories and unit of work, for fast use-case tests (the
cosmicpython way: the use cases run unchanged; what they committed and which events they
raised is read back from the fakes).

A `FakeUnitOfWork` works on the shared fake repositories directly and remembers their state
when it begins; leaving it without `commit()` puts that state back, so a use case that fails
before committing leaves the fakes (and the outbox) exactly as they were, like a rollback.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any

from registry_common.events import Event
from registry_ingest.audit import Actor
from registry_ingest.catalog import PENDING, READY, DuplicateId
from registry_ingest.tables import ArtifactHistoryRow, ArtifactRow


class FakeCatalog:
    def __init__(self) -> None:
        self.rows: dict[str, ArtifactRow] = {}
        self.replaced: list[ArtifactHistoryRow] = []
        self.fail_next_insert: BaseException | None = None

    async def insert(self, row: ArtifactRow) -> None:
        if self.fail_next_insert is not None:
            failure, self.fail_next_insert = self.fail_next_insert, None
            raise failure
        if row.id in self.rows:
            raise DuplicateId(row.id)
        self.rows[row.id] = row

    async def get(self, artifact_id: str, *, visible_only: bool = True) -> ArtifactRow | None:
        row = self.rows.get(artifact_id)
        if row is None or (visible_only and row.status != READY):
            return None
        return row

    async def status_of(self, artifact_id: str) -> str | None:
        row = self.rows.get(artifact_id)
        return None if row is None else row.status

    async def replace_revision(
        self, current: ArtifactRow, values: dict[str, Any], *, by: str | None, now: datetime
    ) -> bool:
        row = self.rows.get(current.id)
        if row is None or row.revision != current.revision:
            return False
        self.replaced.append(
            ArtifactHistoryRow(
                artifact_id=row.id,
                revision=row.revision,
                source_url=row.source_url,
                details=row.details,
                replaced_at=now,
                replaced_by=by,
            )
        )
        for key, value in {**values, "revision": current.revision + 1, "updated_at": now}.items():
            setattr(row, key, value)
        return True

    async def decide(self, artifact_id: str, *, status: str, **values: Any) -> bool:
        row = self.rows.get(artifact_id)
        if row is None or row.status != PENDING:
            return False
        row.status = status
        return True

    async def remove(self, artifact_id: str) -> None:
        self.rows.pop(artifact_id, None)

    async def clear(self) -> None:
        self.rows.clear()

    async def revisions_of(self, artifact_ids: Collection[str]) -> dict[str, int]:
        return {i: self.rows[i].revision for i in artifact_ids if i in self.rows}

    async def history(self, artifact_id: str) -> list[ArtifactHistoryRow]:
        return [old for old in self.replaced if old.artifact_id == artifact_id]


@dataclass
class FakeAudit:
    entries: list[tuple[str, str, str]] = field(default_factory=list)  # (id, action, user)

    async def record(self, row: ArtifactRow, action: str, actor: Actor | None) -> None:
        self.entries.append((row.id, action, actor.name if actor else "anonymous"))

    async def forget(self, artifact_id: str) -> None:
        self.entries = [e for e in self.entries if e[0] != artifact_id]

    async def clear(self) -> None:
        self.entries.clear()


@dataclass
class FakeMonitors:
    forgotten: list[str] = field(default_factory=list)

    async def forget(self, artifact_id: str) -> None:
        self.forgotten.append(artifact_id)

    async def clear(self) -> None:
        self.forgotten.append("*")


@dataclass
class FakeReviews:
    forgotten: list[str] = field(default_factory=list)

    async def forget(self, artifact_id: str) -> None:
        self.forgotten.append(artifact_id)

    async def clear(self) -> None:
        self.forgotten.append("*")


class FakeOutbox:
    """The events of committed units of work, in commit order."""

    def __init__(self) -> None:
        self.events: list[Event] = []


_COLUMNS = [c.key for c in ArtifactRow.__table__.columns]


class FakeUnitOfWork:
    def __init__(
        self, catalog: FakeCatalog, audit: FakeAudit, monitors: FakeMonitors, outbox: FakeOutbox
    ) -> None:
        self.catalog = catalog
        self.audit = audit
        self.monitors = monitors
        self.reviews = FakeReviews()
        self.outbox = outbox
        self.committed = False
        self.events: list[Event] = []
        self._snapshot: Any = None

    async def __aenter__(self) -> FakeUnitOfWork:
        rows = {
            i: (row, {c: getattr(row, c) for c in _COLUMNS}) for i, row in self.catalog.rows.items()
        }
        self._snapshot = (
            rows,
            list(self.catalog.replaced),
            list(self.audit.entries),
            list(self.monitors.forgotten),
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.committed:
            return
        rows, history, entries, forgotten = self._snapshot
        for row, values in rows.values():
            for column, value in values.items():
                setattr(row, column, value)
        self.catalog.rows = {i: row for i, (row, _) in rows.items()}
        self.catalog.replaced = history
        self.audit.entries = entries
        self.monitors.forgotten = forgotten

    def record(self, event: Event) -> None:
        self.events.append(event)

    async def commit(self) -> None:
        self.outbox.events.extend(self.events)
        self.committed = True


@dataclass
class Fakes:
    catalog: FakeCatalog = field(default_factory=FakeCatalog)
    audit: FakeAudit = field(default_factory=FakeAudit)
    monitors: FakeMonitors = field(default_factory=FakeMonitors)
    outbox: FakeOutbox = field(default_factory=FakeOutbox)
    units: list[FakeUnitOfWork] = field(default_factory=list)

    def unit_of_work(self) -> FakeUnitOfWork:
        unit = FakeUnitOfWork(self.catalog, self.audit, self.monitors, self.outbox)
        self.units.append(unit)
        return unit
