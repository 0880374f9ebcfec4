"""The whole registry in embedded mode, driven over real HTTP through the gateway only."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.types import ASGIApp

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

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, **kwargs)

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

    def admin(self) -> httpx.Client:
        """A client that sends the default admin's token on every request."""
        return self.client(headers={"X-Authorization": self.admin_token()})

    def blob_keys(self, prefix: str = "artifacts/") -> list[str]:
        """Keys of the objects in the blob store under `prefix` (here: files on disk)."""
        root = self.data_dir / "blobs"
        if not (root / prefix).exists():
            return []
        return sorted(
            path.relative_to(root).as_posix()
            for path in (root / prefix).rglob("*")
            if path.is_file()
        )


@dataclass
class EmbeddedRunningRegistry(RunningRegistry):
    """An embedded registry plus its ASGI app (its bus, its services), for tests that reach
    inside the one process: a crashed worker, a failed component."""

    app: Any = None


class _ThreadedServer(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test runner owns signals
        return None


@contextmanager
def serve_app(app: ASGIApp, port: int | None = None) -> Iterator[str]:
    """Serve `app` on a loopback port (a free one by default) in a thread; yields its base
    URL."""
    port = port or free_port()
    server = _ThreadedServer(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_config=None,
            access_log=False,
            proxy_headers=False,  # as in production: the gateway reads X-Forwarded-For itself
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the embedded registry did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextmanager
def embedded(
    data_dir: Path,
    *,
    runtime: dict[str, Any] | None = None,
    settings: Callable[[RuntimeSettings], dict[str, Any]] | None = None,
    factories: dict[str, Any] | None = None,
) -> Iterator[RunningRegistry]:
    """An embedded registry with its own data directory; `factories` may replace a service
    (e.g. `{"scoring": scoring_double(...)}`)."""
    from registry_launcher.app import create_embedded_app

    configure_logging("DEBUG")  # as `make run` does: JSON lines, trace ids, sinks
    the_runtime = RuntimeSettings(
        data_dir=data_dir, telemetry_exporter="inprocess", **(runtime or {})
    )
    port = free_port()
    app = create_embedded_app(
        the_runtime,
        settings=settings(the_runtime) if settings else None,
        factories=factories,
        gateway_url=f"http://127.0.0.1:{port}",
    )
    with serve_app(app, port) as url:
        yield EmbeddedRunningRegistry(url, data_dir, app=app)


@pytest.fixture
def embedded_registry(tmp_path: Path) -> Iterator[RunningRegistry]:
    """A fresh embedded registry (own data directory) on a loopback port, for one test."""
    with embedded(tmp_path / "registry") as registry:
        yield registry
