"""In-memory stand-ins for scoring's rating store and unit of work, the cosmicpython way:
the use cases run unchanged against them. A fake unit of work snapshots the store when it
begins; leaving it without `commit()` puts that snapshot back (a rollback), so a use case
that fails before its commit leaves the store and the outbox exactly as they were."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import datetime
from types import TracebackType
from typing import Any

from registry_common.errors import ComponentUnavailable
from registry_common.events import Event
from registry_scoring.tables import RatingRow


class FakeRatingStore:
    """`RatingStore`'s behaviour over dicts: newest revision wins, deleted stays deleted."""

    def __init__(self) -> None:
        self.rows: dict[str, RatingRow] = {}
        self.forgotten: set[str] = set()
        self.fail_save_of: str | None = None

    async def save(
        self,
        *,
        artifact_id: str,
        name: str,
        repo_id: str | None,
        revision: int,
        rating: dict[str, Any] | None,
        parents: list[str],
        error: str | None,
        now: datetime,
    ) -> bool:
        if artifact_id == self.fail_save_of:
            raise ComponentUnavailable("database", "OperationalError")
        if artifact_id in self.forgotten:
            return False
        current = self.rows.get(artifact_id)
        if current is not None and current.revision > revision:
            return False
        self.rows[artifact_id] = RatingRow(
            artifact_id=artifact_id,
            name=name,
            repo_id=repo_id,
            revision=revision,
            rating=copy.deepcopy(rating),
            net_score=float(rating["net_score"]) if rating else None,
            parents=list(parents),
            error=error,
            computed_at=now,
        )
        return True

    async def is_forgotten(self, artifact_id: str) -> bool:
        return artifact_id in self.forgotten

    async def get(self, artifact_id: str) -> RatingRow | None:
        return self.rows.get(artifact_id)

    async def net_scores_of(self, references: Iterable[str]) -> dict[str, float]:
        wanted = {r for r in references if r}
        scores: dict[str, float] = {}
        for row in self.rows.values():
            if row.net_score is None:
                continue
            key = row.repo_id if row.repo_id in wanted else row.name
            if key in wanted:
                scores.setdefault(key, row.net_score)
        return scores

    async def children_of(self, references: Iterable[str]) -> list[RatingRow]:
        wanted = {r for r in references if r}
        return sorted(
            (row for row in self.rows.values() if wanted & set(row.parents or [])),
            key=lambda row: row.artifact_id,
        )

    async def remove(self, artifact_id: str) -> None:
        self.forgotten.add(artifact_id)
        self.rows.pop(artifact_id, None)

    async def clear(self) -> None:
        self.rows.clear()

    def snapshot(self) -> Any:
        return copy.deepcopy(
            {k: {c: getattr(v, c) for c in _COLUMNS} for k, v in self.rows.items()}
        ), set(self.forgotten)

    def restore(self, snapshot: Any) -> None:
        rows, forgotten = snapshot
        self.rows = {k: RatingRow(**v) for k, v in rows.items()}
        self.forgotten = forgotten


_COLUMNS = (
    "artifact_id",
    "name",
    "repo_id",
    "revision",
    "rating",
    "net_score",
    "parents",
    "error",
    "computed_at",
)


class FakeUnitOfWork:
    """`ScoringUnitOfWork` over the fake store; `outbox` collects committed events in order.
    `fail_commit` makes the next commit fail like a database outage at COMMIT."""

    def __init__(self, store: FakeRatingStore, outbox: list[Event]) -> None:
        self.store = store
        self.outbox = outbox
        self.events: list[Event] = []
        self.committed = False
        self.fail_commit = False
        self._snapshot: Any = None

    async def __aenter__(self) -> FakeUnitOfWork:
        self.events = []
        self.committed = False
        self._snapshot = self.store.snapshot()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self.committed:
            self.store.restore(self._snapshot)

    def record(self, event: Event) -> None:
        self.events.append(event)

    async def commit(self) -> None:
        if self.fail_commit:
            raise ComponentUnavailable("database", "OperationalError")
        self.outbox.extend(self.events)
        self.committed = True
