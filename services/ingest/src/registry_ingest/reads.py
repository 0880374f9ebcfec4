"""Ingest read use cases: one artifact, enumerate (paginated), by name, regex, cost, and what
a download needs. Only `ready` artifacts are ever visible."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import DBAPIError

from registry_common.blobs import BlobInfo, BlobStore
from registry_common.bus import EventBus
from registry_common.errors import BadRequest, NotFound, PayloadTooLarge
from registry_common.events import ArtifactDownloaded, ArtifactRef
from registry_common.telemetry import get_logger, inject_trace_context
from registry_ingest.audit import Actor, AuditTrail
from registry_ingest.catalog import CatalogStore, NameQuery
from registry_ingest.config import IngestSettings
from registry_ingest.monitors import SensitiveModels
from registry_ingest.popularity import Popularity
from registry_ingest.search import compile_search, database_prefilter
from registry_ingest.storage import PARTS, part_key
from registry_ingest.tables import ArtifactRow
from registry_ingest.versions import compile_version_query

ARTIFACT_TYPES = frozenset({"model", "dataset", "code"})
_SCAN_BATCH = 500
_log = get_logger("ingest")
BYTES_PER_MB = 1_000_000  # decimal megabytes, as hubs report sizes


@dataclass(frozen=True)
class Query:
    name: str
    types: tuple[str, ...] = ()
    version: str | None = None


@dataclass(frozen=True)
class Page:
    items: list[ArtifactRow]
    next_offset: str | None


def summary(row: ArtifactRow) -> dict[str, str]:
    return {"name": row.name, "id": row.id, "type": row.type}


def describe(row: ArtifactRow) -> dict[str, Any]:
    """The artifact as the gateway needs it (it adds the absolute download_url)."""
    rating = row.details.get("rating") or {}
    return {
        "metadata": summary(row),
        "data": {"url": row.source_url},
        "extra": {
            "status": row.status,
            "revision": row.revision,
            "version": row.version,
            "versions": row.versions,
            "source_kind": row.source_kind,
            "vetted": row.vetted,
            "net_score": row.net_score,
            "rating": rating,
            "weights_scan": row.weights_scan,
            "complete": row.details.get("complete"),
            "notes": row.details.get("notes", []),
            "license": row.details.get("license"),
            "content_bytes": row.content_bytes,
            "bundle_bytes": row.bundle_bytes,
            "uploader": row.uploader,
            "created_at": row.created_at.isoformat(),
            "updated_at": row.updated_at.isoformat(),
        },
    }


class CatalogReader:
    def __init__(
        self,
        settings: IngestSettings,
        catalog: CatalogStore,
        blobs: BlobStore,
        bus: EventBus,
        audit: AuditTrail,
        popularity: Popularity,
        sensitive: SensitiveModels | None = None,
    ) -> None:
        self._popularity = popularity
        self._audit = audit
        self._sensitive = sensitive
        self._settings = settings
        self._catalog = catalog
        self._blobs = blobs
        self._bus = bus

    async def get(self, artifact_type: str, artifact_id: str) -> ArtifactRow:
        row = await self._catalog.get(artifact_id)
        if row is None or row.type != artifact_type:
            raise NotFound(f"No {artifact_type} artifact has id {artifact_id!r}.")
        return row

    async def enumerate(self, queries: list[Query], offset: str | None) -> Page:
        if not queries:
            raise BadRequest('Send at least one query, e.g. [{"name": "*"}].')
        if len(queries) > self._settings.max_queries:
            raise PayloadTooLarge(
                f"At most {self._settings.max_queries} queries fit in one request; split it."
            )
        after = _parse_offset(offset)
        name_queries = [_to_name_query(q) for q in queries]
        predicates = [
            (nq, compile_version_query(q.version) if q.version else None)
            for nq, q in zip(name_queries, queries, strict=True)
        ]
        needs_version_filter = any(p is not None for _, p in predicates)
        limit = self._settings.page_size
        items: list[ArtifactRow] = []
        cursor = after
        while len(items) <= limit:
            batch = await self._catalog.page(name_queries, after=cursor, limit=limit + 1)
            if not batch:
                break
            for row in batch:
                cursor = row.seq
                if not needs_version_filter or _version_matches(row, predicates):
                    items.append(row)
                    if len(items) > limit:
                        break
            if len(batch) <= limit:
                break
        page = (
            Page(items[:limit], str(items[limit - 1].seq))
            if len(items) > limit
            else Page(items, None)
        )
        if all(q.name is not None for q in name_queries):  # a search, not a listing
            self._popularity.appeared(r.id for r in page.items)
        return page

    async def by_name(self, name: str) -> list[ArtifactRow]:
        if name == "*":
            raise BadRequest("The name '*' is reserved; use POST /artifacts to list everything.")
        rows = await self._catalog.by_name(name, limit=self._settings.max_name_matches)
        if not rows:
            raise NotFound(f"No artifact is named {name!r}.")
        self._popularity.appeared(r.id for r in rows)
        return rows

    async def regex(self, pattern: str) -> list[ArtifactRow]:
        """Artifacts whose name or README matches; scanned in batches with a linear-time
        engine off the event loop, so a hostile pattern cannot stall other requests."""
        matches = compile_search(pattern)
        # PostgreSQL narrows the rows with its trigram indexes (migration 0012) when the
        # pattern means the same to it; RE2 still decides every match. A pattern it cannot
        # run in time (or reads differently) falls back to the scan of every row.
        prefilter = database_prefilter(pattern)
        found: list[str] = []
        after = 0
        while len(found) < self._settings.max_regex_results:
            try:
                batch = await self._catalog.texts(
                    after=after, limit=_SCAN_BATCH, prefilter=prefilter
                )
            except DBAPIError:
                if prefilter is None:
                    raise
                _log.info("ingest.regex.prefilter_abandoned", pattern_chars=len(pattern))
                prefilter = None
                continue
            if not batch:
                break
            after = batch[-1][0]
            found.extend(await asyncio.to_thread(_matching_ids, batch, matches))
        if not found:
            raise NotFound(f"No artifact's name or README matches {pattern!r}.")
        rows = await self._catalog.get_many(found[: self._settings.max_regex_results])
        self._popularity.appeared(r.id for r in rows)
        return rows

    async def audit(
        self, artifact_type: str, artifact_id: str, actor: Actor | None
    ) -> list[dict[str, Any]]:
        """The trail, oldest first; reading it is itself recorded (AUDIT)."""
        row = await self.get(artifact_type, artifact_id)
        await self._audit.record(row, "AUDIT", actor)
        return await self._audit.entries(row.id)

    async def record(
        self, artifact_type: str, artifact_id: str, action: str, actor: Actor | None
    ) -> None:
        """An action another service performed on a visible artifact (RATE)."""
        row = await self.get(artifact_type, artifact_id)
        await self._audit.record(row, action, actor)

    async def cost(self, artifact_type: str, artifact_id: str) -> float:
        """Standalone download size in MB: the declared size of every file of the source
        (what a full download costs, even while weights are not mirrored)."""
        row = await self.get(artifact_type, artifact_id)
        return round(row.content_bytes / BYTES_PER_MB, 6)

    async def download(
        self,
        artifact_type: str,
        artifact_id: str,
        part: str,
        actor: Actor | None,
        client: str | None,
    ) -> dict[str, Any]:
        if part not in PARTS:
            raise BadRequest(f"Unknown part {part!r}; choose one of {', '.join(PARTS)}.")
        row = await self.get(artifact_type, artifact_id)
        return await self.download_row(row, part, actor, client)

    async def download_row(
        self, row: ArtifactRow, part: str, actor: Actor | None, client: str | None
    ) -> dict[str, Any]:
        """Serve `row` as read (its revision's blob): the monitor, the audit, the event and
        where the blob is. An atomic group's snapshot serves each member this way."""
        info = await self._blobs.stat(part_key(row.id, row.revision, part, row.details))
        await self.admit_download(row, part, info, actor, client, bytes_served=info.size)
        suffix = "" if part == "full" else f"-{part}"
        return {
            "key": info.key,
            "size": info.size,
            "sha256": info.sha256,
            "filename": f"{_safe_filename(row.name)}{suffix}.zip",
            "complete": bool(row.details.get("complete", True)),
        }

    async def admit_download(
        self,
        row: ArtifactRow,
        part: str,
        blob: BlobInfo,
        actor: Actor | None,
        client: str | None,
        *,
        bytes_served: int,
    ) -> None:
        """The policy of every download route (the bundle route and the Hub-compatible
        API): a sensitive model's monitor decides (given `blob`, the zip the download comes
        from), then the DOWNLOAD audit entry and the ArtifactDownloaded event."""
        if self._sensitive is not None:
            await self._sensitive.check_download(row, part, blob, actor, client)
        await self._audit.record(row, "DOWNLOAD", actor)
        await self._bus.publish(
            ArtifactDownloaded(
                source="ingest",
                artifact=ArtifactRef(id=row.id, name=row.name, type=row.type),  # type: ignore[arg-type]
                user=actor.name if actor else None,
                part=part,
                bytes_served=bytes_served,
                client=client,
                trace_context=inject_trace_context(),
            )
        )


def _matching_ids(
    rows: list[tuple[int, str, str, str, str]], matches: Callable[[str], bool]
) -> list[str]:
    return [id_ for _, id_, name, _type, readme in rows if matches(name) or matches(readme)]


def _to_name_query(query: Query) -> NameQuery:
    unknown = set(query.types) - ARTIFACT_TYPES
    if unknown:
        raise BadRequest(f"Unknown artifact type(s) {sorted(unknown)}; use model, dataset, code.")
    return NameQuery(
        name=None if query.name == "*" else query.name,
        types=frozenset(query.types) or None,
    )


def _version_matches(row: ArtifactRow, predicates: list[tuple[NameQuery, Any]]) -> bool:
    """A row matches when some query that selects it by name/type also accepts a version."""
    for name_query, accepts in predicates:
        if name_query.name is not None and name_query.name != row.name:
            continue
        if name_query.types and row.type not in name_query.types:
            continue
        if accepts is None:
            return True
        candidates = row.versions or ([row.version] if row.version else [])
        if any(accepts(v) for v in candidates):
            return True
    return False


# The offset is a position in the catalog, compared with a 64-bit integer column.
MAX_OFFSET = 2**63 - 1


def _parse_offset(offset: str | None) -> int:
    if offset is None or offset == "":
        return 0
    # ASCII digits only (str.isdigit also accepts "²", which int() refuses), and at most 19 of
    # them before int() runs: a 4,300-digit string would hit Python's int conversion limit.
    if not (offset.isascii() and offset.isdigit()) or len(offset) > 19 or int(offset) > MAX_OFFSET:
        raise BadRequest(
            "The offset must be the value of a previous response's offset header "
            f"(a whole number from 0 to {MAX_OFFSET})."
        )
    return int(offset)


def _safe_filename(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip("._")
    return cleaned[:100] or "artifact"
