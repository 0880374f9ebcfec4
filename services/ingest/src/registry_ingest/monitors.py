"""Sensitive models (R18) and their download history (R19).

A model may be marked sensitive and given one JavaScript monitor. Before every download of a
sensitive model, by any route (the gateway asks this service for every download, whether it
then streams the blob or redirects to a presigned URL), the monitor runs under Node.js 24 in
the sandbox with ``MODEL_NAME UPLOADER_USERNAME DOWNLOADER_USERNAME ZIP_FILE_PATH``; exit 0
lets the download proceed, anything else refuses it. Every attempt on a sensitive model is
recorded with the verdict. This service runs the monitors because it owns the bundles: the
zip the downloader is about to receive is read from the blob store and copied into the
sandbox's own directory (docs/security/monitors.md).
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from typing import Any

from registry_common.blobs import BlobInfo, BlobStore
from registry_common.errors import BadRequest, NotFound, PayloadTooLarge, RegistryError
from registry_common.sandbox import (
    Limits,
    Outcome,
    RemoteSandbox,
    SandboxRequest,
    SandboxResult,
    SandboxRunner,
)
from registry_ingest.audit import Actor, AuditTrail
from registry_ingest.config import IngestSettings
from registry_ingest.monitor_store import Attempt, MonitorStore, utc_text
from registry_ingest.tables import ArtifactRow

PROGRAM_FILE = "monitor.js"
ZIP_FILE = "bundle.zip"  # ZIP_FILE_PATH, relative to the monitor's working directory
MAX_PAGE = 100
# Outcomes where the registry could not run the program at all: an outage, not a verdict
# on the download (still refused: a sensitive model never leaves unmonitored).
_NOT_RUN = frozenset({Outcome.FAILED_TO_START, Outcome.DENIED})


@dataclass(frozen=True)
class Verdict:
    attempt: Attempt
    outage: bool = False


class SensitiveModels:
    def __init__(
        self,
        settings: IngestSettings,
        store: MonitorStore,
        audit: AuditTrail,
        blobs: BlobStore,
        sandbox: SandboxRunner,
        log: Any,
        *,
        row_flag: bool = True,
    ) -> None:
        """`row_flag`: whether the artifact row's copy of the flag is kept in step (the SQL
        catalog; not a catalog on DynamoDB, where every download reads the monitor row)."""
        self._row_flag = row_flag
        self._settings = settings
        self._store = store
        self._audit = audit
        self._blobs = blobs
        self._sandbox = sandbox
        self._log = log
        self._slots = asyncio.Semaphore(settings.monitor_max_concurrent)

    # ------------------------------------------------------------------ the monitor

    async def describe(self, row: ArtifactRow, actor: Actor) -> dict[str, Any]:
        """The flag and program (anyone may read them, R18); the last monitored outcome only
        for those who may read the history (it names a downloader)."""
        monitor = await self._store.get(row.id)
        last = await self._store.last_monitored(row.id) if _may_see_history(row, actor) else None
        return {
            "sensitive": bool(monitor and monitor.sensitive),
            "program": monitor.program if monitor else None,
            "updated_by": monitor.updated_by if monitor else None,
            "updated_at": utc_text(monitor.updated_at) if monitor else None,
            "last_outcome": last,
        }

    async def set(
        self, row: ArtifactRow, sensitive: bool, program: str | None, actor: Actor
    ) -> dict[str, Any]:
        if program is not None:
            size = len(program.encode("utf-8"))
            if size > self._settings.monitor_max_program_bytes:
                raise PayloadTooLarge(
                    f"The monitor program is {size} bytes; at most "
                    f"{self._settings.monitor_max_program_bytes} bytes are accepted."
                )
            if not program.strip():
                raise BadRequest(
                    "The monitor program is empty; send JavaScript, or DELETE the monitor."
                )
            if "\x00" in program:
                raise BadRequest("The monitor program contains a NUL character; send text.")
        await self._store.put(row.id, sensitive=sensitive, program=program, user=actor.name)
        # The spec's audit actions are a closed set: a change of the monitor is an UPDATE of
        # the artifact, by this user, at this time.
        await self._audit.record(row, "UPDATE", actor)
        self._log.info(
            "ingest.monitor.changed",
            artifact_id=row.id,
            user=actor.name,
            sensitive=sensitive,
            program_bytes=len(program.encode("utf-8")) if program else 0,
        )
        return await self.describe(row, actor)

    async def remove_program(self, row: ArtifactRow, actor: Actor) -> dict[str, Any]:
        """Deletes the program; the sensitive flag stays (downloads are then recorded but not
        checked) until a PUT clears it."""
        monitor = await self._store.get(row.id)
        if monitor is None or monitor.program is None:
            raise NotFound(f"The model {row.name!r} has no monitor program to delete.")
        return await self.set(row, monitor.sensitive, None, actor)

    async def history(
        self, row: ArtifactRow, actor: Actor, offset: int, limit: int
    ) -> dict[str, Any]:
        if not _may_see_history(row, actor):
            raise RegistryError(
                f"Only the uploader of {row.name!r} and admins may read its download history.",
                403,
                code="forbidden",
            )
        if offset < 0 or not 1 <= limit <= MAX_PAGE:
            raise BadRequest(f"Use offset >= 0 and 1 <= limit <= {MAX_PAGE}.")
        items, total = await self._store.history(row.id, offset, limit)
        following = offset + len(items)
        return {
            "items": items,
            "offset": offset,
            "limit": limit,
            "total": total,
            "next_offset": following if following < total else None,
        }

    # ------------------------------------------------------------------ the download check

    async def check_download(
        self, row: ArtifactRow, part: str, blob: BlobInfo, actor: Actor | None, client: str | None
    ) -> None:
        """Runs the monitor of a sensitive model and records the attempt; raises when the
        download must not proceed. Not sensitive: nothing to do.

        The artifact row carries a copy of the flag (kept in step by MonitorStore.put), so
        the monitor's own row is read only for models that are sensitive."""
        if self._row_flag and not row.sensitive:
            return
        monitor = await self._store.get(row.id)
        if monitor is None or not monitor.sensitive:
            return
        user = actor.name if actor else "anonymous"
        if monitor.program is None:
            attempt = Attempt(row.id, user, part, client, "allowed", monitored=False)
            await self._store.record(attempt)
            return
        verdict = await self._judge(row, monitor.program, part, blob, user, client)
        await self._store.record(verdict.attempt)
        self._log.info(
            "ingest.monitor.verdict",
            artifact_id=row.id,
            user=user,
            part=part,
            verdict=verdict.attempt.verdict,
            exit_code=verdict.attempt.exit_code,
            duration=verdict.attempt.duration,
        )
        _raise_unless_allowed(row, verdict, self._settings)

    async def _judge(
        self,
        row: ArtifactRow,
        program: str,
        part: str,
        blob: BlobInfo,
        user: str,
        client: str | None,
    ) -> Verdict:
        zip_bytes = await self._blobs.read(blob.key)
        async with self._slots:
            result = await self._sandbox.run(self._request(row, program, user, zip_bytes))
        return Verdict(
            _attempt(row, part, user, client, result, self._settings.monitor_message_bytes),
            outage=result.outcome in _NOT_RUN,
        )

    def _request(
        self, row: ArtifactRow, program: str, user: str, zip_bytes: bytes
    ) -> SandboxRequest:
        settings = self._settings
        node = settings.node_binary()
        if not isinstance(self._sandbox, RemoteSandbox):
            # The sandbox binds the directory of the real binary read-only (the npm
            # package's bin/, nothing else of the checkout).
            node = os.path.realpath(node)
        return SandboxRequest(
            command=node,
            args=(
                f"--max-old-space-size={settings.monitor_heap_mb}",
                PROGRAM_FILE,
                row.name,
                row.uploader or "",
                user,
                ZIP_FILE,
            ),
            files={PROGRAM_FILE: program.encode("utf-8"), ZIP_FILE: zip_bytes},
            limits=Limits(
                wall_seconds=settings.monitor_wall_seconds,
                cpu_seconds=settings.monitor_cpu_seconds,
                memory_bytes=settings.monitor_memory_bytes,
                output_bytes=settings.monitor_output_bytes,
            ),
            network=settings.monitor_network,
            readonly_paths=(os.path.dirname(node),),
            label="download-monitor",
        )


