"""The whole registry in embedded mode, driven over real HTTP through the gateway only."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from registry_common.settings import RuntimeSettings
from registry_common.telemetry import configure_logging

DEFAULT_ADMIN = "ece30861defaultadminuser"
DEFAULT_PASSWORD = "correcthorsebatterystaple123(!__+@**(A'\"`;DROP TABLE packages;"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningRegistry:
    url: str
    data_dir: Path

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)  # type: ignore[arg-type]

    def admin_token(self) -> str:
        with self.client() as client:
            response = client.put(
                "/authenticate",
                json={
                    "user": {"name": DEFAULT_ADMIN, "is_admin": True},
                    "secret": {"password": DEFAULT_PASSWORD},
                },
            )
            response.raise_for_status()
            token: str = response.json()
            return token


class _ThreadedServer(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test runner owns signals
        return None


@pytest.fixture
def embedded_registry(tmp_path: Path) -> Iterator[RunningRegistry]:
    """A fresh embedded registry (own data directory) on a loopback port, for one test."""
    from registry_gateway.embedded import create_embedded_app

    configure_logging("DEBUG")  # as `make run` does: JSON lines, trace ids, sinks
    runtime = RuntimeSettings(data_dir=tmp_path / "registry", telemetry_exporter="inprocess")
    app = create_embedded_app(runtime)
    port = free_port()
    server = _ThreadedServer(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the embedded registry did not start")
        time.sleep(0.02)
    try:
        yield RunningRegistry(f"http://127.0.0.1:{port}", runtime.data_dir)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
