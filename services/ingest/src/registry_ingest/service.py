"""Ingest write use cases: register (URL or zip), update, delete, reset, and the rating's
outcome. Reads are in `reads.py`.

The ingest flow: fetch the source, build the bundle, store its parts, then in one unit of
work record the artifact, its audit entry and ArtifactUploaded (published by the outbox
relay after the commit), then (models only) wait, bounded, for ArtifactScored: 201 when
admitted, 424 when the gate refuses it, 202 when the rating is still running.

Write order, so that no failure leaves a visible artifact without its blobs or an event
for a change that did not commit: blobs first (unreferenced until the row commits; a crash
leaves them to the orphan-blob sweeper), then rows + events in one transaction, then blob
removals after a commit that deleted rows (a failure there is also the sweeper's).
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from registry_common.blobs import BlobStore
from registry_common.errors import BadRequest, NotFound, RegistryError
from registry_common.events import (
    ArtifactDeleted,
    ArtifactMetadata,
    ArtifactRef,
    ArtifactScored,
    ArtifactUpdated,
    ArtifactUploaded,
    RegistryReset,
)
from registry_common.telemetry import inject_trace_context
from registry_ingest.audit import Actor
from registry_ingest.bundle_index import BundleIndexes, IndexEntry, build_index, file_reader
from registry_ingest.bundles import Bundle, build_bundle
from registry_ingest.catalog import PENDING, READY, REJECTED, STAGED, CatalogStore, DuplicateId
from registry_ingest.config import IngestSettings
from registry_ingest.gate import failing_metrics
from registry_ingest.group_store import GroupStore
from registry_ingest.ids import new_artifact_id
from registry_ingest.popularity import Popularity
from registry_ingest.scanning.bundle import ScanLimits, WeightsScan, refusal, scan_files
from registry_ingest.sources.fetcher import SourceFetcher
from registry_ingest.sources.model import FetchedSource
from registry_ingest.sources.upload import UploadLimits
from registry_ingest.sources.urls import parse_source_url
from registry_ingest.storage import (
    BUNDLE_DIR,
    artifact_prefix,
    bundle_dir,
    new_attempt,
    revision_prefix,
    store_bundle,
)
from registry_ingest.tables import ArtifactRow
from registry_ingest.uow import UnitOfWorkFactory

Fetch = Callable[[Path], Awaitable[FetchedSource]]
_MAX_EVENT_FIELD = 64_000  # bytes of card/config carried inside an event (SNS limit: 256 KB)


@dataclass(frozen=True)
class Outcome:
    """What a create or update did: the HTTP status the gateway answers, and the artifact."""

    status: int
    row: ArtifactRow


@dataclass(frozen=True)
class StagedUpdate:
    """An update's new revision, fetched, scanned and in the blob store, not yet recorded:
    `values` are the catalog columns `Catalog.replace_revision` writes."""

    current: ArtifactRow
    values: dict[str, Any]
    fetched: FetchedSource
    entries: list[IndexEntry] = field(default_factory=list)  # the bundle index (Hub API)

    @property
    def revision(self) -> int:
        return self.current.revision + 1

    @property
    def prefix(self) -> str:
        """Where this attempt stored its blobs (its own folder, see `storage.bundle_dir`)."""
        return revision_prefix(self.current.id, self.revision, self.values["details"])


def utc_now() -> datetime:
    return datetime.now(UTC)


def _bounded(value: Any) -> Any:
    """`value` if its JSON form is small enough for an event, else a note that it is not."""
    import orjson

    encoded = orjson.dumps(value, default=str)
    return value if len(encoded) <= _MAX_EVENT_FIELD else {"_truncated": len(encoded)}


class IngestService:
    """The write use cases. `catalog` answers reads; every write goes through a unit of
    work from `uow` (rows and their events in one transaction)."""

    def __init__(
        self,
        settings: IngestSettings,
        catalog: CatalogStore,
        blobs: BlobStore,
        uow: UnitOfWorkFactory,
        fetcher: SourceFetcher,
        log: Any,
        popularity: Popularity,
        indexes: BundleIndexes | None = None,
        groups: GroupStore | None = None,
    ) -> None:
        self._indexes = indexes
        self._groups = groups
        self._popularity = popularity
        self._settings = settings
        self._catalog = catalog
        self._blobs = blobs
        self._uow = uow
        self._fetcher = fetcher
        self._log = log
        self._waiters: dict[str, asyncio.Event] = {}
        self._workdir = settings.runtime.data_dir / "work"

    # ------------------------------------------------------------------ register

    async def register(
        self,
        artifact_type: str,
        url: str,
        name: str | None,
        actor: Actor | None,
        version: str | None = None,
    ) -> Outcome:
        default, fetch = self.url_source(artifact_type, url)
        return await self._ingest(
            artifact_type,
            name=given_name(name) or default,
            actor=actor,
            version=version,
            fetch=fetch,
        )

    def url_source(self, artifact_type: str, url: str) -> tuple[str, Fetch]:
        """The name a URL gives an artifact, and how to fetch it (400 for a bad URL now)."""
        ref = parse_source_url(url, artifact_type)
        return ref.default_name, lambda workdir: self._fetcher.fetch(ref, workdir)

    def upload_source(
        self, artifact_type: str, zip_path: Path | BinaryIO, filename: str
    ) -> tuple[str, Fetch]:
        """The name an uploaded zip gives an artifact, and how to unpack it (with limits)."""
        limits = UploadLimits(
            max_bytes=self._settings.max_upload_bytes,
            max_files=self._settings.max_upload_files,
            max_uncompressed_bytes=self._settings.max_upload_uncompressed_bytes,
            max_ratio=self._settings.max_upload_ratio,
        )

        async def fetch(workdir: Path) -> FetchedSource:
            return await self._fetcher.from_upload(
                zip_path, workdir, filename=filename, limits=limits, artifact_type=artifact_type
            )

        return Path(filename).stem or "upload", fetch

    async def register_upload(
        self,
        artifact_type: str,
        zip_path: Path | BinaryIO,
        filename: str,
        name: str | None,
        actor: Actor | None,
        version: str | None = None,
    ) -> Outcome:
        default, fetch = self.upload_source(artifact_type, zip_path, filename)
        return await self._ingest(
            artifact_type,
            name=given_name(name) or default,
            actor=actor,
            version=version,
            fetch=fetch,
        )

    async def _ingest(
        self,
        artifact_type: str,
        *,
        name: str,
        actor: Actor | None,
        version: str | None,
        fetch: Fetch,
    ) -> Outcome:
        # Only models are rated before they become visible; datasets and code at once.
        status = PENDING if artifact_type == "model" else READY
        row, _ = await self.stage_new(
            artifact_type, name=name, actor=actor, version=version, fetch=fetch, status=status
        )
        self._log.info(
            "ingest.artifact.stored",
            artifact_id=row.id,
            name=row.name,
            type=row.type,
            status=row.status,
            bytes=row.bundle_bytes,
        )
        if row.status == READY:
            return Outcome(201, row)
        return await self._await_rating(row)

    async def stage_new(
        self,
        artifact_type: str,
        *,
        name: str,
        actor: Actor | None,
        version: str | None,
        fetch: Fetch,
        status: str,
    ) -> tuple[ArtifactRow, FetchedSource]:
        """Fetch, scan (the unsafe-weights gate), bundle and store a new artifact, recorded
        with `status`: the single path's pending/ready, or an atomic group's staged."""
        self._workdir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self._workdir) as tmp:
            fetched = await fetch(Path(tmp))
            scan = await self._scan_weights(fetched)
            bundle = await build_bundle(fetched, Path(tmp))
            row = await self._store_new(
                artifact_type, name, actor, version, fetched, bundle, scan, status
            )
            await self._save_index(row.id, row.revision, await _index_of(bundle))
        return row, fetched

    async def _store_new(
        self,
        artifact_type: str,
        name: str,
        actor: Actor | None,
        version: str | None,
        fetched: FetchedSource,
        bundle: Bundle,
        scan: WeightsScan,
        status: str,
    ) -> ArtifactRow:
        """Store the bundle, then the row, its audit entry and ArtifactUploaded at once."""
        uploader = actor.name if actor else None
        now = utc_now()
        for _ in range(5):
            artifact_id = new_artifact_id()
            await store_bundle(self._blobs, artifact_id, 1, bundle)
            row = ArtifactRow(
                id=artifact_id,
                name=name,
                type=artifact_type,
                status=status,
                revision=1,
                uploader=uploader,
                created_at=now,
                **_content_columns(fetched, bundle, scan, version, now),
            )
            try:
                async with self._uow() as uow:
                    await uow.catalog.insert(row)
                    if status != STAGED:  # a group's member is recorded when the group applies
                        await uow.audit.record(row, "CREATE", actor)
                        uow.record(uploaded_event(row, fetched))
                    await uow.commit()
                return row
            except DuplicateId:
                await self._discard_blobs(artifact_prefix(artifact_id))
            except BaseException:
                await self._discard_blobs(artifact_prefix(artifact_id))
                raise
        raise RegistryError("Could not allocate an artifact id; please retry.", 503)

    async def _save_index(self, artifact_id: str, revision: int, entries: list[IndexEntry]) -> None:
        """Where each file lies in the stored zip, for the Hub-compatible API (written now,
        from the local zip, so the first request does not read the blob store's directory)."""
        if self._indexes is not None:
            await self._indexes.save(artifact_id, revision, entries)

    async def _scan_weights(self, fetched: FetchedSource) -> WeightsScan:
        """Scan the pickle-based files before anything is stored, so the refuse policy
        leaves no blob and no row behind."""
        limits = ScanLimits(
            max_file_bytes=self._settings.scan_max_file_bytes,
            budget_seconds=self._settings.scan_budget_seconds,
        )
        scan = await asyncio.to_thread(scan_files, fetched.files, limits)
        self._log.info(
            "ingest.weights.scanned",
            source=fetched.ref.url,
            verdict=scan.verdict,
            files=len(scan.files),
            unsafe=scan.summary() or None,
            reason=scan.reason,
        )
        if scan.verdict == "unsafe" and self._settings.unsafe_pickle_policy == "refuse":
            raise refusal(scan)
        return scan

    async def _discard_blobs(self, prefix: str) -> None:
        """Remove blobs no committed row references; if the store fails too, the orphan
        sweeper removes them later (the original error is the one to report)."""
        try:
            await self._blobs.delete_prefix(prefix)
        except Exception as exc:
            self._log.warning(
                "ingest.blobs.left_for_sweeper", prefix=prefix, error=type(exc).__name__
            )

    async def _await_rating(self, row: ArtifactRow) -> Outcome:
        """Wait for the rating: an in-process signal, with the database as the fallback (in
        distributed mode another ingest replica may consume the ArtifactScored event)."""
        waiter = self._waiters.setdefault(row.id, asyncio.Event())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._settings.rating_wait_seconds
        try:
            while True:
                status = await self._catalog.status_of(row.id)
                if status == READY:
                    decided = await self._catalog.get(row.id)
                    return Outcome(201, decided or row)
                if status == REJECTED or status is None:
                    # Read it once more for the rating that refused it, then drop the tombstone.
                    refused = await self._catalog.get(row.id, visible_only=False)
                    async with self._uow() as uow:
                        await uow.catalog.remove(row.id)
                        await uow.audit.forget(row.id)
                        await uow.commit()
                    return Outcome(424, refused or row)
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return Outcome(202, row)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiter.wait(), timeout=min(remaining, 0.5))
        finally:
            self._waiters.pop(row.id, None)

    def gated(self, row: ArtifactRow) -> bool:
        """Whether the R2 gate decides this artifact's admission by its rating."""
        return self._settings.gate_enabled and is_public_hf_model(row)

    async def rated(self, artifact_id: str, seconds: float) -> ArtifactRow | None:
        """The row once its rating is recorded (whatever its status), None if it is not
        within `seconds` or the row is gone: the same signal and database fallback as
        `_await_rating`."""
        waiter = self._waiters.setdefault(artifact_id, asyncio.Event())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        try:
            while True:
                row = await self._catalog.get(artifact_id, visible_only=False)
                if row is None or "rating" in row.details:
                    return row
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return None
                waiter.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiter.wait(), timeout=min(remaining, 0.5))
        finally:
            self._waiters.pop(artifact_id, None)

    async def discard(self, artifact_id: str) -> None:
        """Remove a staged artifact, rows and blobs (a group rolled back); one that became
        visible meanwhile is not staged any more and stays."""
        status = await self._catalog.status_of(artifact_id)
        if status not in (STAGED, None):
            return
        await self._catalog.remove(artifact_id)
        await self._blobs.delete_prefix(artifact_prefix(artifact_id))

    # ------------------------------------------------------------------ rating outcome

    async def record_rating(self, event: ArtifactScored) -> None:
        row = await self._catalog.get(event.artifact.id, visible_only=False)
        if row is None:
            return  # deleted while it was being rated (or never known): nothing to rate
        recorded = _instant((row.details.get("rating") or {}).get("rated_at"))
        if recorded is not None and recorded > event.occurred_at:
            # Ratings arrive in any order (retries, redrives): an older one must not replace
            # the newer verdict (e.g. the previous revision's, or before a tree re-score).
            self._log.info(
                "ingest.rating.stale",
                artifact_id=row.id,
                rated_at=event.occurred_at.isoformat(),
                recorded=recorded.isoformat(),
            )
            return
        failing = (
            failing_metrics(event.rating.as_mapping()) if event.rating is not None else ["rating"]
        )
        vetted = event.error is None and not failing
        net = event.rating.net_score if event.rating else None
        details = {
            **row.details,
            "rating": {
                "vetted": vetted,
                "failing_metrics": failing,
                "error": event.error,
                "rated_at": event.occurred_at.isoformat(),
            },
        }
        now = utc_now()
        if row.status == PENDING:
            gated = self.gated(row)
            status = REJECTED if gated and not vetted else READY
            decided = await self._catalog.decide(
                row.id,
                status=status,
                vetted=vetted,
                net_score=_number(net),
                details=details,
                now=now,
            )
            if decided and status == REJECTED:
                await self._blobs.delete_prefix(artifact_prefix(row.id))
                if self._indexes is not None:
                    await self._indexes.forget(row.id)
            self._log.info(
                "ingest.artifact.rated",
                artifact_id=row.id,
                status=status,
                vetted=vetted,
                failing=failing,
            )
        else:
            await self._catalog.set_rating_summary(
                row.id, vetted=vetted, net_score=_number(net), details=details, now=now
            )
        if (waiter := self._waiters.get(row.id)) is not None:
            waiter.set()

    # ------------------------------------------------------------------ update / delete / reset

    async def update(
        self,
        artifact_type: str,
        artifact_id: str,
        name: str,
        url: str,
        actor: Actor | None,
    ) -> Outcome:
        by = actor.name if actor else None
        staged = await self.stage_update(artifact_type, artifact_id, name, url)
        revision = staged.revision
        now = staged.values["updated_at"]
        try:
            async with self._uow() as uow:
                if not await uow.catalog.replace_revision(
                    staged.current, staged.values, by=by, now=now
                ):
                    raise RegistryError(
                        "The artifact was updated by someone else meanwhile; read it and retry.",
                        409,
                    )
                updated = await uow.catalog.get(artifact_id)
                if updated is None:  # the conditional UPDATE above just wrote it
                    raise RegistryError(f"Artifact {artifact_id} vanished during its update.")
                await uow.audit.record(updated, "UPDATE", actor)
                uow.record(updated_event(updated, staged.fetched, by))
                await uow.commit()
        except BaseException:
            await self._discard_blobs(staged.prefix)
            raise
        await self._save_index(artifact_id, revision, staged.entries)
        self._log.info("ingest.artifact.updated", artifact_id=artifact_id, revision=revision)
        return Outcome(200, updated)

    async def stage_update(
        self, artifact_type: str, artifact_id: str, name: str, url: str
    ) -> StagedUpdate:
        """Check the target, then fetch, scan, bundle and store its next revision's blobs
        (under their own prefix: invisible until a row points at that revision)."""
        current = await self.visible(artifact_type, artifact_id)
        if name != current.name:
            raise BadRequest(
                f"The name {name!r} does not match artifact {artifact_id}'s name "
                f"{current.name!r}; the name and id must match."
            )
        ref = parse_source_url(url, artifact_type)
        revision = current.revision + 1
        # This attempt's own folder: a concurrent update of the same artifact writes (and,
        # losing the race, removes) its own, never this one's.
        folder = bundle_dir(revision, new_attempt())
        self._workdir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self._workdir) as tmp:
            fetched = await self._fetcher.fetch(ref, Path(tmp))
            scan = await self._scan_weights(fetched)
            bundle = await build_bundle(fetched, Path(tmp))
            entries = await _index_of(bundle)
            await store_bundle(self._blobs, artifact_id, revision, bundle, folder.partition(".")[2])
        now = utc_now()
        values = _content_columns(fetched, bundle, scan, None, now)
        values["details"][BUNDLE_DIR] = folder
        return StagedUpdate(current, values, fetched, entries)

    async def delete(self, artifact_type: str, artifact_id: str) -> None:
        """Catalog, audit, monitor, review rows and ArtifactDeleted in one transaction; the blobs
        after the commit (a failure there leaves them to the orphan sweeper)."""
        async with self._uow() as uow:
            row = await uow.catalog.get(artifact_id)
            if row is None or row.type != artifact_type:
                raise NotFound(f"No {artifact_type} artifact has id {artifact_id!r}.")
            await uow.catalog.remove(row.id)
            await uow.audit.forget(row.id)
            await uow.monitors.forget(row.id)
            await uow.reviews.forget(row.id)
            uow.record(deleted_event(row))
            await uow.commit()
        if self._indexes is not None:  # derived data: rebuilt on demand, so after the commit
            await self._indexes.forget(row.id)
        await self._discard_blobs(artifact_prefix(row.id))
        self._log.info("ingest.artifact.deleted", artifact_id=row.id)

    async def reset(self, requested_by: str | None) -> None:
        """Empty the catalog and tell the other services to clear theirs (one transaction),
        then remove the blobs."""
        self._popularity.forget()
        async with self._uow() as uow:
            await uow.catalog.clear()
            await uow.audit.clear()
            await uow.monitors.clear()
            await uow.reviews.clear()
            uow.record(
                RegistryReset(
                    source="ingest",
                    requested_by=requested_by,
                    trace_context=inject_trace_context(),
                )
            )
            await uow.commit()
        if self._indexes is not None:
            await self._indexes.clear()
        if self._groups is not None:
            await self._groups.clear()
            await self._blobs.delete_prefix("groups/")
        removed = await self._blobs.delete_prefix("artifacts/")
        self._log.info("ingest.reset.applied", blobs_removed=removed)

    async def visible(self, artifact_type: str, artifact_id: str) -> ArtifactRow:
        row = await self._catalog.get(artifact_id)
        if row is None or row.type != artifact_type:
            raise NotFound(f"No {artifact_type} artifact has id {artifact_id!r}.")
        return row


