"""The app `config_matrix.py` serves under each ASGI server: the production download path
(`registry_gateway.downloads.serve_blob`) over the blob store the environment names, and a
small JSON answer.

    BENCH_BLOB=local|s3  BENCH_REDIRECT=0|1  BENCH_DATA_DIR=...  (REGISTRY_* for S3)
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response

from registry_common.blobs.local import LocalBlobStore
from registry_common.blobs.s3 import S3BlobStore
from registry_common.settings import RuntimeSettings
from registry_gateway.downloads import serve_blob

KEY = "artifacts/bench/r1/full.zip"


def app() -> FastAPI:
    data_dir = Path(os.environ["BENCH_DATA_DIR"])
    redirect = os.environ.get("BENCH_REDIRECT") == "1"
    blobs = (
        S3BlobStore(RuntimeSettings())
        if os.environ.get("BENCH_BLOB") == "s3"
        else LocalBlobStore(data_dir / "blobs")
    )
    info: dict[str, object] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await blobs.start()
        stat = await blobs.stat(KEY)
        info.update(key=KEY, sha256=stat.sha256, size=stat.size, filename="bench.zip")
        yield
        await blobs.close()

    bench = FastAPI(lifespan=lifespan)

    @bench.get("/blob")
    async def blob(request: Request) -> Response:
        return await serve_blob(request, blobs, info, redirect=redirect)

    @bench.get("/json")
    async def small() -> dict[str, object]:
        return {"id": "1234567890", "name": "bert-base-uncased", "type": "model"}

    return bench
