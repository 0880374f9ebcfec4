"""Run the scoring service alone (distributed mode): `python -m registry_scoring`."""

from fastapi import FastAPI

from registry_common.serve import serve
from registry_scoring.app import create_app
from registry_scoring.config import ScoringSettings


def app() -> FastAPI:
    """The service's app (each server worker process builds its own)."""
    return create_app(ScoringSettings())


if __name__ == "__main__":
    serve(app, "scoring")