async def _index_of(bundle: Bundle) -> list[IndexEntry]:
    full = bundle.paths["full"]
    return await build_index(
        file_reader(full), full.stat().st_size, bundle.manifest.get("files", [])
    )


def given_name(name: str | None) -> str | None:
    if name is None:
        return None
    if not name.strip():
        raise BadRequest("The name must not be blank; leave it out to use the source's name.")
    if name == "*":
        raise BadRequest("The name '*' is reserved (it means 'every artifact' in queries).")
    if len(name) > 512:
        raise BadRequest("The name is longer than 512 characters.")
    return name


def _content_columns(
    fetched: FetchedSource, bundle: Bundle, scan: WeightsScan, version: str | None, now: datetime
) -> dict[str, Any]:
    return {
        "source_url": fetched.ref.url,
        "source_kind": fetched.ref.kind,
        "version": version or (fetched.versions[-1] if fetched.versions else None),
        "versions": list(fetched.versions),
        "readme": fetched.card_text,
        "details": {
            **fetched.metadata,
            "revision": fetched.revision,
            "complete": fetched.complete,
            "notes": list(fetched.notes),
            "card_data": fetched.card_data,
            "card_error": fetched.card_error,
            "config": fetched.config,
            "files": bundle.manifest.get("files", []),
        },
        "content_bytes": bundle.content_bytes,
        "bundle_bytes": bundle.size_bytes,
        "weights_scan": scan.as_json(),
        "updated_at": now,
    }


