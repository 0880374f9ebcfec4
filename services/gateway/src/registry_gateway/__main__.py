"""Run the gateway alone (distributed mode): `python -m registry_gateway`.
For the whole registry in one process use `python -m registry_launcher`."""

from fastapi import FastAPI

from registry_common.serve import serve
from registry_gateway.app import create_app
from registry_gateway.config import GatewaySettings


def app() -> FastAPI:
    """The service's app (each server worker process builds its own)."""
    return create_app(GatewaySettings())


if __name__ == "__main__":
    serve(app, "gateway")
