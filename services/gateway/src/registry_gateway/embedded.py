"""Embedded mode: the whole registry in one process, with no external servers.

SQLite files, blobs in a local directory and one in-process bus, all under
REGISTRY_DATA_DIR; the six services are ASGI apps the gateway calls in-process.
`make run` starts this.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider

from registry_common.bus.inprocess import InProcessBus
from registry_common.bus.port import EventBus
from registry_common.errors import RegistryError
from registry_common.http import ServiceClient
from registry_common.internal_token import generate_internal_token
from registry_common.lifespan import run_lifespans
from registry_common.settings import RuntimeSettings
from registry_common.telemetry import configure_logging, get_logger, service_tracer_provider
from registry_gateway.app import create_app as create_gateway
from registry_gateway.clients import ServiceClients
from registry_gateway.config import GatewaySettings

ServiceFactory = Callable[[RuntimeSettings, EventBus], FastAPI]
SERVICES = ("auth", "ingest", "scoring", "lineage", "health")


def default_factories(
    settings: dict[str, Any] | None = None, health_peers: dict[str, Any] | None = None
) -> dict[str, ServiceFactory]:
    """How each service is built; `settings` replaces a service's settings object by name."""
    # Imported here: a gateway container in distributed mode does not ship the services.
    from registry_auth.app import create_app as create_auth
    from registry_auth.config import AuthSettings
    from registry_health.app import create_app as create_health
    from registry_health.config import HealthSettings
    from registry_ingest.app import create_app as create_ingest
    from registry_ingest.config import IngestSettings
    from registry_lineage.app import create_app as create_lineage
    from registry_lineage.config import LineageSettings
    from registry_scoring.app import create_app as create_scoring
    from registry_scoring.config import ScoringSettings

    chosen = settings or {}

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
        "health": lambda rt, bus: create_health(
            pick("health", HealthSettings, rt), bus=bus, peers=health_peers
        ),
    }


def create_embedded_app(
    runtime: RuntimeSettings | None = None,
    *,
    settings: dict[str, Any] | None = None,
    factories: dict[str, ServiceFactory] | None = None,
) -> FastAPI:
    """The registry in one process. `settings` may replace a service's settings object by
    name ("gateway" too); `factories` may replace how a service is built (e.g. a scoring
    service running elsewhere, or a stand-in); the rest are the real services."""
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
    build = {**default_factories(settings, health_peers), **(factories or {})}
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
        around=services,
    )
    for name in ("auth", "ingest", "scoring", "lineage"):
        health_peers[name] = ServiceClient(
            name,
            f"http://{name}.internal",
            transport=httpx.ASGITransport(app=apps[name], raise_app_exceptions=False),
            internal_token=runtime.internal_token,
        )

    async def gateway_health() -> dict[str, Any]:
        try:
            await gateway.state.blobs.check()
            blob = {"status": "ok"}
        except RegistryError as exc:
            blob = {"status": "critical", "detail": exc.message}
        status = "ok" if blob["status"] == "ok" else "degraded"
        return {"service": "gateway", "status": status, "components": {"blob store": blob}}

    health_peers["gateway"] = gateway_health
    gateway.state.services = apps
    gateway.state.bus = bus
    return gateway


def main() -> None:
    import uvicorn

    runtime = RuntimeSettings()
    configure_logging(runtime.log_level, log_dir=runtime.log_dir)
    port = int(os.environ.get("PORT", "8000"))
    get_logger("gateway").info(
        "registry.starting",
        mode="embedded",
        url=f"http://127.0.0.1:{port}",
        data_dir=str(runtime.data_dir.resolve()),
    )
    uvicorn.run(
        create_embedded_app(runtime),
        host=os.environ.get("HOST", "127.0.0.1"),
        port=port,
        access_log=False,
        log_config=None,
        server_header=False,
        proxy_headers=False,  # the gateway reads X-Forwarded-For from trusted proxies only
    )


if __name__ == "__main__":
    main()
