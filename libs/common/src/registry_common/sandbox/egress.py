"""Outside the sandbox: the egress proxy behind the ``allow-list`` network policy.

The program lives in a network namespace with only loopback; its one way out is the relay
(``_relay.py``) to the Unix socket this proxy serves in the run directory. The proxy speaks the
two forms HTTP clients use with ``HTTP(S)_PROXY``:

* ``CONNECT host:port`` (HTTPS): tunnelled when ``(host, port)`` is allowed;
* an absolute-form request ``GET http://host:port/path HTTP/1.1`` (plain HTTP): forwarded in
  origin form with ``Connection: close`` (one request per connection, so every request's
  target is checked) when allowed.

Anything else gets ``403`` with a sentence. The allow-list is by the name or address the
program asks for, compared exactly (case-insensitive) with what the operator allowed; the
proxy resolves and connects itself, so what the program may reach is decided here, outside,
where its code cannot reach.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Iterable
from urllib.parse import urlsplit

_HEAD_LIMIT = 16 * 1024
_CONNECT_TIMEOUT = 10.0


def endpoint_of(url: str) -> tuple[str, int]:
    """``(host, port)`` of an allowed endpoint given as a URL or ``host:port``."""
    parts = urlsplit(url if "://" in url else f"https://{url}")
    if not parts.hostname:
        raise ValueError(f"not an endpoint: {url!r}")
    return parts.hostname.lower(), parts.port or (80 if parts.scheme == "http" else 443)


def _deny(client: socket.socket, reason: str) -> None:
    # The sentence is the reason phrase too: clients put it in their error message
    # ("HTTP Error 403: sandbox: network access to 10.0.0.1:80 is not allowed").
    body = f"sandbox: {reason}\n".encode()
    head = (
        f"HTTP/1.1 403 sandbox: {reason}\r\nContent-Type: text/plain\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    with contextlib.suppress(OSError):
        client.sendall(head.encode() + body)


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for end in (sink, source):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


def _split_target(target: str) -> tuple[str, int] | None:
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit():
        return None
    return host.strip("[]").lower(), int(port)


class EgressProxy:
    """Serves one run's Unix socket until ``close()``."""

    def __init__(self, path: str, allowed: Iterable[str], *, owner: tuple[int, int] | None):
        self.allowed = frozenset(endpoint_of(entry) for entry in allowed)
        self.path = path
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(path)
        if owner is not None:  # the sandbox uid must be able to connect
            os.chown(path, *owner)
        os.chmod(path, 0o600)
        self._server.listen(64)
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, name="sandbox-egress", daemon=True)
        self._thread.start()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)
        self._server.close()
        with self._lock:
            for conn in list(self._open):
                with contextlib.suppress(OSError):
                    conn.close()
            self._open.clear()
        self._thread.join(timeout=2.0)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _track(self, *conns: socket.socket) -> None:
        with self._lock:
            self._open.update(conns)

    def _handle(self, client: socket.socket) -> None:
        self._track(client)
        head = b""
        try:
            client.settimeout(_CONNECT_TIMEOUT)
            while b"\r\n\r\n" not in head:
                chunk = client.recv(4096)
                if not chunk:
                    client.close()
                    return
                head += chunk
                if len(head) > _HEAD_LIMIT:
                    _deny(client, "request head too large")
                    client.close()
                    return
            client.settimeout(None)
        except OSError:
            client.close()
            return
        head, _, rest = head.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3:
            _deny(client, "not an HTTP proxy request")
            client.close()
            return
        method, target, version = parts
        if method.upper() == "CONNECT":
            endpoint = _split_target(target)
            forward = b""
        else:
            url = urlsplit(target)
            if url.scheme != "http" or not url.hostname:
                _deny(client, "only CONNECT and absolute http:// requests go through the proxy")
                client.close()
                return
            endpoint = (url.hostname.lower(), url.port or 80)
            path = url.path or "/"
            if url.query:
                path += "?" + url.query
            headers = [
                line
                for line in lines[1:]
                if line.split(":", 1)[0].strip().lower()
                not in ("connection", "proxy-connection", "keep-alive", "proxy-authorization")
            ]
            forward = (
                "\r\n".join([f"{method} {path} {version}", *headers, "Connection: close"])
                + "\r\n\r\n"
            ).encode("latin-1") + rest
        if endpoint is None or endpoint not in self.allowed:
            shown = f"{endpoint[0]}:{endpoint[1]}" if endpoint else target
            _deny(client, f"network access to {shown} is not allowed")
            client.close()
            return
        try:
            upstream = socket.create_connection(endpoint, timeout=_CONNECT_TIMEOUT)
            upstream.settimeout(None)
        except OSError as exc:
            body = f"sandbox: {endpoint[0]}:{endpoint[1]} unreachable: {exc}\n".encode()
            with contextlib.suppress(OSError):
                client.sendall(
                    b"HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: "
                    + str(len(body)).encode()
                    + b"\r\n\r\n"
                    + body
                )
            client.close()
            return
        self._track(upstream)
        try:
            if forward:
                upstream.sendall(forward)
            else:
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                if rest:
                    upstream.sendall(rest)
        except OSError:
            client.close()
            upstream.close()
            return
        threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()
        _pump(client, upstream)
