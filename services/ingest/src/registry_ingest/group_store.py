"""Data access for atomic groups (R25): the requests, their commands, and `apply`, the one
transaction that makes a whole group's catalog changes at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select, update

from registry_common.db import database_errors
from registry_common.errors import RegistryError
from registry_common.events import Event
from registry_common.uow import Sessions
from registry_ingest.audit import Actor, audit_entry, forget_in
from registry_ingest.catalog import READY, STAGED, remove_in, replace_revision_in
from registry_ingest.monitor_store import forget_monitor_in
from registry_ingest.reviews import forget_reviews_in
from registry_ingest.tables import ArtifactRow, GroupCommandRow, GroupRow

OPEN = "open"
EXECUTING = "executing"
COMMITTED = "committed"
FAILED = "failed"
EXPIRED = "expired"


class MemberFailed(Exception):
    """A group member could not be applied: which one (its position), and the error."""

    def __init__(self, position: int, error: RegistryError) -> None:
        super().__init__(error.message)
        self.position = position
        self.error = error


@dataclass
class GroupPlan:
    """Everything a staged group changes, by command position. `events` are what the change
    announces; they are published only after `apply` committed."""

    group_id: str
    actor: Actor | None
    creates: list[tuple[int, ArtifactRow]] = field(default_factory=list)
    updates: list[tuple[int, ArtifactRow, dict[str, Any]]] = field(default_factory=list)
    deletes: list[tuple[int, ArtifactRow]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


class GroupStore:
    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    async def create(self, row: GroupRow) -> None:
        async with database_errors(), self._sessions.begin() as session:
            session.add(row)

    async def get(self, group_id: str) -> GroupRow | None:
        async with database_errors(), self._sessions() as session:
            return await session.get(GroupRow, group_id)

    async def listing(self, owner: str | None, *, limit: int) -> list[GroupRow]:
        """Newest first; every owner's when `owner` is None (admins)."""
        statement = select(GroupRow).order_by(GroupRow.created_at.desc()).limit(limit)
        if owner is not None:
            statement = statement.where(GroupRow.owner == owner)
        async with database_errors(), self._sessions() as session:
            return list((await session.execute(statement)).scalars())

    async def commands(self, group_ids: Sequence[str]) -> list[GroupCommandRow]:
        if not group_ids:
            return []
        statement = (
            select(GroupCommandRow)
            .where(GroupCommandRow.group_id.in_(list(group_ids)))
            .order_by(GroupCommandRow.group_id, GroupCommandRow.position)
        )
        async with database_errors(), self._sessions() as session:
            return list((await session.execute(statement)).scalars())

    async def append(self, command: GroupCommandRow, *, now: datetime, limit: int) -> str:
        """Add `command` at the end of its open, unexpired group; else say what the group is
        (`open` on success, or its state, `expired` or `full`), adding nothing."""
        async with database_errors(), self._sessions.begin() as session:
            group = await session.get(GroupRow, command.group_id, with_for_update=True)
            if group is None:
                return "missing"
            if group.state != OPEN:
                return group.state
            if _aware(group.expires_at) <= now:
                return EXPIRED
            count = await session.scalar(
                select(func.count()).where(GroupCommandRow.group_id == command.group_id)
            )
            if (count or 0) >= limit:
                return "full"
            command.position = int(count or 0)
            session.add(command)
            return OPEN

    async def claim(self, group_id: str, now: datetime) -> bool:
        """open and unexpired -> executing, for exactly one caller."""
        statement = (
            update(GroupRow)
            .where(GroupRow.id == group_id, GroupRow.state == OPEN, GroupRow.expires_at > now)
            .values(state=EXECUTING)
        )
        async with database_errors(), self._sessions.begin() as session:
            result = await session.execute(statement)
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def set_artifact(self, command_seq: int, artifact_id: str) -> None:
        """Remember a staged member's id, so an interrupted execute can be cleaned up."""
        async with database_errors(), self._sessions.begin() as session:
            await session.execute(
                update(GroupCommandRow)
                .where(GroupCommandRow.seq == command_seq)
                .values(artifact_id=artifact_id)
            )

    async def fail(
        self, group_id: str, *, position: int | None, status: int, message: str, now: datetime
    ) -> None:
        async with database_errors(), self._sessions.begin() as session:
            await session.execute(
                update(GroupRow)
                .where(GroupRow.id == group_id)
                .values(
                    state=FAILED,
                    executed_at=now,
                    failed_position=position,
                    failure_status=status,
                    failure=message,
                )
            )

    async def expire(self, now: datetime, *, abandoned_before: datetime) -> list[str]:
        """Mark open requests past their expiry `expired`, and executions that started and
        never finished (the process died) before `abandoned_before` `failed`; their ids."""
        async with database_errors(), self._sessions.begin() as session:
            opened = select(GroupRow.id).where(GroupRow.state == OPEN, GroupRow.expires_at <= now)
            stuck = select(GroupRow.id).where(
                GroupRow.state == EXECUTING, GroupRow.expires_at <= abandoned_before
            )
            expired = list((await session.execute(opened)).scalars())
            abandoned = list((await session.execute(stuck)).scalars())
            if expired:
                await session.execute(
                    update(GroupRow).where(GroupRow.id.in_(expired)).values(state=EXPIRED)
                )
            if abandoned:
                await session.execute(
                    update(GroupRow)
                    .where(GroupRow.id.in_(abandoned))
                    .values(
                        state=FAILED,
                        executed_at=now,
                        failure_status=500,
                        failure="The execution was interrupted (the ingest service stopped); "
                        "nothing of the group was applied.",
                    )
                )
            return expired + abandoned

    async def apply(self, plan: GroupPlan, now: datetime) -> None:
        """Every catalog change of the group in ONE transaction: staged rows become ready,
        updates replace their revision (conditionally), deletes remove rows, the audit trail
        and the request's state follow. A member that no longer applies raises
        `MemberFailed` and the transaction rolls back: readers see all of it or nothing.

        (The unit of work takes this session over; `plan.events` are what it records.)
        """
        by = plan.actor.name if plan.actor else None
        async with database_errors(), self._sessions.begin() as session:
            for position, row in plan.creates:
                result = await session.execute(
                    update(ArtifactRow)
                    .where(ArtifactRow.id == row.id, ArtifactRow.status == STAGED)
                    .values(status=READY, updated_at=now)
                )
                if result.rowcount != 1:  # type: ignore[attr-defined]
                    raise MemberFailed(position, _gone(row))
                session.add(audit_entry(row, "CREATE", plan.actor))
            for position, current, values in plan.updates:
                if not await replace_revision_in(session, current, values, by=by, now=now):
                    raise MemberFailed(
                        position,
                        RegistryError(
                            f"The {current.type} {current.id!r} was changed by someone else "
                            "meanwhile; read it and execute a new group.",
                            409,
                            code="conflict",
                        ),
                    )
                session.add(audit_entry(current, "UPDATE", plan.actor))
            for position, row in plan.deletes:
                if not await remove_in(session, row.id):
                    raise MemberFailed(position, _gone(row))
                await forget_in(session, row.id)
                await forget_monitor_in(session, row.id)
                await forget_reviews_in(session, row.id)
            await session.execute(
                update(GroupRow)
                .where(GroupRow.id == plan.group_id)
                .values(state=COMMITTED, executed_at=now)
            )

    async def clear(self) -> None:
        async with database_errors(), self._sessions.begin() as session:
            await session.execute(delete(GroupCommandRow))
            await session.execute(delete(GroupRow))

    async def snapshot(self, artifact_ids: Sequence[str]) -> list[ArtifactRow]:
        """The visible artifacts among `artifact_ids`, read in one statement: one moment."""
        if not artifact_ids:
            return []
        statement = (
            select(ArtifactRow)
            .where(ArtifactRow.id.in_(list(artifact_ids)), ArtifactRow.status == READY)
            .order_by(ArtifactRow.seq)
        )
        async with database_errors(), self._sessions() as session:
            return list((await session.execute(statement)).scalars())


def _gone(row: ArtifactRow) -> RegistryError:
    return RegistryError(
        f"The {row.type} {row.id!r} was deleted (or the registry reset) meanwhile; execute a "
        "new group.",
        409,
        code="conflict",
    )


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)
