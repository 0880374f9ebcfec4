"""Run the auth service alone (distributed mode): `python -m registry_auth`."""

from fastapi import FastAPI

from registry_auth.app import create_app
from registry_auth.config import AuthSettings
from registry_common.serve import serve


def app() -> FastAPI:
    """The service's app (each server worker process builds its own)."""
    return create_app(AuthSettings())


if __name__ == "__main__":
    serve(app, "auth")
