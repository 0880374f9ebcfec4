"""Where an artifact's blobs live, and moving a built bundle into the blob store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from registry_common.blobs import BlobInfo, BlobStore
from registry_ingest.bundles import Bundle

PARTS = ("full", "weights", "config", "card")
_CHUNK = 1024 * 1024


def artifact_prefix(artifact_id: str) -> str:
    return f"artifacts/{artifact_id}/"


def part_key(artifact_id: str, revision: int, part: str) -> str:
    return f"{artifact_prefix(artifact_id)}r{revision}/{part}.zip"


def revision_prefix(artifact_id: str, revision: int) -> str:
    return f"{artifact_prefix(artifact_id)}r{revision}/"


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
