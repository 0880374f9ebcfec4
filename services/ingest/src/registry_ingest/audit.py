"""The audit trail: CREATE, UPDATE, DOWNLOAD, RATE and AUDIT entries, kept in the catalog's
database (durable, cleared only with the artifact or by a reset)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from registry_common.db import database_errors
from registry_common.uow import Sessions
from registry_ingest.tables import ArtifactRow, AuditRow, PopularityRow

ACTIONS = frozenset({"CREATE", "UPDATE", "DOWNLOAD", "RATE", "AUDIT"})


@dataclass(frozen=True)
class Actor:
    name: str
    is_admin: bool = False
    created_at: datetime | None = None  # when the account was created


class AuditTrail:
    def __init__(self, sessions: Sessions, limit: int = 10_000) -> None:
        self._sessions = sessions
        self._limit = limit

    async def record(self, row: ArtifactRow, action: str, actor: Actor | None) -> None:
        """One entry; a DOWNLOAD also counts towards the artifact's popularity, in the same
        transaction, so the counter is exactly the number of DOWNLOAD entries."""
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}")
        async with database_errors(), self._sessions.begin() as session:
            if action == "DOWNLOAD":
                await session.execute(
                    update(PopularityRow)
                    .where(PopularityRow.artifact_id == row.id)
                    .values(downloads=PopularityRow.downloads + 1)
                )
            session.add(audit_entry(row, action, actor))

    async def entries(self, artifact_id: str) -> list[dict[str, Any]]:
        statement = (
            select(AuditRow)
            .where(AuditRow.artifact_id == artifact_id)
            .order_by(AuditRow.seq)
            .limit(self._limit)
        )
        async with database_errors(), self._sessions() as session:
            rows = (await session.execute(statement)).scalars()
            return [
                {
                    "user": {"name": r.user_name, "is_admin": r.user_is_admin},
                    "date": _utc(r.at).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "artifact": {
                        "name": r.artifact_name,
                        "id": r.artifact_id,
                        "type": r.artifact_type,
                    },
                    "action": r.action,
                }
                for r in rows
            ]

    async def forget(self, artifact_id: str) -> None:
        async with database_errors(), self._sessions.begin() as session:
            await forget_in(session, artifact_id)

    async def clear(self) -> None:
        async with database_errors(), self._sessions.begin() as session:
            await session.execute(delete(AuditRow))


def audit_entry(row: ArtifactRow, action: str, actor: Actor | None) -> AuditRow:
    """One audit row, for the caller's session (`AuditTrail.record`, an atomic group)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    return AuditRow(
        artifact_id=row.id,
        artifact_name=row.name,
        artifact_type=row.type,
        action=action,
        user_name=actor.name if actor else "anonymous",
        user_is_admin=actor.is_admin if actor else False,
        at=datetime.now(UTC),
        user_created_at=actor.created_at if actor else None,
    )


async def forget_in(session: AsyncSession, artifact_id: str) -> None:
    await session.execute(delete(AuditRow).where(AuditRow.artifact_id == artifact_id))


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)
