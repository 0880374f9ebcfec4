"""One contract, two blob stores: every test of `TestContract` runs on the local directory
store and on the S3 store (against the moto emulator), followed by backend-specific tests.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import socket
import time
import tracemalloc
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from registry_common.aws import aws_client
from registry_common.blobs.factory import create_blob_store
from registry_common.blobs.local import LocalBlobStore
from registry_common.blobs.port import BlobInfo, BlobNotFound, BlobStore
from registry_common.blobs.s3 import S3BlobStore
from registry_common.errors import BadRequest, ComponentUnavailable, Conflict
from registry_common.settings import RuntimeSettings
from tests.harness.deadlines import within

MiB = 1024 * 1024
BUCKET = "contract-blobs"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def block(index: int, size: int = MiB) -> bytes:
    """Deterministic pseudo-random bytes: chunk `index` of a large test object."""
    return random.Random(index).randbytes(size)


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        await asyncio.sleep(0)
        yield part


async def collect(stream: AsyncIterable[bytes]) -> bytes:
    out = bytearray()
    async for chunk in stream:
        out += chunk
    return bytes(out)


def s3_runtime(endpoint: str, tmp_path: Path, **overrides: Any) -> RuntimeSettings:
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "blob_backend": "s3",
        "aws_endpoint_url": endpoint,
        "aws_region": "us-east-1",
        "s3_bucket": BUCKET,
    }
    values.update(overrides)
    return RuntimeSettings(**values)


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.integration)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BlobStore]:
    if request.param == "local":
        blob_store = create_blob_store(RuntimeSettings(data_dir=tmp_path, blob_backend="local"))
        assert isinstance(blob_store, LocalBlobStore)
    else:
        endpoint = request.getfixturevalue("aws_endpoint")
        blob_store = create_blob_store(s3_runtime(endpoint, tmp_path))
        assert isinstance(blob_store, S3BlobStore)
    await blob_store.start()  # creates the directory or the bucket
    try:
        yield blob_store
    finally:
        await blob_store.close()


@pytest.fixture
async def s3_store(aws_endpoint: str, tmp_path: Path) -> AsyncIterator[S3BlobStore]:
    blob_store = S3BlobStore(s3_runtime(aws_endpoint, tmp_path))
    await blob_store.ensure_bucket()
    try:
        yield blob_store
    finally:
        await blob_store.close()


# -- the contract ------------------------------------------------------------------------


class TestContract:
    async def test_put_bytes_then_stat(self, store: BlobStore) -> None:
        data = b"hello, registry\n" * 100
        info = await store.put("artifacts/1/card.md", data, content_type="text/markdown")
        expected = BlobInfo("artifacts/1/card.md", len(data), sha(data), "text/markdown")
        assert info == expected
        assert await store.stat("artifacts/1/card.md") == expected

    async def test_put_async_iterable(self, store: BlobStore) -> None:
        parts = [b"a" * 10, b"", b"b" * 70_000, b"c"]
        info = await store.put("artifacts/2/bundle.zip", chunks(*parts))
        data = b"".join(parts)
        assert (info.size, info.sha256) == (len(data), sha(data))
        assert info.content_type == "application/octet-stream"
        stat = await store.stat("artifacts/2/bundle.zip")
        assert (stat.size, stat.sha256) == (len(data), sha(data))
        assert await store.read("artifacts/2/bundle.zip") == data

    async def test_put_replaces(self, store: BlobStore) -> None:
        await store.put("k/v", b"first version, longer")
        await store.put("k/v", b"second", content_type="text/plain")
        assert await store.read("k/v") == b"second"
        assert await store.stat("k/v") == BlobInfo("k/v", 6, sha(b"second"), "text/plain")
        assert [i.key for i in await store.list("k/")] == ["k/v"]

    async def test_empty_object(self, store: BlobStore) -> None:
        info = await store.put("empty", b"")
        assert (info.size, info.sha256) == (0, sha(b""))
        assert (await store.stat("empty")).sha256 == sha(b"")
        assert await store.read("empty") == b""
        assert await collect(store.open("empty")) == b""
        assert await collect(store.open("empty", 0, 10)) == b""

    async def test_open_full_and_ranges(self, store: BlobStore) -> None:
        data = bytes(range(256)) * 12  # 3072 bytes
        await store.put("r/obj", data)
        assert await collect(store.open("r/obj")) == data
        assert await collect(store.open("r/obj", 100)) == data[100:]
        assert await collect(store.open("r/obj", 10, 20)) == data[10:20]
        assert await collect(store.open("r/obj", 0, 1)) == data[:1]
        assert await collect(store.open("r/obj", 3000, 5000)) == data[3000:]
        assert await collect(store.open("r/obj", 5, 5)) == b""
        assert await collect(store.open("r/obj", 3072)) == b""
        assert await collect(store.open("r/obj", 4000)) == b""

    async def test_negative_range_rejected(self, store: BlobStore) -> None:
        await store.put("r/obj", b"abc")
        with pytest.raises(BadRequest):
            await collect(store.open("r/obj", -1))

    async def test_missing_keys(self, store: BlobStore) -> None:
        with pytest.raises(BlobNotFound) as caught:
            await store.stat("nope/missing")
        assert caught.value.key == "nope/missing"
        assert caught.value.status == 404
        with pytest.raises(BlobNotFound):
            await store.read("nope/missing")
        with pytest.raises(BlobNotFound):
            await collect(store.open("nope/missing"))
        with pytest.raises(BlobNotFound):
            await collect(store.open("nope/missing", 5, 10))
        with pytest.raises(BlobNotFound):
            await collect(store.open("nope/missing", 5, 5))
        assert await store.exists("nope/missing") is False

    async def test_exists(self, store: BlobStore) -> None:
        await store.put("a/b/c", b"x")
        assert await store.exists("a/b/c") is True
        assert await store.exists("a/b") is False  # a "folder" is not an object

    async def test_list_by_prefix(self, store: BlobStore) -> None:
        contents = {"a/2": b"22", "a/1": b"1", "a/b/3": b"333", "ab/4": b"4444", "b/5": b"5"}
        for key, value in contents.items():
            await store.put(key, value)
        listed = await store.list("a/")
        assert [i.key for i in listed] == ["a/1", "a/2", "a/b/3"]
        assert [(i.size, i.sha256) for i in listed] == [
            (len(contents[k]), sha(contents[k])) for k in ("a/1", "a/2", "a/b/3")
        ]
        assert [i.key for i in await store.list("a")] == ["a/1", "a/2", "a/b/3", "ab/4"]
        assert [i.key for i in await store.list("a/b")] == ["a/b/3"]
        assert [i.key for i in await store.list("")] == sorted(contents)
        assert [i.key for i in await store.list()] == sorted(contents)
        assert await store.list("zzz/") == []
        assert await store.list("a/zz") == []

    async def test_delete_is_idempotent(self, store: BlobStore) -> None:
        await store.put("d/one", b"1")
        await store.put("d/two", b"2")
        await store.delete("d/one")
        assert await store.exists("d/one") is False
        await store.delete("d/one")
        await store.delete("never/existed")
        assert [i.key for i in await store.list("d/")] == ["d/two"]
        await store.put("d/one", b"back")  # the key can be used again
        assert await store.read("d/one") == b"back"

    async def test_delete_prefix(self, store: BlobStore) -> None:
        for key in ("a/1", "a/2", "a/b/3", "ab/4", "b/5"):
            await store.put(key, key.encode())
        assert await store.delete_prefix("a/") == 3
        assert [i.key for i in await store.list()] == ["ab/4", "b/5"]
        assert await store.delete_prefix("a") == 1  # a partial name
        assert await store.delete_prefix("zzz") == 0
        assert [i.key for i in await store.list()] == ["b/5"]
        await store.put("c/deep/er/6", b"6")
        assert await store.delete_prefix("") == 2
        assert await store.list() == []
        assert await store.delete_prefix("") == 0
        await store.put("a/1", b"again")  # the store still works after emptying it
        assert await store.read("a/1") == b"again"

    async def test_large_object_streams_in_and_out(self, store: BlobStore) -> None:
        blocks = 20  # 20 MiB: multipart on S3 (8 MiB parts)
        expected = hashlib.sha256()

        async def source() -> AsyncIterator[bytes]:
            for index in range(blocks):
                data = block(index)
                expected.update(data)
                yield data

        tracemalloc.start()
        try:
            info = await store.put("big/model.bin", source())
            assert (info.size, info.sha256) == (blocks * MiB, expected.hexdigest())
            stat = await store.stat("big/model.bin")
            assert (stat.size, stat.sha256) == (blocks * MiB, expected.hexdigest())
            streamed = hashlib.sha256()
            largest = total = 0
            async for chunk in store.open("big/model.bin"):
                streamed.update(chunk)
                largest = max(largest, len(chunk))
                total += len(chunk)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert streamed.hexdigest() == expected.hexdigest()
        assert total == blocks * MiB
        assert largest <= 8 * MiB
        if isinstance(store, LocalBlobStore):
            # The emulator keeps S3 objects in this process, so only the local store's
            # footprint is meaningful: a few chunks, never the object.
            assert peak < 8 * MiB, peak
        # A range across the 8 MiB part boundary.
        start, end = 8 * MiB - 10, 8 * MiB + 10
        assert await collect(store.open("big/model.bin", start, end)) == (
            block(7)[-10:] + block(8)[:10]
        )

    @pytest.mark.parametrize("fail_after_blocks", [0, 12], ids=["small", "multipart"])
    async def test_failed_put_leaves_previous_version(
        self, store: BlobStore, fail_after_blocks: int
    ) -> None:
        await store.put("atomic/obj", b"version one", content_type="text/plain")

        async def failing() -> AsyncIterator[bytes]:
            yield b"partial data"
            for index in range(fail_after_blocks):
                yield block(index)
            raise RuntimeError("the upload connection dropped")

        with pytest.raises(RuntimeError, match="dropped"):
            await store.put("atomic/obj", failing())
        with pytest.raises(RuntimeError, match="dropped"):
            await store.put("atomic/fresh", failing())
        assert await store.read("atomic/obj") == b"version one"
        stat = await store.stat("atomic/obj")
        assert (stat.size, stat.sha256) == (11, sha(b"version one"))
        assert await store.exists("atomic/fresh") is False
        assert [i.key for i in await store.list()] == ["atomic/obj"]

    async def test_concurrent_puts(self, store: BlobStore) -> None:
        payloads = {f"many/{n:02d}": os.urandom(1000 + n * 3000) for n in range(16)}
        infos = await asyncio.gather(
            *(store.put(key, chunks(data[:500], data[500:])) for key, data in payloads.items())
        )
        assert {i.key: i.sha256 for i in infos} == {k: sha(v) for k, v in payloads.items()}
        reads = await asyncio.gather(*(store.read(key) for key in payloads))
        assert reads == list(payloads.values())
        assert [i.key for i in await store.list("many/")] == sorted(payloads)

    async def test_unicode_and_spaces_in_keys(self, store: BlobStore) -> None:
        key = "models/ünïcødé org/my model ✓ (v1).bin"
        await store.put(key, b"payload", content_type="application/zip")
        assert await store.stat(key) == BlobInfo(key, 7, sha(b"payload"), "application/zip")
        assert await store.read(key) == b"payload"
        assert await collect(store.open(key, 2, 5)) == b"ylo"
        assert [i.key for i in await store.list("models/ünï")] == [key]
        assert await store.delete_prefix("models/ünïcødé org/") == 1
        assert await store.exists(key) is False

    async def test_invalid_keys_rejected(self, store: BlobStore) -> None:
        keys = [
            "",
            "/etc/passwd",
            "../outside",
            "a/../../outside",
            "a/./b",
            "a//b",
            "a/",
            "a\\..\\b",
            "a\x00b",
            ".meta/a",
            ".staging/x",
        ]
        for key in keys:
            with pytest.raises(BadRequest):
                await store.put(key, b"x")
            with pytest.raises(BadRequest):
                await store.stat(key)
            with pytest.raises(BadRequest):
                await collect(store.open(key))
            with pytest.raises(BadRequest):
                await store.delete(key)
        assert await store.list() == []

    async def test_invalid_prefixes_rejected(self, store: BlobStore) -> None:
        for prefix in ["/abs", "../", "a/../", "a//", "a\x00"]:
            with pytest.raises(BadRequest):
                await store.list(prefix)
            with pytest.raises(BadRequest):
                await store.delete_prefix(prefix)

    async def test_check_healthy(self, store: BlobStore) -> None:
        await store.check()


# -- local directory store ---------------------------------------------------------------


class TestLocal:
    @pytest.fixture
    def local(self, tmp_path: Path) -> LocalBlobStore:
        return LocalBlobStore(tmp_path / "root" / "blobs")

    @pytest.mark.parametrize(
        "key", ["../escape", "a/../../escape", "/tmp/escape", "a\\..\\escape", "x/\x00"]
    )
    async def test_traversal_is_impossible(
        self, local: LocalBlobStore, tmp_path: Path, key: str
    ) -> None:
        with pytest.raises(BadRequest):
            local.path_for(key)
        with pytest.raises(BadRequest):
            await local.put(key, b"evil")
        assert not (tmp_path / "root" / "escape").exists()
        assert not (tmp_path / "escape").exists()

    async def test_path_for_points_at_the_object(self, local: LocalBlobStore) -> None:
        await local.put("artifacts/7/bundle.zip", b"zip bytes")
        path = local.path_for("artifacts/7/bundle.zip")
        assert path == local.root / "artifacts" / "7" / "bundle.zip"
        assert path.read_bytes() == b"zip bytes"

    async def test_presigned_url_is_none(self, local: LocalBlobStore) -> None:
        await local.put("a", b"x")
        assert await local.presigned_url("a", filename="a.bin") is None

    async def test_sidecar_missing_or_stale_is_recomputed(self, local: LocalBlobStore) -> None:
        await local.put("m/obj", b"original", content_type="text/plain")
        sidecar = local.root / ".meta" / "m" / "obj"
        assert sidecar.is_file()
        sidecar.unlink()
        assert await local.stat("m/obj") == BlobInfo("m/obj", 8, sha(b"original"))
        assert sidecar.is_file()  # rewritten
        # Replaced behind the store's back with the same size: the sidecar no longer
        # describes the file (another inode), so the digest is computed again.
        replacement = local.root / "m" / "replacement"
        replacement.write_bytes(b"ORIGINAL")
        os.replace(replacement, local.path_for("m/obj"))
        assert (await local.stat("m/obj")).sha256 == sha(b"ORIGINAL")
        sidecar.write_text("not json")
        assert (await local.stat("m/obj")).sha256 == sha(b"ORIGINAL")

    async def test_stat_uses_the_sidecar(
        self, local: LocalBlobStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        await local.put("m/obj", b"data")

        def no_rehash(*args: object) -> None:
            raise AssertionError("stat re-hashed an object with a valid sidecar")

        monkeypatch.setattr(local, "_rehash", no_rehash)
        assert (await local.stat("m/obj")).sha256 == sha(b"data")
        assert [i.sha256 for i in await local.list("m/")] == [sha(b"data")]

    async def test_no_temp_files_or_empty_folders_left(self, local: LocalBlobStore) -> None:
        async def failing() -> AsyncIterator[bytes]:
            yield b"x" * (3 * MiB)
            raise RuntimeError("boom")

        with pytest.raises(RuntimeError):
            await local.put("t/obj", failing())
        assert list((local.root / ".tmp").iterdir()) == []
        await local.put("deep/a/b/c", b"1")
        await local.delete_prefix("deep/")
        assert not (local.root / "deep").exists()
        assert not (local.root / ".meta" / "deep").exists()

    async def test_object_and_folder_clash(self, local: LocalBlobStore) -> None:
        await local.put("clash", b"file")
        with pytest.raises(Conflict):
            await local.put("clash/inner", b"x")
        assert await local.read("clash") == b"file"

    async def test_cancelled_put_leaves_nothing(self, local: LocalBlobStore) -> None:
        started = asyncio.Event()

        async def slow() -> AsyncIterator[bytes]:
            yield b"x" * (2 * MiB)
            started.set()
            await asyncio.sleep(30)
            yield b"never"

        task = asyncio.create_task(local.put("c/obj", slow()))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await local.exists("c/obj") is False
        assert list((local.root / ".tmp").iterdir()) == []

    async def test_check_on_removed_root(self, local: LocalBlobStore) -> None:
        await local.check()
        await local.put("a/b", b"x")
        for path in sorted(local.root.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        local.root.rmdir()
        with pytest.raises(ComponentUnavailable) as caught:
            await local.check()
        assert caught.value.component == "blob store"
        assert caught.value.status == 503
        with pytest.raises(ComponentUnavailable):
            await local.put("a/b", b"x")
        with pytest.raises(ComponentUnavailable):
            await local.stat("a/b")
        with pytest.raises(ComponentUnavailable):
            await local.list()
        assert not local.root.exists()  # a failed put does not resurrect the root

    async def test_check_on_root_replaced_by_a_file(self, local: LocalBlobStore) -> None:
        for path in sorted(local.root.rglob("*"), reverse=True):
            path.rmdir()
        local.root.rmdir()
        local.root.write_bytes(b"not a directory")
        with pytest.raises(ComponentUnavailable):
            await local.check()


# -- S3 store ----------------------------------------------------------------------------


@pytest.mark.integration
class TestS3:
    async def test_presigned_url_downloads_the_object(self, s3_store: S3BlobStore) -> None:
        data = os.urandom(5000)
        await s3_store.put("artifacts/9/bundle.zip", data, content_type="application/zip")
        url = await s3_store.presigned_url(
            "artifacts/9/bundle.zip", expires_in=60, filename="my model.zip"
        )
        assert url is not None
        assert url.startswith(s3_store.runtime.aws_endpoint_url or "")
        async with httpx.AsyncClient() as client:
            response = await client.get(url)
        assert response.status_code == 200
        assert response.content == data
        assert response.headers["content-disposition"].startswith("attachment;")
        assert "my model.zip" in response.headers["content-disposition"]

    async def test_presigned_url_non_ascii_filename(self, s3_store: S3BlobStore) -> None:
        await s3_store.put("x/y", b"abc")
        url = await s3_store.presigned_url("x/y", filename="modèle ✓.zip")
        assert url is not None
        async with httpx.AsyncClient() as client:
            response = await client.get(url)
        assert response.status_code == 200
        assert response.content == b"abc"
        assert "filename*=UTF-8''mod%C3%A8le%20%E2%9C%93.zip" in response.headers.get(
            "content-disposition", ""
        )

    @pytest.mark.parametrize("size", [1000, 20 * MiB], ids=["single", "multipart"])
    async def test_digest_is_object_metadata(self, s3_store: S3BlobStore, size: int) -> None:
        data = block(1, size)
        await s3_store.put("meta/obj", chunks(data[: size // 2], data[size // 2 :]))
        async with aws_client(s3_store.runtime, "s3") as client:
            head = await client.head_object(Bucket=BUCKET, Key="meta/obj")
            staging = await client.list_objects_v2(Bucket=BUCKET, Prefix=".staging/")
            uploads = await client.list_multipart_uploads(Bucket=BUCKET)
        assert head["Metadata"]["sha256"] == sha(data)
        assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-meta-sha256"] == sha(data)
        assert head["ContentLength"] == size
        assert staging.get("KeyCount", 0) == 0
        assert not uploads.get("Uploads")

    async def test_failed_multipart_is_aborted(self, s3_store: S3BlobStore) -> None:
        async def failing() -> AsyncIterator[bytes]:
            for index in range(20):
                yield block(index)
            raise RuntimeError("source failed")

        with pytest.raises(RuntimeError):
            await s3_store.put("abort/obj", failing())
        async with aws_client(s3_store.runtime, "s3") as client:
            uploads = await client.list_multipart_uploads(Bucket=BUCKET)
            objects = await client.list_objects_v2(Bucket=BUCKET)
        assert not uploads.get("Uploads")
        assert objects.get("KeyCount", 0) == 0

    async def test_multipart_copy_above_copy_limit(self, s3_store: S3BlobStore) -> None:
        # Lower the CopyObject limit so the >5 GiB path (multipart copy) runs on 20 MiB.
        s3_store.max_single_copy = 10 * MiB
        s3_store.copy_part_size = 8 * MiB
        data = b"".join(block(i) for i in range(20))
        info = await s3_store.put("copy/obj", data, content_type="application/zip")
        assert info == BlobInfo("copy/obj", len(data), sha(data), "application/zip")
        assert await s3_store.stat("copy/obj") == info
        streamed = hashlib.sha256()
        async for chunk in s3_store.open("copy/obj"):
            streamed.update(chunk)
        assert streamed.hexdigest() == sha(data)

    async def test_stat_of_foreign_object_computes_digest(self, s3_store: S3BlobStore) -> None:
        async with aws_client(s3_store.runtime, "s3") as client:
            await client.put_object(Bucket=BUCKET, Key="foreign/obj", Body=b"uploaded elsewhere")
        info = await s3_store.stat("foreign/obj")
        assert info.sha256 == sha(b"uploaded elsewhere")

    async def test_ensure_bucket_is_idempotent(self, aws_endpoint: str, tmp_path: Path) -> None:
        for region in ("us-east-1", "eu-west-1"):
            runtime = s3_runtime(aws_endpoint, tmp_path, aws_region=region)
            blob_store = S3BlobStore(runtime, bucket=f"idempotent-{region}")
            try:
                with pytest.raises(ComponentUnavailable, match="does not exist"):
                    await blob_store.check()
                await blob_store.ensure_bucket()
                await blob_store.ensure_bucket()
                await blob_store.check()
                await blob_store.put("a", b"x")
                assert await blob_store.read("a") == b"x"
            finally:
                await blob_store.close()

    async def test_missing_bucket_is_an_outage(self, aws_endpoint: str, tmp_path: Path) -> None:
        blob_store = S3BlobStore(s3_runtime(aws_endpoint, tmp_path), bucket="never-created")
        try:
            with pytest.raises(ComponentUnavailable, match="never-created"):
                await blob_store.put("a", b"x")
            with pytest.raises(ComponentUnavailable):
                await blob_store.list()
        finally:
            await blob_store.close()

    async def test_close_then_reuse(self, s3_store: S3BlobStore) -> None:
        await s3_store.start()
        await s3_store.put("a", b"x")
        await s3_store.close()
        await s3_store.close()
        assert await s3_store.read("a") == b"x"  # reopens lazily

    async def test_outage_is_reported_quickly(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
        }.items():
            monkeypatch.setenv(name, value)
        with socket.socket() as probe:  # a port nobody listens on
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        runtime = s3_runtime(f"http://127.0.0.1:{port}", tmp_path)
        connect_timeout, read_timeout = 1, 2
        blob_store = S3BlobStore(
            runtime, connect_timeout=connect_timeout, read_timeout=read_timeout
        )
        began = time.monotonic()
        try:
            results = await asyncio.gather(
                blob_store.put("a/b", b"x"),
                blob_store.stat("a/b"),
                blob_store.check(),
                collect(blob_store.open("a/b")),
                return_exceptions=True,
            )
        finally:
            await blob_store.close()
        elapsed = time.monotonic() - began
        for result in results:
            assert isinstance(result, ComponentUnavailable), result
            assert result.component == "blob store"
            assert result.status == 503
            assert "blob store" in result.message
        # botocore's default retry mode makes up to 5 attempts, each bounded by the timeouts
        assert elapsed < within(connect_timeout + read_timeout, attempts=5), elapsed
