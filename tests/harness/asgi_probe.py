"""A small app served by `registry_common.serve` in a subprocess (`python -m
tests.harness.asgi_probe`): each worker process records its pid at start, and the app
answers with its pid and serves a file (the path `pathsend` takes under granian)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse

from registry_common.serve import serve


def app() -> FastAPI:
    state = Path(os.environ["PROBE_DIR"])

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        (state / f"worker-{os.getpid()}").write_text("started")
        yield

    probe = FastAPI(lifespan=lifespan)

    @probe.get("/pid")
    async def pid() -> dict[str, int]:
        return {"pid": os.getpid()}

    @probe.get("/file")
    async def file() -> FileResponse:
        return FileResponse(state / "payload.bin", media_type="application/octet-stream")

    return probe


if __name__ == "__main__":
    serve(app, "probe")
