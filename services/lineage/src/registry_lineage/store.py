"""Data access for the lineage graph: every SQL statement of the lineage service lives here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from registry_common.consumed import ConsumerLedger
from registry_common.db import database_errors
from registry_lineage.references import Reference
from registry_lineage.tables import ArtifactKeyRow, ArtifactNodeRow, ReferenceRow


class LineageStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], ledger: ConsumerLedger) -> None:
        self._sessions = sessions
        self._ledger = ledger

    async def index(
        self,
        *,
        artifact_id: str,
        name: str,
        type_: str,
        source_url: str | None,
        content_bytes: int,
        details: dict[str, Any],
        keys: list[str],
        references: list[Reference],
        revision: int = 1,
    ) -> bool:
        """Record an artifact with its keys and references, replacing any earlier version of
        them in one transaction (idempotent: redelivered events change nothing). Events come
        in any order: False (nothing recorded) when a newer revision is indexed already or
        the artifact was deleted."""
        async with database_errors(), self._sessions.begin() as session:
            if await self._ledger.is_forgotten(artifact_id, session):
                return False
            current = await session.get(ArtifactNodeRow, artifact_id)
            if current is not None and int(current.details.get("revision") or 1) > revision:
                return False
            await self._forget(session, artifact_id)
            session.add(
                ArtifactNodeRow(
                    artifact_id=artifact_id,
                    name=name,
                    type=type_,
                    source_url=source_url,
                    content_bytes=content_bytes,
                    details=details,
                )
            )
            session.add_all(ArtifactKeyRow(key=k, artifact_id=artifact_id) for k in set(keys))
            session.add_all(
                ReferenceRow(
                    child_id=artifact_id,
                    parent_key=r.key,
                    relationship=r.relationship,
                    parent_name=r.name,
                    parent_kind=r.kind,
                    source=r.source,
                    relation=r.relation,
                )
                for r in references
            )
            return True

    async def artifact(self, artifact_id: str) -> ArtifactNodeRow | None:
        async with database_errors(), self._sessions() as session:
            return await session.get(ArtifactNodeRow, artifact_id)

    async def artifacts(self, artifact_ids: Iterable[str]) -> dict[str, ArtifactNodeRow]:
        wanted = sorted(set(artifact_ids))
        if not wanted:
            return {}
        statement = select(ArtifactNodeRow).where(ArtifactNodeRow.artifact_id.in_(wanted))
        async with database_errors(), self._sessions() as session:
            return {row.artifact_id: row for row in (await session.execute(statement)).scalars()}

    async def references_of(self, child_ids: Iterable[str]) -> list[ReferenceRow]:
        wanted = sorted(set(child_ids))
        if not wanted:
            return []
        statement = (
            select(ReferenceRow)
            .where(ReferenceRow.child_id.in_(wanted))
            .order_by(ReferenceRow.child_id, ReferenceRow.relationship, ReferenceRow.parent_key)
        )
        async with database_errors(), self._sessions() as session:
            return list((await session.execute(statement)).scalars())

    async def resolve(self, keys: Iterable[str]) -> dict[str, list[str]]:
        """Registered artifact ids per key (several when a source was registered twice)."""
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        statement = (
            select(ArtifactKeyRow.key, ArtifactKeyRow.artifact_id)
            .where(ArtifactKeyRow.key.in_(wanted))
            .order_by(ArtifactKeyRow.key, ArtifactKeyRow.artifact_id)
        )
        resolved: dict[str, list[str]] = {}
        async with database_errors(), self._sessions() as session:
            for key, artifact_id in (await session.execute(statement)).all():
                resolved.setdefault(key, []).append(artifact_id)
        return resolved

    async def remove(self, artifact_id: str) -> None:
        """Forget the artifact, and remember that it was deleted (one transaction)."""
        async with database_errors(), self._sessions.begin() as session:
            await self._ledger.forget(artifact_id, session)
            await self._forget(session, artifact_id)

    async def clear(self) -> None:
        async with database_errors(), self._sessions.begin() as session:
            for table in (ReferenceRow, ArtifactKeyRow, ArtifactNodeRow):
                await session.execute(delete(table))

    @staticmethod
    async def _forget(session: AsyncSession, artifact_id: str) -> None:
        await session.execute(delete(ReferenceRow).where(ReferenceRow.child_id == artifact_id))
        await session.execute(
            delete(ArtifactKeyRow).where(ArtifactKeyRow.artifact_id == artifact_id)
        )
        await session.execute(
            delete(ArtifactNodeRow).where(ArtifactNodeRow.artifact_id == artifact_id)
        )
