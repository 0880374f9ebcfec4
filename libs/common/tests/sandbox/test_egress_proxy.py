"""The egress proxy of the allow-list network policy, outside any sandbox: a client on its Unix
socket, an upstream HTTP server on loopback, and the exact refusal each denied request gets."""

from __future__ import annotations

import signal
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from registry_common.sandbox.egress import EgressProxy, endpoint_of


@pytest.fixture
def upstream() -> Iterator[tuple[str, int]]:
    """A loopback server answering every connection with the request line it received."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)  # so the loop sees `stop` soon after the test
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(10)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                line = data.split(b"\r\n", 1)[0]
                body = b"upstream saw: " + line + b"\n" + data
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Length: "
                    + str(len(body)).encode()
                    + b"\r\n\r\n"
                    + body
                )

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[:2]
    stop.set()
    thread.join(timeout=5)
    server.close()


@pytest.fixture
def proxy(tmp_path: Path, upstream: tuple[str, int]) -> Iterator[EgressProxy]:
    host, port = upstream
    egress = EgressProxy(str(tmp_path / "egress.sock"), [f"http://{host}:{port}"], owner=None)
    yield egress
    egress.close()


def _exchange(proxy: EgressProxy, request: bytes) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(10)
        client.connect(proxy.path)
        client.sendall(request)
        answer = b""
        while chunk := client.recv(65536):
            answer += chunk
    return answer


def test_endpoints_are_host_and_port_with_the_schemes_default() -> None:
    assert endpoint_of("http://Hub.Example") == ("hub.example", 80)
    assert endpoint_of("hub.example:8443") == ("hub.example", 8443)
    assert endpoint_of("https://hub.example/path") == ("hub.example", 443)
    with pytest.raises(ValueError, match=r"^not an endpoint: 'http://'$"):
        endpoint_of("http://")


def test_an_allowed_plain_http_request_is_forwarded_in_origin_form(
    proxy: EgressProxy, upstream: tuple[str, int]
) -> None:
    host, port = upstream
    answer = _exchange(
        proxy,
        f"GET http://{host}:{port}/models?q=1 HTTP/1.1\r\nHost: {host}\r\n"
        "Proxy-Connection: keep-alive\r\n\r\n".encode(),
    )
    assert answer.startswith(b"HTTP/1.1 200 OK")
    assert b"upstream saw: GET /models?q=1 HTTP/1.1" in answer
    assert b"Connection: close" in answer
    assert b"Proxy-Connection" not in answer


def test_an_allowed_connect_is_tunnelled(proxy: EgressProxy, upstream: tuple[str, int]) -> None:
    host, port = upstream
    answer = _exchange(
        proxy,
        f"CONNECT {host}:{port} HTTP/1.1\r\n\r\nGET /inside HTTP/1.1\r\n\r\n".encode(),
    )
    assert answer.startswith(b"HTTP/1.1 200 Connection established\r\n\r\n")
    assert b"upstream saw: GET /inside HTTP/1.1" in answer


def test_endpoints_not_allowed_are_refused_with_a_sentence(proxy: EgressProxy) -> None:
    answer = _exchange(proxy, b"CONNECT 10.0.0.1:443 HTTP/1.1\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 403 sandbox: network access to 10.0.0.1:443 is not allowed")
    assert answer.endswith(b"\r\n\r\nsandbox: network access to 10.0.0.1:443 is not allowed\n")
    answer = _exchange(proxy, b"GET http://example.com/ HTTP/1.1\r\n\r\n")
    assert b"403 sandbox: network access to example.com:80 is not allowed" in answer
    answer = _exchange(proxy, b"CONNECT nowhere HTTP/1.1\r\n\r\n")
    assert b"403 sandbox: network access to nowhere is not allowed" in answer


def test_requests_that_are_not_proxy_requests_are_refused(proxy: EgressProxy) -> None:
    assert b"403 sandbox: not an HTTP proxy request" in _exchange(proxy, b"HELLO\r\n\r\n")
    assert (
        b"403 sandbox: only CONNECT and absolute http:// requests go through the proxy"
        in _exchange(proxy, b"GET /relative HTTP/1.1\r\n\r\n")
    )
    oversized = b"GET http://x/ HTTP/1.1\r\nX: " + b"a" * (17 * 1024)
    assert b"403 sandbox: request head too large" in _exchange(proxy, oversized)


def test_an_allowed_endpoint_that_is_down_is_a_502_naming_it(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    egress = EgressProxy(str(tmp_path / "down.sock"), [f"127.0.0.1:{port}"], owner=None)
    try:
        answer = _exchange(egress, f"CONNECT 127.0.0.1:{port} HTTP/1.1\r\n\r\n".encode())
    finally:
        egress.close()
    assert answer.startswith(b"HTTP/1.1 502 Bad Gateway")
    assert f"sandbox: 127.0.0.1:{port} unreachable: ".encode() in answer


def test_a_client_that_hangs_up_early_is_let_go(proxy: EgressProxy) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.connect(proxy.path)
        client.sendall(b"GET http://x/")
    # The proxy still serves the next client.
    assert b"403 sandbox: not an HTTP proxy request" in _exchange(proxy, b"HELLO\r\n\r\n")


@pytest.fixture
def relay_main() -> Iterator[Any]:
    """`_relay.main` in-process (it sets a SIGTERM handler: restored after the test)."""
    from registry_common.sandbox import _relay

    previous = signal.getsignal(signal.SIGTERM)
    yield _relay.main
    signal.signal(signal.SIGTERM, previous)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_the_relay_carries_the_programs_requests_to_the_proxy(
    relay_main: Any, proxy: EgressProxy, upstream: tuple[str, int]
) -> None:
    host, port = upstream
    relay_port = _free_port()
    program = (
        "import socket, sys\n"
        f"s = socket.create_connection(('127.0.0.1', {relay_port}), timeout=10)\n"
        f"s.sendall(b'GET http://{host}:{port}/through HTTP/1.1\\r\\n\\r\\n')\n"
        "data = b''\n"
        "while chunk := s.recv(65536):\n"
        "    data += chunk\n"
        "sys.exit(0 if b'upstream saw: GET /through HTTP/1.1' in data else 3)\n"
    )
    assert (
        relay_main(["_relay.py", proxy.path, str(relay_port), "--", sys.executable, "-c", program])
        == 0
    )


def test_the_relay_exits_with_its_commands_status(
    relay_main: Any, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    socket_path = str(tmp_path / "none.sock")
    run = ["_relay.py", socket_path, str(_free_port()), "--"]
    assert relay_main([*run, sys.executable, "-c", "raise SystemExit(7)"]) == 7
    killed = "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"
    assert (
        relay_main(
            ["_relay.py", socket_path, str(_free_port()), "--", sys.executable, "-c", killed]
        )
        == 128 + 9
    )
    assert relay_main(["_relay.py", socket_path, "0", "--", str(tmp_path / "missing")]) == 127
    assert f"sandbox-relay: cannot start {tmp_path / 'missing'}: " in capfd.readouterr().err
    assert relay_main(["_relay.py", socket_path, "0", "python3"]) == 125
    assert capfd.readouterr().err == "sandbox-relay: usage: _relay.py SOCKET PORT -- COMMAND...\n"
