"""Atomic groups' commands: what a caller may append (checked as far as it can be before
execute), how a request and its commands read, and the errors that name a group's state or
its failed member."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from registry_common.errors import BadRequest, NotFound, RegistryError
from registry_ingest.group_store import COMMITTED, EXECUTING, EXPIRED, MemberFailed
from registry_ingest.service import given_name
from registry_ingest.sources.urls import parse_source_url
from registry_ingest.tables import GroupCommandRow, GroupRow

OPS = ("upload", "ingest", "update", "delete")
ARTIFACT_TYPES = ("model", "dataset", "code")


@dataclass(frozen=True)
class CommandSpec:
    """One command as the caller wrote it (an upload's zip comes separately)."""

    op: str
    artifact_type: str
    url: str | None = None
    name: str | None = None
    version: str | None = None
    artifact_id: str | None = None


def parse_command(group_id: str, spec: CommandSpec) -> GroupCommandRow:
    """A command row from what the caller sent, refusing (400) what can be refused now."""
    if spec.op not in OPS:
        raise BadRequest(f"Unknown command {spec.op!r}; use one of {', '.join(OPS)}.")
    if spec.artifact_type not in ARTIFACT_TYPES:
        raise BadRequest(
            f"Unknown artifact type {spec.artifact_type!r}; use model, dataset or code."
        )
    name = given_name(spec.name)
    if spec.op in ("update", "delete") and not spec.artifact_id:
        raise BadRequest(f"A {spec.op} command needs the artifact's `id`.")
    if spec.op in ("ingest", "update"):
        if not spec.url:
            raise BadRequest(f"An {spec.op} command needs the source `url`.")
        parse_source_url(spec.url, spec.artifact_type)  # a malformed URL: 400 now
    if spec.op == "update" and not name:
        raise BadRequest("An update command needs the artifact's `name` (it must match its id).")
    return GroupCommandRow(
        group_id=group_id,
        position=0,
        op=spec.op,
        artifact_type=spec.artifact_type,
        artifact_id=spec.artifact_id if spec.op in ("update", "delete") else None,
        name=name,
        url=spec.url if spec.op in ("ingest", "update") else None,
        version=spec.version,
    )


def check_targets(commands: list[GroupCommandRow]) -> None:
    seen: dict[str, int] = {}
    for command in commands:
        if command.op not in ("update", "delete") or not command.artifact_id:
            continue
        if command.artifact_id in seen:
            raise BadRequest(
                f"Commands {seen[command.artifact_id]} and {command.position} both change "
                f"artifact {command.artifact_id!r}; one group changes an artifact once."
            )
        seen[command.artifact_id] = command.position


def not_open(group_id: str, state: str) -> RegistryError:
    if state == "missing":
        return NotFound(f"No group request has id {group_id!r} (for you).")
    if state == EXPIRED:
        return RegistryError(
            f"The group request {group_id!r} expired; create a new one.", 410, code="expired"
        )
    if state == EXECUTING:
        return RegistryError(
            f"The group {group_id!r} is being executed; wait for its outcome.",
            409,
            code="conflict",
        )
    return RegistryError(
        f"The group {group_id!r} was already executed ({state}); create a new one.",
        409,
        code="conflict",
    )


def member_error(
    group: GroupRow, commands: list[GroupCommandRow], failure: MemberFailed
) -> RegistryError:
    command = next((c for c in commands if c.position == failure.position), None)
    label = _label(command) if command else f"command {failure.position}"
    cause = failure.error
    return RegistryError(
        f"The group was rolled back, nothing of it was applied: the member at position "
        f"{failure.position} "
        f"({label}) failed: {cause.message}",
        cause.status,
        code=cause.code,
        details={
            **cause.details,
            "group": group.id,
            "failed_member": {
                "position": failure.position,
                "op": command.op if command else None,
                "reason": cause.message,
                "status": cause.status,
            },
        },
    )


def _label(command: GroupCommandRow) -> str:
    target = command.url or command.artifact_id or command.filename or command.name or ""
    return f"{command.op} {command.artifact_type} {target}".strip()


def describe_command(command: GroupCommandRow, *, committed: bool = False) -> dict[str, Any]:
    # A new artifact's id means something only once its group committed.
    creates = command.op in ("upload", "ingest")
    return {
        "position": command.position,
        "op": command.op,
        "type": command.artifact_type,
        "id": command.artifact_id if committed or not creates else None,
        "name": command.name,
        "url": command.url,
        "version": command.version,
        "filename": command.filename,
    }


def describe_group(row: GroupRow, commands: list[GroupCommandRow]) -> dict[str, Any]:
    failed = None
    if row.failure is not None:
        failed = {
            "position": row.failed_position,
            "status": row.failure_status,
            "reason": row.failure,
        }
    return {
        "id": row.id,
        "owner": row.owner,
        "state": row.state,
        "created_at": _iso(row.created_at),
        "expires_at": _iso(row.expires_at),
        "executed_at": _iso(row.executed_at) if row.executed_at else None,
        "commands": [describe_command(c, committed=row.state == COMMITTED) for c in commands],
        "failure": failed,
    }


def _iso(value: datetime) -> str:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
