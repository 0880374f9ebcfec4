"""The orphan-blob sweeper on both stores (local directory, and S3 through the emulator):
unreferenced blobs older than the grace age go, referenced or young ones stay, and nothing
outside its prefix is looked at."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Collection
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from registry_common.blobs.factory import create_blob_store
from registry_common.blobs.port import BlobStore
from registry_common.blobs.sweeper import OrphanSweeper
from registry_common.settings import RuntimeSettings
from registry_common.telemetry import get_logger

GRACE = timedelta(hours=1)


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.integration)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BlobStore]:
    if request.param == "local":
        runtime = RuntimeSettings(data_dir=tmp_path, blob_backend="local")
    else:
        runtime = RuntimeSettings(
            data_dir=tmp_path,
            blob_backend="s3",
            aws_endpoint_url=request.getfixturevalue("aws_endpoint"),
            aws_region="us-east-1",
            s3_bucket="sweeper-blobs",
        )
    blob_store = create_blob_store(runtime)
    await blob_store.start()
    try:
        yield blob_store
    finally:
        await blob_store.close()


async def test_sweeps_only_old_unreferenced_blobs_under_its_prefix(store: BlobStore) -> None:
    prefix = f"sweep-{uuid.uuid4().hex[:8]}/"
    kept, orphan, outside = f"{prefix}a/1.zip", f"{prefix}b/1.zip", f"other-{prefix}b/1.zip"
    for key in (kept, orphan, outside):
        await store.put(key, b"bytes of " + key.encode())
    asked: list[set[str]] = []

    async def referenced(keys: Collection[str]) -> set[str]:
        asked.append(set(keys))
        return {k for k in keys if "/a/" in k}

    offset = [timedelta(0)]
    sweeper = OrphanSweeper(
        store,
        prefix,
        referenced,
        get_logger("test"),
        grace_seconds=GRACE.total_seconds(),
        interval_seconds=60,
        clock=lambda: datetime.now(UTC) + offset[0],
    )
    young = await sweeper.sweep()
    assert young.removed == ()
    assert young.too_young == 1  # the orphan, kept: its upload may be about to commit
    assert asked == [{kept, orphan}]

    offset[0] = GRACE + timedelta(minutes=1)  # an hour later
    old = await sweeper.sweep()
    assert old.removed == (orphan,)
    assert not await store.exists(orphan)
    assert await store.exists(kept)
    assert await store.exists(outside)
    assert (await sweeper.sweep()).removed == ()


async def test_blobs_say_when_they_were_written(store: BlobStore) -> None:
    key = f"mtime-{uuid.uuid4().hex[:8]}/x"
    before = datetime.now(UTC) - timedelta(seconds=5)
    await store.put(key, b"x")
    info = await store.stat(key)
    assert info.modified_at is not None
    assert before <= info.modified_at <= datetime.now(UTC) + timedelta(seconds=5)
    assert [i.modified_at is not None for i in await store.list(key)] == [True]
