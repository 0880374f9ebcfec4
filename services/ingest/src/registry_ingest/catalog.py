"""Data access for the catalog: every SQL statement of the ingest service lives here.

Only `ready` artifacts are visible to queries; `pending` ones wait for their rating and
`rejected` ones are tombstones until their creator has been told.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import and_, delete, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from registry_common.db import database_errors
from registry_common.uow import Sessions
from registry_ingest.tables import ArtifactHistoryRow, ArtifactRow, PopularityRow

# How long PostgreSQL may take over one batch of a trigram-indexed regex search.
_PREFILTER_MS = 2000

READY = "ready"
PENDING = "pending"
REJECTED = "rejected"
# A member of an atomic group being executed: stored, invisible, made ready (or removed) with
# the rest of its group in one transaction (groups.py).
STAGED = "staged"


@dataclass(frozen=True)
class NameQuery:
    """One entry of an enumerate request: a name (None = every name) and types (None = all)."""

    name: str | None
    types: frozenset[str] | None


class DuplicateId(Exception):
    pass


class CatalogStore(Protocol):
    """What the service and the reader need of the catalog, whatever stores it: `Catalog`
    (SQLite or PostgreSQL, below) or `dynamo_catalog.DynamoCatalog`
    (`INGEST_METADATA_STORE`). `services/ingest/tests/test_catalog_contract.py` holds every
    implementation to the same tests."""

    async def insert(self, row: ArtifactRow) -> None: ...

    async def get(self, artifact_id: str, *, visible_only: bool = True) -> ArtifactRow | None: ...

    async def get_many(self, artifact_ids: list[str]) -> list[ArtifactRow]: ...

    async def status_of(self, artifact_id: str) -> str | None: ...

    async def decide(
        self,
        artifact_id: str,
        *,
        status: str,
        vetted: bool | None,
        net_score: float | None,
        details: dict[str, Any],
        now: datetime,
    ) -> bool: ...

    async def set_rating_summary(
        self,
        artifact_id: str,
        *,
        vetted: bool | None,
        net_score: float | None,
        details: dict[str, Any],
        now: datetime,
    ) -> None: ...

    async def page(
        self, queries: Sequence[NameQuery], *, after: int, limit: int
    ) -> list[ArtifactRow]: ...

    async def by_name(self, name: str, *, limit: int) -> list[ArtifactRow]: ...

    async def texts(
        self, *, after: int, limit: int, prefilter: str | None = None
    ) -> list[tuple[int, str, str, str, str]]: ...

    async def replace_revision(
        self, current: ArtifactRow, values: dict[str, Any], *, by: str | None, now: datetime
    ) -> bool: ...

    async def revisions_of(self, artifact_ids: Collection[str]) -> dict[str, int]: ...

    async def history(self, artifact_id: str) -> list[ArtifactHistoryRow]: ...

    async def summaries(self) -> list[ArtifactRow]: ...

    async def remove(self, artifact_id: str) -> None: ...

    async def clear(self) -> None: ...


class Catalog:
    """The catalog in the service's SQL database (SQLite or PostgreSQL)."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    async def insert(self, row: ArtifactRow) -> None:
        try:
            async with database_errors(), self._sessions.begin() as session:
                session.add(row)
                session.add(PopularityRow(artifact_id=row.id, downloads=0, search_appearances=0))
        except IntegrityError as exc:
            raise DuplicateId(row.id) from exc

    async def get(self, artifact_id: str, *, visible_only: bool = True) -> ArtifactRow | None:
        statement = select(ArtifactRow).where(ArtifactRow.id == artifact_id)
        if visible_only:
            statement = statement.where(ArtifactRow.status == READY)
        async with database_errors(), self._sessions() as session:
            return (await session.execute(statement)).scalar_one_or_none()

    async def get_many(self, artifact_ids: list[str]) -> list[ArtifactRow]:
        """Visible artifacts among `artifact_ids`, in catalog order (one query)."""
        if not artifact_ids:
            return []
        statement = (
            select(ArtifactRow)
            .where(ArtifactRow.id.in_(artifact_ids), ArtifactRow.status == READY)
            .order_by(ArtifactRow.seq)
        )
        async with database_errors(), self._sessions() as session:
            return list((await session.execute(statement)).scalars())

    async def status_of(self, artifact_id: str) -> str | None:
        statement = select(ArtifactRow.status).where(ArtifactRow.id == artifact_id)
        async with database_errors(), self._sessions() as session:
            status: str | None = (await session.execute(statement)).scalar_one_or_none()
            return status

    async def decide(
        self,
        artifact_id: str,
        *,
        status: str,
        vetted: bool | None,
        net_score: float | None,
        details: dict[str, Any],
        now: datetime,
    ) -> bool:
        """Record the rating's outcome for a pending artifact; False if it was not pending."""
        statement = (
            update(ArtifactRow)
            .where(ArtifactRow.id == artifact_id, ArtifactRow.status == PENDING)
            .values(
                status=status, vetted=vetted, net_score=net_score, details=details, updated_at=now
            )
        )
        async with database_errors(), self._sessions.begin() as session:
            result = await session.execute(statement)
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def set_rating_summary(
        self,
        artifact_id: str,
        *,
        vetted: bool | None,
        net_score: float | None,
        details: dict[str, Any],
        now: datetime,
    ) -> None:
        statement = (
            update(ArtifactRow)
            .where(ArtifactRow.id == artifact_id)
            .values(vetted=vetted, net_score=net_score, details=details, updated_at=now)
        )
        async with database_errors(), self._sessions.begin() as session:
            await session.execute(statement)

    async def page(
        self, queries: Sequence[NameQuery], *, after: int, limit: int
    ) -> list[ArtifactRow]:
        """Visible artifacts matching any query, in catalog order, after position `after`.

        Keyset pagination (`seq > after`) keeps every page as cheap as the first.
        """
        statement = (
            select(ArtifactRow)
            .where(ArtifactRow.status == READY, ArtifactRow.seq > after, _any_of(queries))
            .order_by(ArtifactRow.seq)
            .limit(limit)
        )
        async with database_errors(), self._sessions() as session:
            return list((await session.execute(statement)).scalars())

    async def by_name(self, name: str, *, limit: int) -> list[ArtifactRow]:
        statement = (
            select(ArtifactRow)
            .where(ArtifactRow.status == READY, ArtifactRow.name == name)
            .order_by(ArtifactRow.seq)
            .limit(limit)
        )
        async with database_errors(), self._sessions() as session:
            return list((await session.execute(statement)).scalars())

    async def texts(
        self, *, after: int, limit: int, prefilter: str | None = None
    ) -> list[tuple[int, str, str, str, str]]:
        """(seq, id, name, type, readme) of visible artifacts, for regex scans in batches.

        `prefilter`: on PostgreSQL, only rows whose name or README match this regex (the
        trigram indexes of migration 0012 answer it); other databases ignore it. Callers
        match the rows again themselves: this only narrows them."""
        statement = (
            select(
                ArtifactRow.seq,
                ArtifactRow.id,
                ArtifactRow.name,
                ArtifactRow.type,
                ArtifactRow.readme,
            )
            .where(ArtifactRow.status == READY, ArtifactRow.seq > after)
            .order_by(ArtifactRow.seq)
            .limit(limit)
        )
        async with database_errors(), self._sessions() as session:
            if prefilter is not None and session.get_bind().dialect.name == "postgresql":
                # A regex PostgreSQL's engine finds slow (or refuses) must not hold the
                # request: past the timeout the caller falls back to the linear-time scan.
                await session.execute(text(f"SET LOCAL statement_timeout = {_PREFILTER_MS}"))
                statement = statement.where(
                    or_(
                        ArtifactRow.name.regexp_match(prefilter),
                        ArtifactRow.readme.regexp_match(prefilter),
                    )
                )
            return [
                (seq, id_, name, type_, readme or "")
                for seq, id_, name, type_, readme in (await session.execute(statement)).all()
            ]

    async def replace_revision(
        self, current: ArtifactRow, values: dict[str, Any], *, by: str | None, now: datetime
    ) -> bool:
        """Move `current` into the history and store `values` as its next revision, at once.

        The UPDATE is conditional on the revision it read, so two concurrent updates cannot
        both win: the loser gets False and nothing of it is written.
        """
        async with database_errors(), self._sessions.begin() as session:
            if not await replace_revision_in(session, current, values, by=by, now=now):
                return False  # nothing was written; the caller's transaction decides
        return True

    async def revisions_of(self, artifact_ids: Collection[str]) -> dict[str, int]:
        """The current revision of each of `artifact_ids` that has a row (any status)."""
        if not artifact_ids:
            return {}
        statement = select(ArtifactRow.id, ArtifactRow.revision).where(
            ArtifactRow.id.in_(sorted(artifact_ids))
        )
        async with database_errors(), self._sessions() as session:
            return {id_: revision for id_, revision in (await session.execute(statement)).all()}

    async def history(self, artifact_id: str) -> list[ArtifactHistoryRow]:
        statement = (
            select(ArtifactHistoryRow)
            .where(ArtifactHistoryRow.artifact_id == artifact_id)
            .order_by(ArtifactHistoryRow.revision)
        )
        async with database_errors(), self._sessions() as session:
            return list((await session.execute(statement)).scalars())

    async def summaries(self) -> list[ArtifactRow]:
        """Every visible artifact, in catalog order."""
        statement = select(ArtifactRow).where(ArtifactRow.status == READY).order_by(ArtifactRow.seq)
        async with database_errors(), self._sessions() as session:
            return list((await session.execute(statement)).scalars())

    async def remove(self, artifact_id: str) -> None:
        async with database_errors(), self._sessions.begin() as session:
            await remove_in(session, artifact_id)

    async def clear(self) -> None:
        async with database_errors(), self._sessions.begin() as session:
            await session.execute(delete(ArtifactHistoryRow))
            await session.execute(delete(PopularityRow))
            await session.execute(delete(ArtifactRow))


