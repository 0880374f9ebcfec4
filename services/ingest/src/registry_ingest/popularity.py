"""Popularity: how often each artifact is downloaded and shown in search results.

Downloads are counted where they are audited (`AuditTrail.record`, same transaction).
Search appearances would cost one write per search if counted the same way, and SQLite has
a single writer that every catalog read would then queue behind. So they are summed in
memory and added in one executemany UPDATE per `flush_seconds`; a failed flush keeps its
sums for the next one, shutdown flushes what is left, and the audit flushes before it
reads, so no appearance is lost or counted twice while the process lives. (A crash loses
at most the last interval's appearances: they are a popularity estimate's input, not a
record anyone is billed by.)

What counts as an appearance: every artifact returned by a by-name search, a regex search,
or a page of `POST /artifacts` whose queries all name an artifact. A wildcard listing
(`"*"`) is not a search: it shows whatever comes first, not what the caller looked for.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from registry_common.db import database_errors
from registry_ingest.catalog import READY, CatalogStore
from registry_ingest.confusion.traffic import Download
from registry_ingest.tables import ArtifactRow, AuditRow, PopularityRow

_ID_BATCH = 500


@dataclass(frozen=True)
class ArtifactStats:
    id: str
    name: str
    type: str
    source_url: str
    uploader: str | None
    seq: int  # catalog order: a lower seq was registered earlier
    downloads: int
    search_appearances: int


class Popularity:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        log: Any,
        flush_seconds: float,
        *,
        catalog: CatalogStore | None = None,
    ) -> None:
        """`catalog`: where the artifacts are when not in this SQL database (DynamoDB);
        None: they are, and `stats` joins them to their counters in one query."""
        self._sessions = sessions
        self._catalog = catalog
        self._log = log
        self._flush_seconds = flush_seconds
        self._pending: Counter[str] = Counter()
        self._lock = asyncio.Lock()

    def appeared(self, artifact_ids: Iterable[str]) -> None:
        """Count one search appearance for each id (in memory until the next flush)."""
        self._pending.update(artifact_ids)

    async def flush(self) -> None:
        async with self._lock:
            if not self._pending:
                return
            batch, self._pending = self._pending, Counter()
            statement = (
                update(PopularityRow.__table__)  # type: ignore[arg-type]
                .where(PopularityRow.__table__.c.artifact_id == bindparam("b_id"))
                .values(
                    search_appearances=PopularityRow.__table__.c.search_appearances
                    + bindparam("b_n")
                )
            )
            try:
                async with database_errors(), self._sessions.begin() as session:
                    await session.execute(
                        statement, [{"b_id": key, "b_n": n} for key, n in batch.items()]
                    )
            except BaseException:
                self._pending.update(batch)  # keep them for the next flush
                raise

    def forget(self) -> None:
        """Drop unflushed appearances (the registry was reset)."""
        self._pending.clear()

    @contextlib.asynccontextmanager
    async def flushing(self) -> AsyncIterator[None]:
        """Flush every `flush_seconds` while the service runs, and once more at shutdown."""

        async def loop() -> None:
            while True:
                await asyncio.sleep(self._flush_seconds)
                try:
                    await self.flush()
                except Exception as exc:  # an outage: the sums wait for the next round
                    self._log.warning("ingest.popularity.flush_failed", error=str(exc))

        task = asyncio.create_task(loop())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            try:
                await self.flush()
            except Exception as exc:
                self._log.error(
                    "ingest.popularity.unflushed", error=str(exc), artifacts=len(self._pending)
                )

    async def stats(self) -> list[ArtifactStats]:
        """Every visible artifact with its counters (one query; the audit's input)."""
        await self.flush()
        if self._catalog is not None:
            return await self._stats_elsewhere(self._catalog)
        statement = (
            select(
                ArtifactRow.id,
                ArtifactRow.name,
                ArtifactRow.type,
                ArtifactRow.source_url,
                ArtifactRow.uploader,
                ArtifactRow.seq,
                PopularityRow.downloads,
                PopularityRow.search_appearances,
            )
            .outerjoin(PopularityRow, PopularityRow.artifact_id == ArtifactRow.id)
            .where(ArtifactRow.status == READY)
        )
        async with database_errors(), self._sessions() as session:
            result = await session.execute(statement)
            return [
                ArtifactStats(id_, name, type_, url, uploader, seq, downloads or 0, shown or 0)
                for id_, name, type_, url, uploader, seq, downloads, shown in result.all()
            ]

    async def _stats_elsewhere(self, catalog: CatalogStore) -> list[ArtifactStats]:
        """The artifacts from their own store, the counters from this database."""
        rows = await catalog.summaries()
        statement = select(
            PopularityRow.artifact_id, PopularityRow.downloads, PopularityRow.search_appearances
        )
        async with database_errors(), self._sessions() as session:
            counters = {id_: (d, s) for id_, d, s in (await session.execute(statement)).all()}
        return [
            ArtifactStats(
                r.id, r.name, r.type, r.source_url, r.uploader, r.seq, *counters.get(r.id, (0, 0))
            )
            for r in rows
        ]

    async def download_counts(self) -> dict[str, int]:
        """Every artifact's download counter (artifacts never downloaded may be absent)."""
        statement = select(PopularityRow.artifact_id, PopularityRow.downloads)
        async with database_errors(), self._sessions() as session:
            return {id_: int(n or 0) for id_, n in (await session.execute(statement)).all()}

    async def downloads(
        self, artifact_ids: Iterable[str], per_artifact: int
    ) -> dict[str, list[Download]]:
        """The newest `per_artifact` downloads of each artifact, from the audit trail."""
        found: dict[str, list[Download]] = {}
        ids = sorted(set(artifact_ids))
        async with database_errors(), self._sessions() as session:
            for start in range(0, len(ids), _ID_BATCH):
                statement = (
                    select(
                        AuditRow.artifact_id, AuditRow.user_name, AuditRow.at,
                        AuditRow.user_created_at,
                    )
                    .where(
                        AuditRow.artifact_id.in_(ids[start : start + _ID_BATCH]),
                        AuditRow.action == "DOWNLOAD",
                    )
                    .order_by(AuditRow.artifact_id, AuditRow.seq.desc())
                )  # fmt: skip
                for artifact_id, user, at, created in (await session.execute(statement)).all():
                    rows = found.setdefault(artifact_id, [])
                    if len(rows) < per_artifact:
                        rows.append(Download(user, _utc(at), _utc(created) if created else None))
        return found


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)
