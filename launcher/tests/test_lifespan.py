"""The launcher's ASGI lifespan: the services run around the gateway, and a failure to start
is reported to the server as the protocol asks (uvicorn then exits instead of serving)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from registry_common.bus.inprocess import InProcessBus
from registry_common.telemetry import get_logger
from registry_launcher.app import EmbeddedRegistry


def _registry(order: list[str], *, fail_services: bool = False) -> EmbeddedRegistry:
    @asynccontextmanager
    async def gateway_lifespan(_: FastAPI) -> AsyncIterator[None]:
        order.append("gateway started")
        yield
        order.append("gateway stopped")

    gateway = FastAPI(lifespan=gateway_lifespan)

    @gateway.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @asynccontextmanager
    async def services() -> AsyncIterator[None]:
        if fail_services:
            raise RuntimeError("auth's database is unreachable")
        order.append("services started")
        yield
        order.append("services stopped")

    bus = InProcessBus(logger=get_logger("bus"))
    return EmbeddedRegistry(gateway, services, apps={}, bus=bus)


async def _lifespan(app: EmbeddedRegistry) -> list[dict[str, Any]]:
    """Drive the ASGI lifespan protocol as a server does (start, then stop); returns what
    the app sent."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    sent: list[dict[str, Any]] = []
    await inbox.put({"type": "lifespan.startup"})
    await inbox.put({"type": "lifespan.shutdown"})

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app({"type": "lifespan", "asgi": {"version": "3.0"}}, inbox.get, send)
    return sent


async def test_services_start_before_the_gateway_and_stop_after_it() -> None:
    order: list[str] = []
    sent = await _lifespan(_registry(order))
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert order == ["services started", "gateway started", "gateway stopped", "services stopped"]


async def test_a_service_that_cannot_start_fails_the_startup_with_its_reason() -> None:
    order: list[str] = []
    app = _registry(order, fail_services=True)
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    with pytest.raises(RuntimeError, match="database is unreachable"):
        await app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    assert sent[0]["type"] == "lifespan.startup.failed"
    assert "database is unreachable" in sent[0]["message"]
    assert order == []  # the gateway never started


async def test_requests_go_to_the_gateway() -> None:
    app = _registry([])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
        response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
