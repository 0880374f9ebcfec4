"""Data access for ratings: every SQL statement of the scoring service lives here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from registry_common.consumed import ConsumerLedger
from registry_common.db import database_errors
from registry_common.uow import Sessions
from registry_scoring.tables import ParentLinkRow, RatingRow


class RatingStore:
    def __init__(self, sessions: Sessions, ledger: ConsumerLedger) -> None:
        self._sessions = sessions
        self._ledger = ledger

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
        """Insert or replace the artifact's rating; False (nothing stored) when the stored
        one is of a newer revision, or the artifact was deleted: events arrive in any order."""
        async with database_errors(), self._sessions.begin() as session:
            if await self._ledger.is_forgotten(artifact_id, session):
                return False
            row = await session.get(RatingRow, artifact_id)
            if row is not None and row.revision > revision:
                return False
            if row is None:
                row = RatingRow(artifact_id=artifact_id)
                session.add(row)
            row.name = name
            row.repo_id = repo_id
            row.revision = revision
            row.rating = rating
            row.net_score = float(rating["net_score"]) if rating else None
            row.parents = parents
            row.error = error
            row.computed_at = now
            await session.execute(
                delete(ParentLinkRow).where(ParentLinkRow.child_id == artifact_id)
            )
            session.add_all(
                ParentLinkRow(child_id=artifact_id, parent_ref=ref) for ref in sorted(set(parents))
            )
            return True

    async def is_forgotten(self, artifact_id: str) -> bool:
        async with database_errors(), self._sessions() as session:
            return await self._ledger.is_forgotten(artifact_id, session)

    async def get(self, artifact_id: str) -> RatingRow | None:
        async with database_errors(), self._sessions() as session:
            return await session.get(RatingRow, artifact_id)

    async def net_scores_of(self, references: Iterable[str]) -> dict[str, float]:
        """Net scores of rated artifacts whose repo id or name is among `references`."""
        wanted = {r for r in references if r}
        if not wanted:
            return {}
        statement = select(RatingRow.repo_id, RatingRow.name, RatingRow.net_score).where(
            RatingRow.net_score.is_not(None),
            (RatingRow.repo_id.in_(wanted)) | (RatingRow.name.in_(wanted)),
        )
        async with database_errors(), self._sessions() as session:
            scores: dict[str, float] = {}
            for repo_id, name, net in (await session.execute(statement)).all():
                key = repo_id if repo_id in wanted else name
                if net is not None:
                    scores.setdefault(key, float(net))
            return scores

    async def children_of(self, references: Iterable[str]) -> list[RatingRow]:
        """Rated artifacts that name any of `references` as a parent (for tree re-scores)."""
        wanted = sorted({r for r in references if r})
        if not wanted:
            return []
        # The ids in a subquery, not DISTINCT over whole rows: PostgreSQL has no equality
        # operator for the JSON columns (rating, parents), so `SELECT DISTINCT` over the row
        # fails there ("could not identify an equality operator for type json") while SQLite
        # accepts it. A child naming two of `references` still comes back once.
        children = select(ParentLinkRow.child_id).where(ParentLinkRow.parent_ref.in_(wanted))
        statement = (
            select(RatingRow)
            .where(RatingRow.artifact_id.in_(children))
            .order_by(RatingRow.artifact_id)
        )
        async with database_errors(), self._sessions() as session:
            return list((await session.execute(statement)).scalars())

    async def remove(self, artifact_id: str) -> None:
        """Delete the rating and remember the artifact as deleted (in one transaction)."""
        async with database_errors(), self._sessions.begin() as session:
            await self._ledger.forget(artifact_id, session)
            await session.execute(delete(RatingRow).where(RatingRow.artifact_id == artifact_id))
            await session.execute(
                delete(ParentLinkRow).where(ParentLinkRow.child_id == artifact_id)
            )

    async def clear(self) -> None:
        async with database_errors(), self._sessions.begin() as session:
            await session.execute(delete(ParentLinkRow))
            await session.execute(delete(RatingRow))
