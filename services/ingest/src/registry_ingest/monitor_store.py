"""The durable side of sensitive models: each model's flag and monitor program, and the
history of download attempts with the monitor's verdict (tables of the catalog's database,
so they live and die with the artifact)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from registry_common.db import database_errors
from registry_common.uow import Sessions
from registry_ingest.tables import ArtifactRow, DownloadHistoryRow, MonitorRow

VERDICTS = ("allowed", "refused", "failed", "timed_out")


@dataclass(frozen=True)
class Attempt:
    """One download attempt as the history keeps it."""

    artifact_id: str
    user: str
    part: str
    client: str | None
    verdict: str  # one of VERDICTS
    monitored: bool
    exit_code: int | None = None
    output: str = ""
    message: str = ""
    duration: float | None = None


class MonitorStore:
    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    async def get(self, artifact_id: str) -> MonitorRow | None:
        async with database_errors(), self._sessions() as session:
            return await session.get(MonitorRow, artifact_id)

    async def put(
        self, artifact_id: str, *, sensitive: bool, program: str | None, user: str
    ) -> MonitorRow:
        async with database_errors(), self._sessions.begin() as session:
            row = await session.get(MonitorRow, artifact_id)
            if row is None:
                row = MonitorRow(artifact_id=artifact_id)
                session.add(row)
            row.sensitive = sensitive
            row.program = program
            row.updated_by = user
            row.updated_at = datetime.now(UTC)
            # The artifact row's copy of the flag, in the same transaction (tables.py).
            await session.execute(
                update(ArtifactRow).where(ArtifactRow.id == artifact_id).values(sensitive=sensitive)
            )
        return row

    async def record(self, attempt: Attempt) -> dict[str, Any]:
        row = DownloadHistoryRow(
            artifact_id=attempt.artifact_id,
            user_name=attempt.user,
            part=attempt.part,
            client=attempt.client,
            at=datetime.now(UTC),
            verdict=attempt.verdict,
            monitored=attempt.monitored,
            exit_code=attempt.exit_code,
            output=attempt.output,
            message=attempt.message,
            duration=attempt.duration,
        )
        async with database_errors(), self._sessions.begin() as session:
            session.add(row)
        return history_entry(row)

    async def history(
        self, artifact_id: str, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        """Newest first (by insertion order, which is time order), one page, and the total."""
        page = (
            select(DownloadHistoryRow)
            .where(DownloadHistoryRow.artifact_id == artifact_id)
            .order_by(DownloadHistoryRow.seq.desc())
            .offset(offset)
            .limit(limit)
        )
        count = select(func.count()).where(DownloadHistoryRow.artifact_id == artifact_id)
        async with database_errors(), self._sessions() as session:
            rows = (await session.execute(page)).scalars().all()
            total = int((await session.execute(count)).scalar_one())
        return [history_entry(r) for r in rows], total

    async def last_monitored(self, artifact_id: str) -> dict[str, Any] | None:
        statement = (
            select(DownloadHistoryRow)
            .where(DownloadHistoryRow.artifact_id == artifact_id, DownloadHistoryRow.monitored)
            .order_by(DownloadHistoryRow.seq.desc())
            .limit(1)
        )
        async with database_errors(), self._sessions() as session:
            row = (await session.execute(statement)).scalars().first()
        return history_entry(row) if row else None

    async def forget(self, artifact_id: str) -> None:
        async with database_errors(), self._sessions.begin() as session:
            await forget_monitor_in(session, artifact_id)

    async def clear(self) -> None:
        async with database_errors(), self._sessions.begin() as session:
            await session.execute(delete(MonitorRow))
            await session.execute(delete(DownloadHistoryRow))


def history_entry(row: DownloadHistoryRow) -> dict[str, Any]:
    return {
        "user": row.user_name,
        "date": utc_text(row.at),
        "part": row.part,
        "client": row.client,
        "verdict": row.verdict,
        "monitored": row.monitored,
        "exit_code": row.exit_code,
        "output": row.output,
        "message": row.message,
        "duration_seconds": None if row.duration is None else round(row.duration, 3),
    }


def utc_text(value: datetime) -> str:
    # SQLite hands back naive datetimes; every stored time is UTC.
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def forget_monitor_in(session: AsyncSession, artifact_id: str) -> None:
    """A model's monitor and download history, inside the caller's transaction."""
    await session.execute(delete(MonitorRow).where(MonitorRow.artifact_id == artifact_id))
    await session.execute(
        delete(DownloadHistoryRow).where(DownloadHistoryRow.artifact_id == artifact_id)
    )
