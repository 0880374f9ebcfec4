"""Request body ceilings and the bounded gunzip (registry_common.limits), against a real app
with the shared middleware stack, over httpx's ASGI transport and a real loopback server."""

from __future__ import annotations

import gzip
import socket
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import orjson
import pytest
from fastapi import Body, File, Request, UploadFile

from registry_common.http import ServiceClient, build_service_app
from registry_common.limits import (
    BodyLimits,
    DecompressedTooLarge,
    gunzip_bounded,
    human_bytes,
)
from registry_common.telemetry import create_tracer_provider
from tests.harness.registry import serve_app


def _app() -> Any:
    app = build_service_app(
        "limits",
        tracer_provider=create_tracer_provider("limits", "none"),
        body_limits=BodyLimits.of(1024, [(r"/upload/[^/]+", 64 * 1024)]),
    )

    @app.post("/json")
    async def json_route(body: Annotated[list[int], Body()]) -> int:
        return len(body)

    @app.post("/upload/{kind}")
    async def upload(file: Annotated[UploadFile, File()]) -> int:
        return len(await file.read())

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://limits") as c:
        yield c


async def test_a_body_within_the_ceiling_is_served(client: httpx.AsyncClient) -> None:
    assert (await client.post("/json", json=list(range(100)))).json() == 100


async def test_a_declared_length_over_the_ceiling_is_refused_up_front(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post("/json", json=list(range(1000)))
    assert answer.status_code == 413
    assert answer.json()["code"] == "too_large"
    assert answer.json()["detail"] == (
        "The request body is larger than 1 KiB, the most this route accepts; send a smaller body."
    )


async def test_a_streamed_body_is_stopped_when_it_passes_the_ceiling(
    client: httpx.AsyncClient,
) -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b"["
        for _ in range(10_000):
            sent += 1
            yield b"1," * 50
        yield b"1]"

    answer = await client.post(
        "/json", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 413
    assert answer.json()["code"] == "too_large"
    assert sent < 100  # reading stopped at the ceiling, long before the 10,000 chunks


async def test_upload_routes_have_their_own_ceiling(client: httpx.AsyncClient) -> None:
    ok = await client.post("/upload/model", files={"file": ("a.zip", b"x" * 32 * 1024)})
    assert ok.status_code == 200, ok.text
    assert ok.json() == 32 * 1024
    big = await client.post("/upload/model", files={"file": ("a.zip", b"x" * 65 * 1024)})
    assert big.status_code == 413
    assert "64 KiB" in big.json()["detail"]


async def test_a_malformed_content_length_is_a_400(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/json", content=b"[]", headers={"Content-Length": "9" * 5000, "Content-Type": "x"}
    )
    assert answer.status_code == 400
    assert "Content-Length" in answer.json()["detail"]


def _read_response(sock: socket.socket) -> tuple[int, bytes]:
    """One HTTP/1.1 response with a Content-Length from a raw socket: (status, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    length = next(
        int(v)
        for k, v in (line.split(": ", 1) for line in lines[1:])
        if k.lower() == "content-length"
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection mid-body")
        body += chunk
    return int(lines[0].split()[1]), body


def test_an_unexpected_error_is_a_500_and_the_connection_stays_open() -> None:
    """Starlette re-raises after its last-resort 500 and uvicorn then drops the keep-alive
    connection; the shared middleware answers instead, so the next request on it works.
    A raw socket: an HTTP client would quietly reconnect and hide the drop."""
    with serve_app(_app()) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(b"GET /boom HTTP/1.1\r\nHost: limits\r\n\r\n")
            status, body = _read_response(sock)
            assert status == 500
            assert orjson.loads(body)["code"] == "internal_error"
            assert b"limits service" in body
            sock.sendall(
                b"POST /json HTTP/1.1\r\nHost: limits\r\nContent-Type: application/json\r\n"
                b"Content-Length: 5\r\n\r\n[1,2]"
            )
            assert _read_response(sock) == (200, b"2")  # same connection


def test_gunzip_bounded_unpacks_within_the_limit_and_stops_past_it() -> None:
    data = b"span " * 1000
    assert gunzip_bounded(gzip.compress(data), len(data)) == data
    assert gunzip_bounded(gzip.compress(b"a") + gzip.compress(b"b"), 10) == b"ab"
    assert gunzip_bounded(b"", 10) == b""
    with pytest.raises(DecompressedTooLarge, match="unpacks to more than 1 MiB"):
        gunzip_bounded(gzip.compress(b"\0" * (50 * 1024 * 1024)), 1024 * 1024)
    with pytest.raises(EOFError):
        gunzip_bounded(gzip.compress(data)[:-20], len(data))


def test_human_bytes() -> None:
    assert human_bytes(1024 * 1024) == "1 MiB"
    assert human_bytes(2 * 1024**3) == "2 GiB"
    assert human_bytes(1536) == "1.5 KiB"
    assert human_bytes(10) == "10 bytes"


def test_a_form_streamed_on_to_another_service_is_held_to_both_ceilings() -> None:
    """The gateway's upload path over real HTTP (distributed mode): the form streams on as it
    arrives (chunked), and passing the first service's ceiling stops it with that 413."""
    inner = build_service_app(
        "inner",
        tracer_provider=create_tracer_provider("inner", "none"),
        body_limits=BodyLimits.of(1024, [(r"/upload", 10**8)]),
    )

    @inner.post("/upload")
    async def receive_form(file: Annotated[UploadFile, File()]) -> int:
        return len(await file.read())

    outer = build_service_app(
        "outer",
        tracer_provider=create_tracer_provider("outer", "none"),
        body_limits=BodyLimits.of(1024, [(r"/upload", 256 * 1024)]),
    )
    with serve_app(inner) as inner_url:
        client = ServiceClient("inner", inner_url)

        @outer.post("/upload")
        async def forward(request: Request) -> Any:
            headers = {"Content-Type": request.headers["content-type"]}
            answer = await client.post("/upload", content=request.stream(), headers=headers)
            return answer.json()

        with serve_app(outer) as url, httpx.Client(base_url=url, timeout=30) as http:
            small = http.post("/upload", files={"file": ("a.zip", b"z" * 200_000)})
            assert small.json() == 200_000
            big = http.post("/upload", files={"file": ("a.zip", b"z" * 300_000)})
            assert big.status_code == 413
            assert "256 KiB" in big.json()["detail"]


def test_internal_services_leave_room_for_the_gateways_envelope() -> None:
    limits = BodyLimits.internal(1024, [(r"/upload", 10**6)])
    assert limits.for_path("/internal/catalog/query") == 2048
    assert limits.for_path("/upload") == 10**6
