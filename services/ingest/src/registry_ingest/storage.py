"""Where an artifact's blobs live, and moving a built bundle into the blob store."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Collection, Mapping
from pathlib import Path
from typing import Any

from registry_common.blobs import BlobInfo, BlobStore
from registry_ingest.bundles import Bundle
from registry_ingest.catalog import CatalogStore

PARTS = ("full", "weights", "config", "card")
_CHUNK = 1024 * 1024


def artifact_prefix(artifact_id: str) -> str:
    return f"artifacts/{artifact_id}/"


BUNDLE_DIR = "bundle_dir"  # the details key naming an update's own blob folder


def bundle_dir(revision: int, attempt: str | None = None) -> str:
    """The folder of a revision's parts under the artifact's prefix: `r1` for a create (its
    id is new, nobody else writes there), `r{n}.{attempt}` for an update, one per attempt,
    so two concurrent updates to the same revision never write (or clean up) each other's
    blobs; the row that commits names its folder in `details["bundle_dir"]`."""
    return f"r{revision}" if attempt is None else f"r{revision}.{attempt}"


def new_attempt() -> str:
    return uuid.uuid4().hex[:16]


def revision_prefix(
    artifact_id: str, revision: int, details: Mapping[str, Any] | None = None
) -> str:
    """The folder of `revision` as a row (or a history row) with `details` records it; rows
    without `bundle_dir` (creates, and updates stored before per-attempt folders) use
    `r{revision}`."""
    named = (details or {}).get(BUNDLE_DIR)
    folder = named if isinstance(named, str) and named else bundle_dir(revision)
    return f"{artifact_prefix(artifact_id)}{folder}/"


def part_key(
    artifact_id: str, revision: int, part: str, details: Mapping[str, Any] | None = None
) -> str:
    return f"{revision_prefix(artifact_id, revision, details)}{part}.zip"


def parse_key(key: str) -> tuple[str, int, str] | None:
    """(artifact id, revision, folder) of a key under `artifacts/`, None for any other key."""
    parts = key.split("/")
    if len(parts) < 4 or parts[0] != "artifacts" or not parts[2].startswith("r"):
        return None
    revision = parts[2][1:].partition(".")[0]
    try:
        return parts[1], int(revision), parts[2]
    except ValueError:
        return None


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    handle = await asyncio.to_thread(path.open, "rb")
    try:
        while chunk := await asyncio.to_thread(handle.read, _CHUNK):
            yield chunk
    finally:
        await asyncio.to_thread(handle.close)


async def store_bundle(
    blobs: BlobStore, artifact_id: str, revision: int, bundle: Bundle, attempt: str | None = None
) -> dict[str, BlobInfo]:
    """Put every part under `bundle_dir(revision, attempt)`; on any failure remove what was
    written (that folder only), so nothing stays half-done."""
    prefix = f"{artifact_prefix(artifact_id)}{bundle_dir(revision, attempt)}/"
    stored: dict[str, BlobInfo] = {}
    try:
        for part in PARTS:
            stored[part] = await blobs.put(
                f"{prefix}{part}.zip",
                _file_chunks(bundle.paths[part]),
                content_type="application/zip",
            )
    except BaseException:
        await blobs.delete_prefix(prefix)
        raise
    return stored


async def referenced_keys(catalog: CatalogStore, keys: Collection[str]) -> set[str]:
    """The keys among `keys` a committed catalog row uses: its artifact has a row, and

    - in an `r{n}` folder (a create, or an update stored before per-attempt folders): the
      revision is one the row reached (older revisions stay with the artifact's history; a
      newer one is an update that never committed);
    - in an `r{n}.{attempt}` folder: the row or one of its history rows names that folder
      (another attempt at the same revision lost its race, or never committed)."""
    parsed = {key: parse_key(key) for key in keys}
    revisions = await catalog.revisions_of({p[0] for p in parsed.values() if p is not None})
    attempted = {
        p[0] for p in parsed.values() if p is not None and "." in p[2] and p[0] in revisions
    }
    named: dict[str, set[str]] = {}
    for artifact_id in sorted(attempted):
        named[artifact_id] = await _named_folders(catalog, artifact_id)
    kept: set[str] = set()
    for key, p in parsed.items():
        if p is None or p[0] not in revisions or p[1] > revisions[p[0]]:
            continue
        if "." not in p[2] or p[2] in named.get(p[0], set()):
            kept.add(key)
    return kept


async def _named_folders(catalog: CatalogStore, artifact_id: str) -> set[str]:
    """The per-attempt folders the artifact's row and its history rows name."""
    row = await catalog.get(artifact_id, visible_only=False)
    details = [] if row is None else [row.details]
    details += [old.details for old in await catalog.history(artifact_id)]
    return {d[BUNDLE_DIR] for d in details if isinstance(d.get(BUNDLE_DIR), str)}
