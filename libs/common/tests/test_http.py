"""The shared HTTP layer: one error renderer, 400 for invalid input, trace headers, request
logs, the internal token, and the client that mirrors service errors and names outages."""

from __future__ import annotations

import asyncio
import io
import socket
from pathlib import Path

import httpx
import orjson
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from registry_common.errors import ComponentUnavailable, Conflict, NotFound, RegistryError
from registry_common.http import ServiceClient, build_service_app
from registry_common.telemetry import configure_logging, create_tracer_provider


class Body(BaseModel):
    url: str
    count: int


def make_app(internal_token: str | None = None) -> FastAPI:
    app = build_service_app(
        "ingest",
        tracer_provider=create_tracer_provider("ingest", "none"),
        internal_token=internal_token,
    )

    @app.get("/missing")
    async def missing() -> None:
        raise NotFound("No artifact has id 'x1'.")

    @app.post("/echo")
    async def echo(body: Body) -> Body:
        return body

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    @app.get("/internal/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "yes"}

    return app


@pytest.fixture
def client() -> httpx.AsyncClient:
    # As behind a server: the rendered 500 is what the client gets.
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://t")


async def test_registry_errors_render_with_status_sentence_and_trace(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/missing")
    assert response.status_code == 404
    body = response.json()
    assert body["detail"] == "No artifact has id 'x1'."
    assert body["code"] == "not_found"
    assert body["trace_id"] == response.headers["X-Trace-Id"]


async def test_validation_errors_are_400_naming_each_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/echo", json={"count": "many"})
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "url" in detail
    assert "count" in detail


async def test_unexpected_errors_are_500_without_internals(client: httpx.AsyncClient) -> None:
    response = await client.get("/boom")
    assert response.status_code == 500
    assert "secret internals" not in response.text
    assert "ingest service" in response.json()["detail"]


async def test_unknown_routes_and_methods_say_where_to_look(client: httpx.AsyncClient) -> None:
    assert "openapi.json" in (await client.get("/nope")).json()["detail"]
    wrong_method = await client.delete("/echo")
    assert wrong_method.status_code == 405


async def test_one_json_log_line_per_request() -> None:
    stream = io.StringIO()
    configure_logging("INFO", stream=stream)
    try:
        app = make_app()
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            response = await client.get("/missing")
    finally:
        configure_logging("INFO")
    requests = [
        r for r in map(orjson.loads, stream.getvalue().splitlines()) if r["event"] == "http.request"
    ]
    assert len(requests) == 1
    assert requests[0]["status"] == 404
    assert requests[0]["path"] == "/missing"
    assert requests[0]["trace_id"] == response.headers["X-Trace-Id"]


async def test_internal_routes_need_the_internal_token_when_configured() -> None:
    app = make_app(internal_token="s3cret")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as anonymous:
        assert (await anonymous.get("/internal/ping")).status_code == 403
        assert (await anonymous.get("/missing")).status_code == 404  # public routes unaffected
    trusted = ServiceClient("ingest", "http://t", transport=transport, internal_token="s3cret")
    assert (await trusted.get("/internal/ping")).json() == {"pong": "yes"}
    await trusted.aclose()


async def test_service_client_mirrors_the_service_error() -> None:
    service = ServiceClient("ingest", "http://t", transport=httpx.ASGITransport(app=make_app()))
    with pytest.raises(RegistryError) as raised:
        await service.get("/missing")
    assert raised.value.status == 404
    assert raised.value.message == "No artifact has id 'x1'."
    assert raised.value.code == "not_found"
    await service.aclose()


async def test_service_client_names_an_unreachable_service() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    service = ServiceClient("scoring", f"http://127.0.0.1:{port}")
    with pytest.raises(ComponentUnavailable) as raised:
        await service.get("/anything")
    assert raised.value.status == 503
    assert "scoring service" in raised.value.message
    await service.aclose()


def test_error_bodies_include_details_when_given() -> None:
    error = Conflict("Artifact exists already.", details={"id": "a1"})
    assert error.to_body() == {
        "detail": "Artifact exists already.",
        "code": "conflict",
        "details": {"id": "a1"},
    }


async def test_a_database_outage_no_handler_wrapped_is_a_503_naming_the_database(
    tmp_path: Path,
) -> None:
    """A statement outside `database_errors()` meeting a database that is down: an outage,
    a 503 naming the database (a bug stays a 500: the test above)."""
    from sqlalchemy import text

    from registry_common.db import create_engine

    async def hang_up(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.transport.abort()  # a database server that dies as the connection opens

    server = await asyncio.start_unix_server(hang_up, str(tmp_path / ".s.PGSQL.5432"))
    app = make_app()
    down = create_engine(f"postgresql+asyncpg://postgres@/nowhere?host={tmp_path}")

    @app.get("/down")
    async def query_down() -> None:
        async with down.connect() as conn:
            await conn.execute(text("SELECT 1"))

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            outage = await client.get("/down")
    finally:
        await down.dispose()
        server.close()
    assert outage.status_code == 503
    assert outage.json()["code"] == "component_unavailable"
    assert outage.json()["detail"].startswith("The database is unavailable right now")


async def test_a_streamed_response_is_one_span_not_one_per_chunk() -> None:
    """A 26 MB download goes out in ~400 ASGI messages; each used to become a span of its
    own, created, exported and stored (docs/performance.md, bottleneck 1)."""
    from fastapi.responses import StreamingResponse
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    app = build_service_app("gateway", tracer_provider=provider)

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(50):
            yield b"x" * 65536

    @app.get("/bundle")
    async def bundle() -> StreamingResponse:
        return StreamingResponse(chunks(), media_type="application/zip")

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/bundle")
    assert response.status_code == 200
    assert len(response.content) == 50 * 65536
    spans = memory.get_finished_spans()
    assert [s.name for s in spans] == ["GET /bundle"]
    assert spans[0].attributes is not None
    assert spans[0].attributes.get("http.status_code") == 200
