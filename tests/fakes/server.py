"""Run an ASGI app with uvicorn on 127.0.0.1, in a background thread or in the foreground.

``serve(app)`` binds the socket itself (port 0 = any free port) before uvicorn starts, so the
real port is known immediately and two test sessions never race for the same port.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

HOST = "127.0.0.1"
_STARTUP_TIMEOUT_S = 10.0


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    # Listen before uvicorn starts: early clients wait in the backlog instead of being refused.
    sock.listen(128)
    return sock


def _config(app: Any, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        # Clients keep pooled connections open; do not let them hold up shutdown.
        timeout_graceful_shutdown=1,
    )


@contextmanager
def serve(app: Any, *, port: int = 0, log_level: str = "warning") -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 in a daemon thread; yields the base URL, stops on exit."""
    sock = _bind(HOST, port)
    server = uvicorn.Server(_config(app, log_level))
    # uvicorn only installs signal handlers on the main thread, so a worker thread is safe.
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="fake-server", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + _STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("fake server did not start")
        time.sleep(0.005)
    try:
        yield f"http://{HOST}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()


def run_forever(app: Any, title: str, *, host: str = HOST, port: int = 0) -> None:
    """Serve in the foreground until Ctrl-C, printing the URL first (port 0 picks a free one)."""
    sock = _bind(host, port)
    # The first stdout line is machine-readable so that a parent process can read the URL.
    print(f"{title} listening on http://{host}:{sock.getsockname()[1]}", flush=True)
    uvicorn.Server(_config(app, "info")).run(sockets=[sock])


def main(app: Any, title: str, argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=f"Run the {title} on {HOST}.")
    parser.add_argument(
        "--port", type=int, default=0, help="port to listen on (0 = pick a free one)"
    )
    parser.add_argument("--host", default=HOST, help="interface (keep the loopback default)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    run_forever(app, title, host=args.host, port=args.port)
