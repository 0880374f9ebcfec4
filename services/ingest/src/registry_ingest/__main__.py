"""Run the ingest service alone (distributed mode): `python -m registry_ingest`."""

from fastapi import FastAPI

from registry_common.serve import serve
from registry_ingest.app import create_app
from registry_ingest.config import IngestSettings


def app() -> FastAPI:
    """The service's app (each server worker process builds its own)."""
    return create_app(IngestSettings())


if __name__ == "__main__":
    serve(app, "ingest")
