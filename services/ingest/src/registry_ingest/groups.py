"""Atomic groups (R25): a request its owner fills with commands (upload a zip, ingest from a
URL, update, delete), then executes once. Either every change of the group becomes visible
at once or none does.

Execute stages every member first with the single-artifact path's own code (fetch or unpack,
the unsafe-weights scan, the bundle, the blobs; a new artifact is recorded `staged`, which no
reader sees; a model the R2 gate decides is rated before anything commits), then applies all
catalog changes in one transaction (`GroupStore.apply`), and publishes the events after the
commit. A member that fails rolls the whole group back and the error names it.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from registry_common.blobs import BlobStore
from registry_common.errors import BadRequest, NotFound, PayloadTooLarge, RegistryError
from registry_common.events import Event
from registry_ingest.audit import Actor
from registry_ingest.catalog import STAGED
from registry_ingest.group_commands import (
    CommandSpec,
    check_targets,
    describe_command,
    describe_group,
    member_error,
    not_open,
    parse_command,
)
from registry_ingest.group_store import (
    COMMITTED,
    OPEN,
    GroupPlan,
    GroupStore,
    MemberFailed,
)
from registry_ingest.service import (
    Fetch,
    StagedUpdate,
    deleted_event,
    updated_event,
    uploaded_event,
    utc_now,
)
from registry_ingest.sources.model import FetchedSource
from registry_ingest.storage import artifact_prefix
from registry_ingest.tables import ArtifactRow, GroupCommandRow, GroupRow
from registry_ingest.uow import UnitOfWorkFactory

OPS = ("upload", "ingest", "update", "delete")
ARTIFACT_TYPES = ("model", "dataset", "code")
_CHUNK = 1024 * 1024
_LIST_LIMIT = 500


class Stager(Protocol):
    """What a group needs of the single-artifact path (`IngestService` is the real one)."""

    def url_source(self, artifact_type: str, url: str) -> tuple[str, Fetch]: ...

    def upload_source(
        self, artifact_type: str, zip_path: Path | BinaryIO, filename: str
    ) -> tuple[str, Fetch]: ...

    async def stage_new(
        self,
        artifact_type: str,
        *,
        name: str,
        actor: Actor | None,
        version: str | None,
        fetch: Fetch,
        status: str,
    ) -> tuple[ArtifactRow, FetchedSource]: ...

    async def stage_update(
        self, artifact_type: str, artifact_id: str, name: str, url: str
    ) -> StagedUpdate: ...

    async def visible(self, artifact_type: str, artifact_id: str) -> ArtifactRow: ...

    def gated(self, row: ArtifactRow) -> bool: ...

    async def rated(self, artifact_id: str, seconds: float) -> ArtifactRow | None: ...

    async def discard(self, artifact_id: str) -> None: ...


@dataclass
class _Staging:
    """What execute staged so far, to apply or to roll back."""

    plan: GroupPlan
    created: list[tuple[int, ArtifactRow, FetchedSource]] = field(default_factory=list)
    updated: list[tuple[int, StagedUpdate]] = field(default_factory=list)
    announced: list[ArtifactRow] = field(default_factory=list)


class GroupService:
    def __init__(
        self,
        *,
        store: GroupStore,
        stager: Stager,
        blobs: BlobStore,
        uow: UnitOfWorkFactory,
        log: Any,
        ttl_seconds: float,
        max_commands: int,
        rating_wait_seconds: float,
        workdir: Path,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._stager = stager
        self._blobs = blobs
        self._uow = uow
        self._log = log
        self._ttl = timedelta(seconds=ttl_seconds)
        self._max_commands = max_commands
        self._rating_wait = rating_wait_seconds
        self._workdir = workdir
        self._clock = clock

    # ------------------------------------------------------------------ requests

    async def create(self, actor: Actor) -> dict[str, Any]:
        await self.expire()
        now = self._clock()
        row = GroupRow(
            id=str(uuid.uuid4()),
            owner=actor.name,
            state=OPEN,
            created_at=now,
            expires_at=now + self._ttl,
        )
        await self._store.create(row)
        self._log.info("ingest.group.created", group_id=row.id, owner=actor.name)
        return describe_group(row, [])

    async def listing(self, actor: Actor) -> list[dict[str, Any]]:
        """The caller's requests, newest first (an admin's: everyone's)."""
        await self.expire()
        rows = await self._store.listing(None if actor.is_admin else actor.name, limit=_LIST_LIMIT)
        commands = await self._store.commands([r.id for r in rows])
        return [describe_group(r, [c for c in commands if c.group_id == r.id]) for r in rows]

    async def get(self, group_id: str, actor: Actor) -> dict[str, Any]:
        await self.expire()
        row = await self._owned(group_id, actor)
        return describe_group(row, await self._store.commands([row.id]))

    async def add(self, group_id: str, actor: Actor, spec: CommandSpec) -> dict[str, Any]:
        """Append an ingest, update or delete command, checked as far as it can be now."""
        await self.expire()
        await self._owned(group_id, actor)
        command = parse_command(group_id, spec)
        if spec.op == "upload":
            raise BadRequest("Send an upload command as a multipart form to .../commands/upload.")
        await self._append(command)
        return describe_command(command)

    async def add_upload(
        self,
        group_id: str,
        actor: Actor,
        artifact_type: str,
        source: BinaryIO,
        filename: str,
        name: str | None,
        version: str | None,
    ) -> dict[str, Any]:
        """Append an upload: the zip waits in the blob store (under the group) until execute."""
        await self.expire()
        await self._owned(group_id, actor)
        command = parse_command(
            group_id, CommandSpec("upload", artifact_type, name=name, version=version)
        )
        key = f"groups/{group_id}/{uuid.uuid4().hex}.zip"
        await self._blobs.put(key, _chunks(source), content_type="application/zip")
        command.upload_key = key
        command.filename = Path(filename).name[:255] or "upload.zip"
        try:
            await self._append(command)
        except BaseException:
            await self._blobs.delete_prefix(key)
            raise
        return describe_command(command)

    async def _append(self, command: GroupCommandRow) -> None:
        outcome = await self._store.append(command, now=self._clock(), limit=self._max_commands)
        if outcome == "full":
            raise PayloadTooLarge(
                f"The group already holds {self._max_commands} commands, the most one group "
                "may hold; execute it and start another."
            )
        if outcome != OPEN:
            raise not_open(command.group_id, outcome)

    # ------------------------------------------------------------------ execute

    async def execute(self, group_id: str, actor: Actor) -> dict[str, Any]:
        await self.expire()
        group = await self._owned(group_id, actor)
        commands = await self._store.commands([group_id])
        if not commands:
            raise BadRequest("The group has no commands yet; add at least one, then execute.")
        check_targets(commands)
        if not await self._store.claim(group_id, self._clock()):
            current = await self._store.get(group_id)
            raise not_open(group_id, current.state if current else "missing")
        staging = _Staging(GroupPlan(group_id, actor))
        self._log.info("ingest.group.executing", group_id=group_id, commands=len(commands))
        try:
            for command in commands:
                try:
                    await self._stage(command, actor, staging)
                except RegistryError as exc:
                    raise MemberFailed(command.position, exc) from exc
            await self._verdicts(staging)
            _plan_events(staging)
            async with self._uow() as uow:  # rows and events: one transaction
                await uow.groups.apply(staging.plan, self._clock())
                for event in staging.plan.events:
                    uow.record(event)
                await uow.commit()
        except MemberFailed as failure:
            await self._roll_back(staging)
            error = member_error(group, commands, failure)
            await self._store.fail(
                group_id,
                position=failure.position,
                status=error.status,
                message=error.message,
                now=self._clock(),
            )
            self._log.info(
                "ingest.group.rolled_back",
                group_id=group_id,
                position=failure.position,
                status=error.status,
                reason=failure.error.message,
            )
            raise error from failure
        except BaseException:
            # A bug, a database outage, a cancelled request: nothing of the group applies.
            await self._roll_back(staging)
            with contextlib.suppress(Exception):
                await self._store.fail(
                    group_id,
                    position=None,
                    status=500,
                    message="The execution failed before it could apply; nothing was applied.",
                    now=self._clock(),
                )
            raise
        await self._after_commit(staging, commands)
        self._log.info(
            "ingest.group.committed",
            group_id=group_id,
            created=len(staging.plan.creates),
            updated=len(staging.plan.updates),
            deleted=len(staging.plan.deletes),
        )
        return await self.get(group_id, actor)

    async def _stage(self, command: GroupCommandRow, actor: Actor, staging: _Staging) -> None:
        kind = command.artifact_type
        if command.op == "delete":
            target = await self._stager.visible(kind, command.artifact_id or "")
            staging.plan.deletes.append((command.position, target))
            return
        if command.op == "update":
            update = await self._stager.stage_update(
                kind, command.artifact_id or "", command.name or "", command.url or ""
            )
            staging.updated.append((command.position, update))
            staging.plan.updates.append((command.position, update.current, update.values))
            return
        async with self._source(command) as (default, fetch):
            row, fetched = await self._stager.stage_new(
                kind,
                name=command.name or default,
                actor=actor,
                version=command.version,
                fetch=fetch,
                status=STAGED,
            )
        staging.created.append((command.position, row, fetched))
        staging.plan.creates.append((command.position, row))
        await self._store.set_artifact(command.seq, row.id)

    @contextlib.asynccontextmanager
    async def _source(self, command: GroupCommandRow) -> AsyncIterator[tuple[str, Fetch]]:
        if command.op == "ingest":
            yield self._stager.url_source(command.artifact_type, command.url or "")
            return
        # The uploaded zip comes back from the blob store into a file of our work directory.
        self._workdir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self._workdir) as tmp:
            path = Path(tmp) / "upload.zip"
            with path.open("wb") as handle:
                async for chunk in self._blobs.open(command.upload_key or ""):
                    await asyncio.to_thread(handle.write, chunk)
            yield self._stager.upload_source(
                command.artifact_type, path, command.filename or "upload.zip"
            )

    async def _verdicts(self, staging: _Staging) -> None:
        """A model the R2 gate decides is rated before the group commits: its upload is
        announced now (it is staged, invisible), and a refusal fails the group (424)."""
        gated = [(p, row) for p, row, _ in staging.created if self._stager.gated(row)]
        gated_events = [
            uploaded_event(row, fetched)
            for _, row, fetched in staging.created
            if self._stager.gated(row)
        ]
        await self._announce(gated_events)
        staging.announced.extend(row for _, row in gated)
        for position, row in gated:
            rated = await self._stager.rated(row.id, self._rating_wait)
            if rated is None:
                raise MemberFailed(
                    position,
                    RegistryError(
                        f"The scoring service did not rate it within {self._rating_wait:g} "
                        "seconds, and the ingest gate admits a model only by its rating; "
                        "retry the group later.",
                        504,
                        code="rating_timeout",
                    ),
                )
            rating = rated.details.get("rating") or {}
            if not rating.get("vetted"):
                failing = ", ".join(rating.get("failing_metrics") or []) or "the rating failed"
                raise MemberFailed(
                    position,
                    RegistryError(
                        f"The ingest gate refused it: its rating is disqualified ({failing} "
                        "below 0.5).",
                        424,
                        code="disqualified_rating",
                        details={"rating": rating},
                    ),
                )

    async def _roll_back(self, staging: _Staging) -> None:
        """Remove what staging wrote. Best effort: what a failure here leaves is invisible
        (staged rows, unreferenced blobs) and `expire` or the orphan sweeper collects it."""
        for _, row, _ in staging.created:
            with contextlib.suppress(Exception):
                await self._stager.discard(row.id)
        for _, update in staging.updated:
            with contextlib.suppress(Exception):
                await self._blobs.delete_prefix(update.prefix)
        # Scoring and lineage heard of the gated members; they forget them as any deletion.
        with contextlib.suppress(Exception):
            await self._announce([deleted_event(row) for row in staging.announced])
        with contextlib.suppress(Exception):
            # The group is over either way: its uploaded zips are not needed any more.
            await self._blobs.delete_prefix(f"groups/{staging.plan.group_id}/")

    async def _after_commit(self, staging: _Staging, commands: list[GroupCommandRow]) -> None:
        for _, row in staging.plan.deletes:
            await self._blobs.delete_prefix(artifact_prefix(row.id))
        await self._blobs.delete_prefix(f"groups/{staging.plan.group_id}/")

    # ------------------------------------------------------------------ snapshot

    async def snapshot(self, group_id: str, actor: Actor) -> list[ArtifactRow]:
        """The group's artifacts as they are at one moment (one read), for its download."""
        row = await self._owned(group_id, actor)
        if row.state != COMMITTED:
            raise RegistryError(
                f"The group {group_id!r} is {row.state}; only an executed (committed) group "
                "can be downloaded.",
                409,
                code="conflict",
            )
        commands = await self._store.commands([group_id])
        ids = [c.artifact_id for c in commands if c.op != "delete" and c.artifact_id]
        # Members deleted since are simply absent (the download's manifest says which).
        return await self._store.snapshot(ids)

    # ------------------------------------------------------------------ expiry

    async def expire(self) -> None:
        """Expire requests past their TTL and collect what they left: uploaded zips, and the
        staged rows of an execution that never finished (the process died mid-execute)."""
        now = self._clock()
        ids = await self._store.expire(now, abandoned_before=now - self._ttl)
        if not ids:
            return
        for command in await self._store.commands(ids):
            if command.op in ("upload", "ingest") and command.artifact_id:
                await self._stager.discard(command.artifact_id)
        for group_id in ids:
            await self._blobs.delete_prefix(f"groups/{group_id}/")
        self._log.info("ingest.group.expired", groups=len(ids))

    async def _announce(self, events: Sequence[Event]) -> None:
        """Events outside the group's own transaction (a gated member staged for rating, its
        withdrawal on rollback): through the outbox too, so a bus outage loses none."""
        if not events:
            return
        async with self._uow() as uow:
            for event in events:
                uow.record(event)
            await uow.commit()

    async def _owned(self, group_id: str, actor: Actor) -> GroupRow:
        row = await self._store.get(group_id)
        # Someone else's request is as absent as a missing one (ids are not to be probed).
        if row is None or not (actor.is_admin or row.owner == actor.name):
            raise NotFound(f"No group request has id {group_id!r} (for you).")
        return row


def _plan_events(staging: _Staging) -> None:
    """The events the group raises, in command order; the gated creates were announced
    while staging. (With the unit of work: `uow.record(event)` for each.)"""
    announced = {row.id for row in staging.announced}
    events: list[tuple[int, Event]] = []
    for position, row, fetched in staging.created:
        if row.id not in announced:
            events.append((position, uploaded_event(row, fetched)))
    by = staging.plan.actor.name if staging.plan.actor else None
    for position, update in staging.updated:
        events.append((position, updated_event(_updated(update), update.fetched, by)))
    for position, row in staging.plan.deletes:
        events.append((position, deleted_event(row)))
    staging.plan.events = [event for _, event in sorted(events, key=lambda item: item[0])]


def _updated(update: StagedUpdate) -> ArtifactRow:
    """The row as the update leaves it (for its event), without reading it back."""
    columns = {c.key: getattr(update.current, c.key) for c in ArtifactRow.__table__.columns}
    return ArtifactRow(**{**columns, **update.values, "revision": update.revision})


async def _chunks(source: BinaryIO) -> AsyncIterator[bytes]:
    while chunk := await asyncio.to_thread(source.read, _CHUNK):
        yield chunk
