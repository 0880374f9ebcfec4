"""PackageConfusionAudit (R20): artifacts that look like impersonations of popular ones.

For every visible artifact the audit looks for a more popular artifact of the same type whose
name it imitates (`names.py`, found through `index.py` against the top K most popular), reads
the download traffic of the artifacts involved (`traffic.py`), and scores the suspicion
(`scoring.py`). Artifacts scoring at least `min_score` are listed, highest first.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from registry_common.errors import BadRequest
from registry_ingest.confusion.index import NameMatcher
from registry_ingest.confusion.scoring import (
    WEIGHTS,
    AuditSettings,
    Suspect,
    find_name_pairs,
    score_pairs,
)
from registry_ingest.confusion.traffic import analyse
from registry_ingest.popularity import Popularity

MAX_PAGE = 500


@dataclass(frozen=True)
class Report:
    suspects: list[Suspect]
    artifacts: int
    compared_against: int
    seconds: float
    computed_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class ConfusionAudit:
    """The use case. A report is reused for `max_age` (paging through one listing does not
    recompute it, and concurrent requests share one computation)."""

    def __init__(self, popularity: Popularity, settings: AuditSettings, log: Any) -> None:
        self._popularity = popularity
        self._settings = settings
        self._log = log
        self._latest: tuple[float, Report] | None = None
        self._computing = asyncio.Lock()
        self._matcher = NameMatcher()

    async def current(self) -> Report:
        async with self._computing:
            now = time.monotonic()
            if self._latest is not None and now - self._latest[0] < self._settings.max_age:
                return self._latest[1]
            report = await self._compute()
            self._latest = (now, report)
            return report

    async def report(self) -> Report:
        """A fresh report (one computation at a time: the name matcher is shared state)."""
        async with self._computing:
            return await self._compute()

    async def page(self, offset: int, limit: int) -> dict[str, Any]:
        if offset < 0:
            raise BadRequest("offset must be 0 or more.")
        if not 1 <= limit <= MAX_PAGE:
            raise BadRequest(f"limit must be between 1 and {MAX_PAGE}.")
        report = await self.current()
        items = report.suspects[offset : offset + limit]
        following = offset + limit if offset + limit < len(report.suspects) else None
        return {
            "items": [s.as_dict() for s in items],
            "total": len(report.suspects),
            "offset": offset,
            "limit": limit,
            "next_offset": following,
            "artifacts_audited": report.artifacts,
            "popular_compared_against": report.compared_against,
            "weights": WEIGHTS,
            "min_score": self._settings.min_score,
            "computed_at": report.computed_at.isoformat(),
            "compute_seconds": round(report.seconds, 3),
        }

    async def _compute(self) -> Report:
        started = time.perf_counter()
        stats = await self._popularity.stats()
        pairs, popular_count, words = await asyncio.to_thread(
            find_name_pairs, stats, self._settings, self._matcher
        )
        involved = {a.id for a, t, _ in pairs} | {t.id for a, t, _ in pairs}
        busy = [
            s.id for s in stats if s.id in involved and s.downloads >= self._settings.min_downloads
        ]
        downloads = await self._popularity.downloads(busy, self._settings.traffic_rows)
        traffic = {
            artifact_id: analyse(
                rows,
                min_downloads=self._settings.min_downloads,
                new_account=self._settings.new_account,
            )
            for artifact_id, rows in downloads.items()
        }
        suspects = score_pairs(pairs, traffic, words, self._settings)
        seconds = time.perf_counter() - started
        self._log.info(
            "ingest.confusion.audited",
            artifacts=len(stats),
            popular=popular_count,
            pairs=len(pairs),
            suspects=len(suspects),
            seconds=round(seconds, 3),
        )
        return Report(suspects, len(stats), popular_count, seconds)
