"""Run the health service alone (distributed mode): `python -m registry_health`."""

from fastapi import FastAPI

from registry_common.serve import serve
from registry_health.app import create_app
from registry_health.config import HealthSettings


def app() -> FastAPI:
    """The service's app (each server worker process builds its own)."""
    return create_app(HealthSettings())


if __name__ == "__main__":
    # The receiver of the other services' logs keeps its own in-process (no shipping to itself).
    serve(app, "health", ship_logs=False)
