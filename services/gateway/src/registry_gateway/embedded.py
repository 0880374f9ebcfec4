"""Embedded mode: the whole registry in one process, with no external servers.

SQLite files, blobs in a local directory and one in-process bus, all under
REGISTRY_DATA_DIR; the six services are ASGI apps the gateway calls in-process.
`make run` starts this.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider

from registry_common.bus.inprocess import InProcessBus
from registry_common.lifespan import run_lifespans
from registry_common.settings import RuntimeSettings
from registry_common.telemetry import configure_logging, create_tracer_provider, get_logger
from registry_gateway.app import create_app as create_gateway
from registry_gateway.clients import ServiceClients
from registry_gateway.config import GatewaySettings


def create_embedded_app(
    runtime: RuntimeSettings | None = None, *, settings: dict[str, Any] | None = None
) -> FastAPI:
    """`settings` replaces a service's settings object by name (e.g. {"ingest": ...})."""
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

    runtime = runtime or RuntimeSettings()
    runtime = runtime.model_copy(update={"bus_backend": "inprocess"})
    # One bus for all services; each consumer's spans go to its own service's provider.
    providers: dict[str, TracerProvider] = {}
    bus = InProcessBus(logger=get_logger("bus"), consumer_tracer_provider=providers.get)
    chosen = settings or {}
    apps: dict[str, FastAPI] = {
        "auth": create_auth(chosen.get("auth") or AuthSettings(runtime=runtime), bus=bus),
        "ingest": create_ingest(chosen.get("ingest") or IngestSettings(runtime=runtime), bus=bus),
        "scoring": create_scoring(
            chosen.get("scoring") or ScoringSettings(runtime=runtime), bus=bus
        ),
        "lineage": create_lineage(
            chosen.get("lineage") or LineageSettings(runtime=runtime), bus=bus
        ),
        "health": create_health(chosen.get("health") or HealthSettings(runtime=runtime), bus=bus),
    }
    providers.update({name: app.state.kit.tracer_provider for name, app in apps.items()})

    @asynccontextmanager
    async def services() -> AsyncIterator[None]:
        async with run_lifespans(list(apps.values())):
            await bus.start()
            try:
                yield
            finally:
                await bus.drain(timeout=10)
                await bus.stop()

    provider = create_tracer_provider(
        "gateway", runtime.telemetry_exporter, otlp_endpoint=runtime.otlp_endpoint
    )
    gateway = create_gateway(
        GatewaySettings(runtime=runtime),
        clients=ServiceClients.in_process(apps, provider),
        tracer_provider=provider,
        around=services,
    )
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
    )


if __name__ == "__main__":
    main()