def _may_see_history(row: ArtifactRow, actor: Actor | None) -> bool:
    return actor is not None and (actor.is_admin or actor.name == row.uploader)


def _attempt(
    row: ArtifactRow,
    part: str,
    user: str,
    client: str | None,
    result: SandboxResult,
    keep: int,
) -> Attempt:
    if result.ok:
        verdict = "allowed"
    elif result.outcome is Outcome.COMPLETED:
        verdict = "refused"
    elif result.outcome is Outcome.TIMED_OUT:
        verdict = "timed_out"
    else:
        verdict = "failed"
    return Attempt(
        artifact_id=row.id,
        user=user,
        part=part,
        client=client,
        verdict=verdict,
        monitored=True,
        exit_code=result.exit_code,
        output=result.stdout[:keep].decode("utf-8", "replace"),
        message=result.message,
        duration=result.duration,
    )


def _raise_unless_allowed(row: ArtifactRow, verdict: Verdict, settings: IngestSettings) -> None:
    attempt = verdict.attempt
    if attempt.verdict == "allowed":
        return
    details = {
        "verdict": attempt.verdict,
        "exit_code": attempt.exit_code,
        "stdout": attempt.output,
    }
    said = f" Its output: {attempt.output.strip()}" if attempt.output.strip() else ""
    if verdict.outage:
        raise RegistryError(
            f"The download monitor of the sensitive model {row.name!r} could not run "
            f"(sandbox: {attempt.message}), so the download is refused; an operator should "
            "check INGEST_MONITOR_NODE and the sandbox settings.",
            503,
            code="monitor_unavailable",
            details={**details, "component": "download monitor sandbox"},
        )
    if attempt.verdict == "refused":
        message = (
            f"The monitor of the sensitive model {row.name!r} refused this download "
            f"(exit code {attempt.exit_code}).{said}"
        )
    elif attempt.verdict == "timed_out":
        message = (
            f"The monitor of the sensitive model {row.name!r} did not finish within its "
            f"{settings.monitor_wall_seconds:g} s limit, so the download is refused.{said}"
        )
    else:
        message = (
            f"The monitor of the sensitive model {row.name!r} failed ({attempt.message}), "
            f"so the download is refused.{said}"
        )
    raise RegistryError(message, 403, code=f"monitor_{attempt.verdict}", details=details)
