"""The gateway's clients of the internal services, over HTTP or in-process ASGI."""

from __future__ import annotations

from dataclasses import dataclass, fields

import httpx
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider

from registry_common.http import ServiceClient
from registry_gateway.config import GatewaySettings


@dataclass
class ServiceClients:
    auth: ServiceClient
    ingest: ServiceClient
    scoring: ServiceClient
    lineage: ServiceClient
    health: ServiceClient

    @classmethod
    def remote(cls, settings: GatewaySettings, provider: TracerProvider) -> ServiceClients:
        """Distributed mode: each service at its URL, with the shared internal token."""
        token = settings.runtime.internal_token
        return cls(
            **{
                f.name: ServiceClient(
                    f.name,
                    getattr(settings, f"{f.name}_url"),
                    tracer_provider=provider,
                    internal_token=token,
                )
                for f in fields(cls)
            }
        )

    @classmethod
    def in_process(
        cls, apps: dict[str, FastAPI], provider: TracerProvider, internal_token: str | None
    ) -> ServiceClients:
        """Embedded mode: calls go straight into each service's ASGI app (with the process's
        internal token: the services check it exactly as over a network)."""
        return cls(
            **{
                f.name: ServiceClient(
                    f.name,
                    f"http://{f.name}.internal",
                    # A service's unexpected error reaches the gateway as the 500 response
                    # the service rendered, exactly as over a network.
                    transport=httpx.ASGITransport(app=apps[f.name], raise_app_exceptions=False),
                    tracer_provider=provider,
                    internal_token=internal_token,
                )
                for f in fields(cls)
            }
        )

    async def aclose(self) -> None:
        for f in fields(self):
            await getattr(self, f.name).aclose()
