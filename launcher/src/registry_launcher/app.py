"""Embedded mode: the whole registry in one process, with no external servers.

SQLite files, blobs in a local directory and one in-process bus, all under
REGISTRY_DATA_DIR; the six services are ASGI apps the gateway calls in-process.
`make run` starts this (`python -m registry_launcher`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from starlette.types import Receive, Scope, Send

from registry_auth.app import create_app as create_auth
from registry_auth.config import AuthSettings
from registry_common.bus.inprocess import InProcessBus
from registry_common.bus.port import EventBus
from registry_common.http import ServiceClient
from registry_common.internal_token import generate_internal_token
from registry_common.lifespan import run_lifespans
from registry_common.service import check_components
from registry_common.settings import RuntimeSettings
from registry_common.telemetry import get_logger, service_tracer_provider
from registry_gateway.app import create_app as create_gateway
from registry_gateway.clients import ServiceClients
from registry_gateway.config import GatewaySettings
from registry_health.app import create_app as create_health
from registry_health.config import HealthSettings
from registry_ingest.app import create_app as create_ingest
from registry_ingest.config import IngestSettings
from registry_lineage.app import create_app as create_lineage
from registry_lineage.config import LineageSettings
from registry_scoring.app import create_app as create_scoring
from registry_scoring.config import ScoringSettings

ServiceFactory = Callable[[RuntimeSettings, EventBus], FastAPI]
SERVICES = ("auth", "ingest", "scoring", "lineage", "health")


def default_factories(
    settings: dict[str, Any] | None = None,
    health_peers: dict[str, Any] | None = None,
    gateway_url: str | None = None,
) -> dict[str, ServiceFactory]:
    """How each service is built; `settings` replaces a service's settings object by name.
    `gateway_url`: where this process's gateway listens, the health service's load-test
    target unless its settings name one."""
    chosen = settings or {}

    def health_settings(runtime: RuntimeSettings) -> HealthSettings:
        health: HealthSettings = pick("health", HealthSettings, runtime)
        if gateway_url and "loadtest_target_url" not in health.model_fields_set:
            health = health.model_copy(update={"loadtest_target_url": gateway_url})
        return health

    def pick(name: str, cls: Any, runtime: RuntimeSettings) -> Any:
        given = chosen.get(name)
        if given is None:
            return cls(runtime=runtime)
        # A service's own settings keep their choices but share the process's internal
        # token, or the gateway's calls would not reach it.
        own = given.runtime.model_copy(update={"internal_token": runtime.internal_token})
        return given.model_copy(update={"runtime": own})

    return {
        "auth": lambda rt, bus: create_auth(pick("auth", AuthSettings, rt), bus=bus),
        "ingest": lambda rt, bus: create_ingest(pick("ingest", IngestSettings, rt), bus=bus),
        "scoring": lambda rt, bus: create_scoring(pick("scoring", ScoringSettings, rt), bus=bus),
        "lineage": lambda rt, bus: create_lineage(pick("lineage", LineageSettings, rt), bus=bus),
        "health": lambda rt, bus: create_health(health_settings(rt), bus=bus, peers=health_peers),
    }


class EmbeddedRegistry:
    """The ASGI app `make run` serves: the gateway answers every request, and the lifespan
    runs the services (and the one bus) around the gateway's own, so the gateway needs no
    hook of its own for embedded mode."""

    def __init__(
        self,
        gateway: FastAPI,
        services: Callable[[], AbstractAsyncContextManager[None]],
        *,
        apps: dict[str, FastAPI],
        bus: InProcessBus,
    ) -> None:
        self.gateway = gateway
        self.services = services
        self.apps = apps
        self.bus = bus

    @asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        # The services first and the gateway last, stopped in reverse: the gateway never
        # serves a request that a stopped service would have to answer.
        async with self.services(), run_lifespans([self.gateway]):
            yield

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.gateway(scope, receive, send)
            return
        # The ASGI lifespan protocol, as Starlette's router speaks it for one app.
        await receive()  # lifespan.startup
        started = False
        try:
            async with self.lifespan():
                started = True
                await send({"type": "lifespan.startup.complete"})
                await receive()  # lifespan.shutdown
        except BaseException as exc:
            phase = "shutdown" if started else "startup"
            await send({"type": f"lifespan.{phase}.failed", "message": repr(exc)})
            raise
        await send({"type": "lifespan.shutdown.complete"})


def create_embedded_app(
    runtime: RuntimeSettings | None = None,
    *,
    settings: dict[str, Any] | None = None,
    factories: dict[str, ServiceFactory] | None = None,
    gateway_url: str | None = None,
) -> EmbeddedRegistry:
    """The registry in one process. `settings` may replace a service's settings object by
    name ("gateway" too); `factories` may replace how a service is built (e.g. a scoring
    service running elsewhere, or a stand-in); the rest are the real services.
    `gateway_url`: the address the app will be served at (the load tests' target)."""
    runtime = runtime or RuntimeSettings()
    # Nothing but the gateway listens, yet the services check the internal token as they do
    # on a network (one code path, and a confused-deputy call from inside still needs it).
    runtime = runtime.model_copy(
        update={
            "bus_backend": "inprocess",
            "internal_token": runtime.internal_token or generate_internal_token(),
        }
    )
    # One bus for all services; each consumer's spans go to its own service's provider.
    providers: dict[str, TracerProvider] = {}
    bus = InProcessBus(logger=get_logger("bus"), consumer_tracer_provider=providers.get)
    # The health service checks the others in-process; the dict fills once they exist.
    health_peers: dict[str, Any] = {}
    build = {**default_factories(settings, health_peers, gateway_url), **(factories or {})}
    apps: dict[str, FastAPI] = {name: build[name](runtime, bus) for name in SERVICES}
    providers.update(
        {
            name: app.state.kit.tracer_provider
            for name, app in apps.items()
            if hasattr(app.state, "kit")
        }
    )

    @asynccontextmanager
    async def services() -> AsyncIterator[None]:
        async with run_lifespans(list(apps.values())):
            await bus.start()
            try:
                yield
            finally:
                await bus.drain(timeout=10)
                await bus.stop()
                for peer in health_peers.values():
                    if isinstance(peer, ServiceClient):
                        await peer.aclose()

    provider = service_tracer_provider("gateway", runtime)
    given = (settings or {}).get("gateway")
    gateway_settings = (
        given.model_copy(update={"runtime": runtime})
        if given is not None
        else GatewaySettings(runtime=runtime)
    )
    gateway = create_gateway(
        gateway_settings,
        clients=ServiceClients.in_process(apps, provider, runtime.internal_token),
        tracer_provider=provider,
    )
    for name in ("auth", "ingest", "scoring", "lineage"):
        health_peers[name] = ServiceClient(
            name,
            f"http://{name}.internal",
            transport=httpx.ASGITransport(app=apps[name], raise_app_exceptions=False),
            internal_token=runtime.internal_token,
        )
    # The gateway has no `/internal/health` route (distributed mode's probe takes its 404 as
    # "alive"); in one process the health service asks it directly, with the same checks
    # every service runs.
    gateway_checks = {"blob store": gateway.state.blobs.check}

    async def gateway_health() -> dict[str, Any]:
        return await check_components("gateway", gateway_checks)

    health_peers["gateway"] = gateway_health
    return EmbeddedRegistry(gateway, services, apps=apps, bus=bus)
