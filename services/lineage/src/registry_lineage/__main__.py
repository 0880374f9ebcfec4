"""Run the lineage service alone (distributed mode): `python -m registry_lineage`."""

from fastapi import FastAPI

from registry_common.serve import serve
from registry_lineage.app import create_app
from registry_lineage.config import LineageSettings


def app() -> FastAPI:
    """The service's app (each server worker process builds its own)."""
    return create_app(LineageSettings())


if __name__ == "__main__":
    serve(app, "lineage")
