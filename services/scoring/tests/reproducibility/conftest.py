"""Loopback HTTP servers standing in for the hub endpoint (and for a host that is not allowed)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from registry_common.sandbox import Isolation, available_levels
from registry_scoring.reproducibility.sandbox import SandboxConfig

NO_WALL = available_levels()[0] is Isolation.RLIMITS
"""A host where the sandbox can build no wall (not root, no usable bubblewrap): the sandbox
refuses to run there (docs/security/sandbox.md), so these tests, which are about the metric and
the audit hook, opt in to weak isolation; the tests of the wall itself skip."""


@pytest.fixture(autouse=True)
def _weak_isolation_where_there_is_no_wall(monkeypatch: pytest.MonkeyPatch) -> None:
    if not NO_WALL:
        return
    build = SandboxConfig.sandbox
    monkeypatch.setattr(
        SandboxConfig, "sandbox", lambda self: build(replace(self, allow_weak_isolation=True))
    )


class _Pong(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"pong from {self.server.server_address[1]!s}".encode()  # type: ignore[index]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pong)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def hub_url() -> Iterator[str]:
    """A tiny HTTP server playing the configured hub endpoint."""
    yield from _serve()


@pytest.fixture(scope="module")
def other_url() -> Iterator[str]:
    """Another loopback server: reachable from the test, not from the sandbox."""
    yield from _serve()