def uploaded_event(row: ArtifactRow, fetched: FetchedSource) -> ArtifactUploaded:
    return ArtifactUploaded(
        source="ingest",
        artifact=ArtifactRef(id=row.id, name=row.name, type=row.type),  # type: ignore[arg-type]
        source_url=row.source_url,
        uploader=row.uploader,
        metadata=_event_metadata(row, fetched),
        trace_context=inject_trace_context(),
    )


def updated_event(row: ArtifactRow, fetched: FetchedSource, by: str | None) -> ArtifactUpdated:
    return ArtifactUpdated(
        source="ingest",
        artifact=ArtifactRef(id=row.id, name=row.name, type=row.type),  # type: ignore[arg-type]
        source_url=row.source_url,
        uploader=by,
        metadata=_event_metadata(row, fetched),
        trace_context=inject_trace_context(),
    )


def deleted_event(row: ArtifactRow) -> ArtifactDeleted:
    return ArtifactDeleted(
        source="ingest",
        artifact=ArtifactRef(id=row.id, name=row.name, type=row.type),  # type: ignore[arg-type]
        trace_context=inject_trace_context(),
    )


def _event_metadata(row: ArtifactRow, fetched: FetchedSource) -> ArtifactMetadata:
    # Validated strictly: a source that starts reporting a new key fails here (and in the
    # tests) until the key is declared in ArtifactMetadata, never silently on the wire.
    details = row.details
    return ArtifactMetadata.model_validate(
        {
            "revision": row.revision,
            "bundle_prefix": revision_prefix(row.id, row.revision, row.details),
            "source_kind": row.source_kind,
            "version": row.version,
            "versions": row.versions,
            "content_bytes": row.content_bytes,
            "card_data": _bounded(fetched.card_data),
            "card_error": fetched.card_error,
            "config": _bounded(fetched.config),
            "config_error": fetched.config_error,
            "files": _bounded(details.get("files", [])),
            **{
                key: value
                for key, value in fetched.metadata.items()
                if key not in {"card_data", "config", "files"}
            },
        }
    )


def is_public_hf_model(row: ArtifactRow) -> bool:
    return row.type == "model" and row.source_kind == "huggingface_model"


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _instant(value: Any) -> datetime | None:
    """A stored ISO timestamp as an aware datetime (naive ones are UTC); None if absent."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
