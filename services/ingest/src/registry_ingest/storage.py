"""Where an artifact's blobs live, and moving a built bundle into the blob store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection
from pathlib import Path

from registry_common.blobs import BlobInfo, BlobStore
from registry_ingest.bundles import Bundle
from registry_ingest.catalog import CatalogStore

PARTS = ("full", "weights", "config", "card")
_CHUNK = 1024 * 1024


def artifact_prefix(artifact_id: str) -> str:
    return f"artifacts/{artifact_id}/"


def part_key(artifact_id: str, revision: int, part: str) -> str:
    return f"{artifact_prefix(artifact_id)}r{revision}/{part}.zip"


def revision_prefix(artifact_id: str, revision: int) -> str:
    return f"{artifact_prefix(artifact_id)}r{revision}/"


def parse_key(key: str) -> tuple[str, int] | None:
    """(artifact id, revision) of a key under `artifacts/`, None for any other key."""
    parts = key.split("/")
    if len(parts) < 4 or parts[0] != "artifacts" or not parts[2].startswith("r"):
        return None
    try:
        return parts[1], int(parts[2][1:])
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
    blobs: BlobStore, artifact_id: str, revision: int, bundle: Bundle
) -> dict[str, BlobInfo]:
    """Put every part; on any failure remove what was written, so nothing stays half-done."""
    stored: dict[str, BlobInfo] = {}
    try:
        for part in PARTS:
            stored[part] = await blobs.put(
                part_key(artifact_id, revision, part),
                _file_chunks(bundle.paths[part]),
                content_type="application/zip",
            )
    except BaseException:
        await blobs.delete_prefix(revision_prefix(artifact_id, revision))
        raise
    return stored


async def referenced_keys(catalog: CatalogStore, keys: Collection[str]) -> set[str]:
    """The keys among `keys` a committed catalog row uses: its artifact has a row, and the
    revision is one the row reached (older revisions stay with the artifact's history;
    a newer one is an update that never committed)."""
    parsed = {key: parse_key(key) for key in keys}
    revisions = await catalog.revisions_of({p[0] for p in parsed.values() if p is not None})
    return {
        key
        for key, p in parsed.items()
        if p is not None and p[0] in revisions and p[1] <= revisions[p[0]]
    }