async def replace_revision_in(
    session: AsyncSession,
    current: ArtifactRow,
    values: dict[str, Any],
    *,
    by: str | None,
    now: datetime,
) -> bool:
    """`Catalog.replace_revision`'s statements inside the caller's transaction (an atomic
    group applies several); False, having written nothing, if `current` is not current."""
    result = await session.execute(
        update(ArtifactRow)
        .where(ArtifactRow.id == current.id, ArtifactRow.revision == current.revision)
        .values({**values, "revision": current.revision + 1, "updated_at": now})
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.add(
        ArtifactHistoryRow(
            artifact_id=current.id,
            revision=current.revision,
            source_url=current.source_url,
            details=current.details,
            replaced_at=now,
            replaced_by=by,
        )
    )
    return True


async def remove_in(session: AsyncSession, artifact_id: str) -> bool:
    """An artifact's catalog rows, inside the caller's transaction; False if it had none."""
    result = await session.execute(delete(ArtifactRow).where(ArtifactRow.id == artifact_id))
    await session.execute(
        delete(ArtifactHistoryRow).where(ArtifactHistoryRow.artifact_id == artifact_id)
    )
    await session.execute(delete(PopularityRow).where(PopularityRow.artifact_id == artifact_id))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _any_of(queries: Sequence[NameQuery]) -> ColumnElement[bool]:
    clauses = []
    for query in queries:
        parts: list[ColumnElement[bool]] = []
        if query.name is not None:
            parts.append(ArtifactRow.name == query.name)
        if query.types:
            parts.append(ArtifactRow.type.in_(sorted(query.types)))
        clauses.append(and_(*parts) if parts else ArtifactRow.seq.is_not(None))
    return or_(*clauses)
