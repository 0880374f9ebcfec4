"""The per-file index into a bundle zip: built at ingest from the local zip, and lazily from
the blob store for bundles stored before it existed; every entry must lead to the exact bytes."""

from __future__ import annotations

import hashlib
import json
import zipfile
import zlib
from pathlib import Path

from registry_common.blobs.local import LocalBlobStore
from registry_common.db import create_engine, run_migrations, session_factory
from registry_ingest.app import MIGRATIONS
from registry_ingest.bundle_index import (
    BundleIndexes,
    IndexEntry,
    blob_reader,
    build_index,
    file_reader,
    lfs_pointer,
)
from registry_ingest.bundles import build_bundle
from registry_ingest.storage import part_key, store_bundle
from services.ingest.tests.test_bundles import _source

CONTENT = {
    "README.md": b"---\nlicense: mit\n---\n# Card\n",
    "config.json": b'{"model_type": "bert"}',
    "vocab.txt": b"[PAD]\n[UNK]\n" * 500,
    "model.safetensors": bytes(range(256)) * 64,
    "onnx/model.onnx": b"\x07" * 1000,
    "manifest.json": b'{"a source file": "named like the registry manifest"}',
}


def _content_of(zip_path: Path, entry: IndexEntry) -> bytes:
    with zip_path.open("rb") as handle:
        handle.seek(entry.offset)
        raw = handle.read(entry.compressed_size)
    return raw if entry.method == "stored" else zlib.decompress(raw, -zlib.MAX_WBITS)


def _git_oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest()


async def test_each_entry_leads_to_the_files_bytes(tmp_path: Path) -> None:
    bundle = await build_bundle(_source(tmp_path, CONTENT), tmp_path)
    full = bundle.paths["full"]
    entries = await build_index(file_reader(full), full.stat().st_size, bundle.manifest["files"])
    assert [e.path for e in entries] == sorted(CONTENT)  # not the registry's own manifest
    for entry in entries:
        data = CONTENT[entry.path]
        assert _content_of(full, entry) == data
        assert entry.size == len(data)
        assert entry.sha256 == hashlib.sha256(data).hexdigest()
    by_path = {e.path: e for e in entries}
    weights, vocab = by_path["model.safetensors"], by_path["vocab.txt"]
    assert (weights.method, weights.lfs) == ("stored", True)
    assert weights.oid == _git_oid(lfs_pointer(weights.sha256, weights.size))
    assert (vocab.method, vocab.lfs) == ("deflated", False)
    assert vocab.compressed_size < vocab.size
    assert vocab.oid == _git_oid(CONTENT["vocab.txt"])
    # The source's manifest.json is stored renamed and indexed under its own path.
    with zipfile.ZipFile(full) as archive:
        registry_manifest = json.loads(archive.read("manifest.json"))
    assert registry_manifest["manifest_version"] == 1
    assert _content_of(full, by_path["manifest.json"]) == CONTENT["manifest.json"]


async def test_an_old_bundle_is_indexed_from_the_blob_store_once(tmp_path: Path) -> None:
    bundle = await build_bundle(_source(tmp_path, CONTENT), tmp_path)
    blobs = LocalBlobStore(tmp_path / "blobs")
    await blobs.start()
    await store_bundle(blobs, "1234", 1, bundle)
    key = part_key("1234", 1, "full")
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'ingest.sqlite3'}")
    await run_migrations(engine, MIGRATIONS, version_table="alembic_ingest")
    indexes = BundleIndexes(session_factory(engine), blobs)
    try:
        built = await indexes.get("1234", 1, key, bundle.manifest["files"])
        local = await build_index(
            file_reader(bundle.paths["full"]),
            bundle.paths["full"].stat().st_size,
            bundle.manifest["files"],
        )
        assert built == local
        ranged = await build_index(
            blob_reader(blobs, key), (await blobs.stat(key)).size, bundle.manifest["files"]
        )
        assert ranged == local
        # Stored: a second request reads the row, not the blob (gone now).
        await blobs.delete_prefix("artifacts/")
        assert await indexes.get("1234", 1, key, bundle.manifest["files"]) == local
        await indexes.forget("1234")
    finally:
        await engine.dispose()
