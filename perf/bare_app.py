"""The reference for metadata reads and file serving: a bare FastAPI app on uvicorn answering
the registry's own JSON bodies from memory, and the same bundle through FileResponse.

    python -m perf.bare_app --port P --bodies bodies.json --file bundle.zip

`bodies.json` maps "artifact", "rate" and "query" to the JSON the registry answered for the
same requests, so both sides send the same bytes; this app does no auth and no I/O.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.responses import FileResponse


def create_app(bodies: dict[str, Any], file: Path) -> FastAPI:
    app = FastAPI()

    @app.get("/artifacts/{artifact_type}/{artifact_id}")
    async def artifact(artifact_type: str, artifact_id: str) -> Any:
        return bodies["artifact"]

    @app.get("/artifact/model/{artifact_id}/rate")
    async def rate(artifact_id: str) -> Any:
        return bodies["rate"]

    @app.post("/artifacts")
    async def query(body: list[dict[str, Any]]) -> Any:
        return bodies["query"]

    @app.get("/artifacts/model/{artifact_id}/download")
    async def download(artifact_id: str) -> FileResponse:
        return FileResponse(file, media_type="application/zip", filename="bundle.zip")

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bodies", type=Path, required=True)
    parser.add_argument("--file", type=Path, required=True)
    args = parser.parse_args()
    app = create_app(json.loads(args.bodies.read_text()), args.file)
    uvicorn.run(app, host="127.0.0.1", port=args.port, access_log=False, log_level="warning")


if __name__ == "__main__":
    main()
