"""A health service wired to fake peers: small HTTP handlers behind `httpx.MockTransport`
(real transports that answer like the services would), a fake Hugging Face/GitHub, and a
bus whose statistics a test sets."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from registry_common.bus.port import BusStats
from registry_common.errors import ComponentUnavailable
from registry_common.http import ServiceClient
from registry_common.internal_token import internal_token_headers
from registry_common.settings import RuntimeSettings
from registry_common.telemetry import SpanHub
from registry_health.app import create_app
from registry_health.config import HealthSettings
from registry_health.feed import HealthFeed
from services.health.tests.helpers import Clock

INTERNAL_TOKEN = "internal-token-of-the-health-tests"
PEERS = ("gateway", "auth", "ingest", "scoring", "lineage")
USES = {
    "gateway": (),
    "auth": ("database", "event bus"),
    "ingest": ("database", "event bus", "blob store"),
    "scoring": ("database", "event bus"),
    "lineage": ("database", "event bus"),
}


@dataclass
class PeerBehaviour:
    """How one fake service answers `/internal/health`."""

    down: bool = False  # connection refused
    slow: bool = False  # answers after the health service gave up
    http_status: int = 200
    no_route: bool = False  # 404: a service without the internal route
    failing: dict[str, str] = field(default_factory=dict)  # component → detail
    bus: dict[str, dict[str, int]] | None = None


@dataclass
class ExternalBehaviour:
    hub_down: bool = False
    hub_status: int = 200
    github_status: int = 200
    github_remaining: int = 4999
    calls: list[str] = field(default_factory=list)


class FakeBus:
    """Enough of the EventBus port for the health service: checks and statistics."""

    def __init__(self) -> None:
        self.stats_value = BusStats(
            queue_depth={"ingest": 0, "scoring": 0}, dead_letters={"ingest": 0, "scoring": 0}
        )
        self.unreachable = False

    def subscribe(self, consumer: str, event_cls: type, handler: Any) -> None:
        return None

    async def publish(self, event: Any) -> None:
        return None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def drain(self, timeout: float = 10) -> None:
        return None

    async def check(self) -> None:
        if self.unreachable:
            raise ComponentUnavailable("event bus", "ConnectError")

    async def stats(self, consumers: Collection[str] = ()) -> BusStats:
        await self.check()
        return self.stats_value


def _peer_client(name: str, behaviour: PeerBehaviour) -> ServiceClient:
    async def handle(request: httpx.Request) -> httpx.Response:
        if behaviour.down:
            raise httpx.ConnectError("connection refused", request=request)
        if behaviour.slow:
            await asyncio.sleep(5)
        if behaviour.no_route:
            return httpx.Response(404, json={"detail": "There is no such route."})
        if behaviour.http_status != 200:
            return httpx.Response(behaviour.http_status, json={"detail": "It broke."})
        components: dict[str, dict[str, str]] = {}
        for component in USES[name]:
            if component in behaviour.failing:
                components[component] = {
                    "status": "critical",
                    "detail": behaviour.failing[component],
                }
            else:
                components[component] = {"status": "ok"}
        status = "degraded" if behaviour.failing else "ok"
        body: dict[str, Any] = {"service": name, "status": status, "components": components}
        if behaviour.bus is not None:
            body["bus"] = behaviour.bus
        return httpx.Response(200, json=body)

    return ServiceClient(name, f"http://{name}.internal", transport=httpx.MockTransport(handle))


def _external_client(behaviour: ExternalBehaviour) -> httpx.AsyncClient:
    def handle(request: httpx.Request) -> httpx.Response:
        behaviour.calls.append(f"{request.url.host}{request.url.path}")
        if request.url.host == "hub.test":
            if behaviour.hub_down:
                raise httpx.ConnectError("name or service not known", request=request)
            return httpx.Response(behaviour.hub_status, json=[{"id": "bert-base-uncased"}])
        headers = {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": str(behaviour.github_remaining),
            "x-ratelimit-reset": "1790003600",
        }
        return httpx.Response(behaviour.github_status, headers=headers, json={"resources": {}})

    return httpx.AsyncClient(transport=httpx.MockTransport(handle))


@dataclass
class Running:
    app: FastAPI
    client: httpx.AsyncClient
    peers: dict[str, PeerBehaviour]
    external: ExternalBehaviour
    bus: FakeBus
    clock: Clock
    hub: SpanHub

    @property
    def feed(self) -> HealthFeed:
        feed: HealthFeed = self.app.state.feed
        return feed

    async def components(self, **params: Any) -> dict[str, Any]:
        response = await self.client.get("/internal/components", params=params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def component(self, component_id: str, **params: Any) -> dict[str, Any]:
        document = await self.components(**params)
        (entry,) = [c for c in document["components"] if c["id"] == component_id]
        found: dict[str, Any] = entry
        return found

    async def summary(self, **params: Any) -> dict[str, Any]:
        response = await self.client.get("/internal/summary", params=params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@asynccontextmanager
async def running_health(
    tmp_path: Path, *, metric_sink: Any = None, **settings: Any
) -> AsyncIterator[Running]:
    """The health service with every peer healthy; tests then break things."""
    clock = Clock(time.time())
    peers = {name: PeerBehaviour() for name in PEERS}
    external = ExternalBehaviour()
    bus = FakeBus()
    hub = SpanHub()
    runtime = RuntimeSettings(
        data_dir=tmp_path,
        telemetry_exporter="inprocess",
        hf_endpoint="http://hub.test",
        github_api_url="http://github.test",
        internal_token=INTERNAL_TOKEN,
    )
    options: dict[str, Any] = {
        "peer_cache_seconds": 0,
        "external_cache_seconds": 0,
        "peer_timeout_seconds": 0.3,
        "version": "1.2.3-test",
        "public_url": "https://registry.example.com",
        **settings,
    }
    app = create_app(
        HealthSettings(runtime=runtime, **options),
        peers={name: _peer_client(name, behaviour) for name, behaviour in peers.items()},
        http_client=_external_client(external),
        clock=clock,
        span_hub=hub,
        bus=bus,
        metric_sink=metric_sink,
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://health",
            headers=internal_token_headers(INTERNAL_TOKEN),
        ) as client:
            yield Running(app, client, peers, external, bus, clock, hub)
