"""Serving one file of a stored bundle: the per-file index vs unpacking the bundle (issue 18;
prints figures, asserts nothing).

A bundle like a real model repository (a large stored weights file, a deflated tokenizer,
small configs) is built with the registry's own bundler and stored in a local blob store and
in S3 (the moto emulator over loopback). Then, per file:

* index: the Hub API's path: one stored index entry, one ranged read of ``full.zip`` (and
  inflating a deflated member while it streams);
* unpack: what serving without an index costs: read the whole ``full.zip`` from the store,
  open it with ``zipfile`` and extract the member;
* and, once, the lazy index build for a bundle stored before the index existed (range reads
  of the central directory and local headers; small files are read to compute their git id).

    uv run python -m benchmarks.hub_files [--weights-mb 256] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import logging
import os
import statistics
import tempfile
import time
import zipfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from registry_common.blobs import BlobStore
from registry_common.blobs.local import LocalBlobStore
from registry_common.settings import RuntimeSettings
from registry_gateway.hub_files import member_bytes
from registry_ingest.bundle_index import blob_reader, build_index
from registry_ingest.bundles import build_bundle
from registry_ingest.sources.model import FetchedFile, FetchedSource, classify_file
from registry_ingest.sources.urls import parse_source_url
from registry_ingest.storage import part_key, store_bundle


def _repository(folder: Path, weights_mb: int) -> dict[str, bytes]:
    vocab = b"".join(b"token%d\n" % i for i in range(30_000))
    return {
        "README.md": b"---\nlicense: mit\n---\n# bench\n" + b"text " * 2000,
        "config.json": b'{"model_type": "bert", "hidden_size": 768}',
        "tokenizer_config.json": b'{"model_max_length": 512}',
        "vocab.txt": vocab,
        "model.safetensors": os.urandom(weights_mb * 1024 * 1024),
    }


def _source(folder: Path, content: dict[str, bytes]) -> FetchedSource:
    files = []
    for path, data in content.items():
        local = folder / path
        local.write_bytes(data)
        files.append(
            FetchedFile(
                path, len(data), hashlib.sha256(data).hexdigest(), local, classify_file(path)
            )
        )
    return FetchedSource(
        ref=parse_source_url("https://huggingface.co/bench/model", "model"),
        revision="b" * 40,
        files=files,
        complete=True,
    )


async def _timed(call: Callable[[], Awaitable[bytes]], repeat: int) -> tuple[float, bytes]:
    times, result = [], b""
    for _ in range(repeat):
        start = time.perf_counter()
        result = await call()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


async def measure(blobs: BlobStore, label: str, folder: Path, weights_mb: int, repeat: int) -> None:
    content = _repository(folder, weights_mb)
    bundle = await build_bundle(_source(folder, content), folder)
    await store_bundle(blobs, "42", 1, bundle)
    key = part_key("42", 1, "full")
    size = (await blobs.stat(key)).size
    start = time.perf_counter()
    entries = await build_index(blob_reader(blobs, key), size, bundle.manifest["files"])
    built = time.perf_counter() - start
    print(f"\n{label}: full.zip {size / 1e6:.1f} MB; lazy index build {built * 1000:.1f} ms")
    print(f"{'file':<24}{'size':>12}{'index':>12}{'unpack':>12}{'speed-up':>10}")
    for entry in entries:
        as_json: dict[str, Any] = entry.as_json()

        async def by_index(e: dict[str, Any] = as_json) -> bytes:
            return b"".join([c async for c in member_bytes(blobs, key, e, 0, e["size"])])

        async def by_unpacking(path: str = entry.path) -> bytes:
            whole = await blobs.read(key)
            with zipfile.ZipFile(io.BytesIO(whole)) as archive:
                return archive.read(path)

        indexed, a = await _timed(by_index, repeat)
        unpacked, b = await _timed(by_unpacking, repeat)
        assert a == b == content[entry.path]
        print(
            f"{entry.path:<24}{entry.size:>12,}{indexed * 1000:>10.1f}ms"
            f"{unpacked * 1000:>10.1f}ms{unpacked / indexed:>9.1f}x"
        )


async def main(weights_mb: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        local = LocalBlobStore(root / "blobs")
        await local.start()
        (root / "local").mkdir()
        await measure(local, "local blob store", root / "local", weights_mb, repeat)
        await local.close()
        try:
            from moto.server import ThreadedMotoServer

            from registry_common.blobs.s3 import S3BlobStore
        except ImportError:
            return
        # moto accepts any credentials; real ones must never be used by a benchmark.
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            os.environ[name] = "bench"
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's access log
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        runtime = RuntimeSettings(
            data_dir=root / "data",
            blob_backend="s3",
            s3_bucket="bench-bundles",
            aws_endpoint_url=f"http://{host}:{port}",
        )
        s3 = S3BlobStore(runtime)
        try:
            await s3.start()
            (root / "s3").mkdir()
            await measure(s3, "S3 (moto over loopback)", root / "s3", weights_mb, repeat)
        finally:
            await s3.close()
            server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weights-mb", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=5)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.weights_mb, arguments.repeat))
