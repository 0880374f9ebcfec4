"""A group's snapshot zip: each member's revision-addressed bundle stored as is, with a
manifest; a member whose blob vanished after the snapshot was read is a 409 and no zip is left
behind."""

from __future__ import annotations

import glob
import io
import json
import os
import tempfile
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from registry_common.blobs.local import LocalBlobStore
from registry_common.errors import RegistryError
from registry_gateway.groups import _zip_snapshot


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _bundle(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.md", text)
    return buffer.getvalue()


def _item(artifact_id: str, key: str, size: int) -> dict[str, object]:
    return {
        "id": artifact_id,
        "name": f"name-{artifact_id}",
        "type": "dataset",
        "key": key,
        "size": size,
        "sha256": "0" * 64,
        "filename": f"name-{artifact_id}.zip",
    }


@pytest.fixture
async def blobs(tmp_path: Path) -> AsyncIterator[LocalBlobStore]:
    store = LocalBlobStore(tmp_path / "blobs")
    await store.start()
    try:
        yield store
    finally:
        await store.close()


async def test_the_snapshot_holds_each_bundle_and_a_manifest(blobs: LocalBlobStore) -> None:
    first, second = _bundle("# one\n"), _bundle("# two\n")
    await blobs.put("artifacts/1/r2/full.zip", _once(first))
    await blobs.put("artifacts/2/r1/full.zip", _once(second))
    snapshot = {
        "group": "g",
        "snapshot_at": "2026-12-07T10:00:00Z",
        "items": [
            _item("1", "artifacts/1/r2/full.zip", len(first)),
            _item("2", "artifacts/2/r1/full.zip", len(second)),
        ],
    }
    path = Path(await _zip_snapshot(blobs, snapshot))
    try:
        with zipfile.ZipFile(path) as archive:
            assert archive.read("dataset/1-name-1.zip") == first
            assert archive.read("dataset/2-name-2.zip") == second
            manifest = json.loads(archive.read("manifest.json"))
    finally:
        os.remove(path)
    assert manifest["snapshot_at"] == "2026-12-07T10:00:00Z"
    assert [i["file"] for i in manifest["items"]] == [
        "dataset/1-name-1.zip",
        "dataset/2-name-2.zip",
    ]


async def test_a_member_deleted_meanwhile_is_a_conflict(blobs: LocalBlobStore) -> None:
    await blobs.put("artifacts/1/r1/full.zip", _once(_bundle("# one\n")))
    snapshot = {
        "group": "g",
        "snapshot_at": "2026-12-07T10:00:00Z",
        "items": [
            _item("1", "artifacts/1/r1/full.zip", 1),
            _item("2", "artifacts/2/r1/full.zip", 1),
        ],
    }
    before = set(glob.glob(os.path.join(tempfile.gettempdir(), "group-*.zip")))
    with pytest.raises(RegistryError) as conflict:
        await _zip_snapshot(blobs, snapshot)
    assert conflict.value.status == 409
    assert "download the group again" in conflict.value.message
    assert set(glob.glob(os.path.join(tempfile.gettempdir(), "group-*.zip"))) == before
