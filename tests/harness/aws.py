"""An AWS API emulator (moto in server mode) on loopback, reset between tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest
from moto.server import ThreadedMotoServer

# moto accepts any credentials; real ones must never be picked up from the machine.
_FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """Base URL of a moto server shared by the session (starts in well under a second)."""
    for key, value in _FAKE_AWS_ENV.items():
        os.environ[key] = value
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws_endpoint(moto_server: str) -> str:
    """The emulator with empty state, for one test."""
    httpx.post(f"{moto_server}/moto-api/reset", timeout=10).raise_for_status()
    return moto_server
