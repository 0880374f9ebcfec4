"""Composition root of the lineage service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from registry_common.http import build_service_app
from registry_common.limits import BodyLimits
from registry_common.service import ServiceKit
from registry_lineage.api import build_router
from registry_lineage.config import LineageSettings
from registry_lineage.handlers import build_handlers
from registry_lineage.service import LineageService
from registry_lineage.store import LineageStore

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: LineageSettings, **overrides: Any) -> FastAPI:
    kit = ServiceKit.build("lineage", settings.runtime, **overrides)
    service = LineageService(
        LineageStore(kit.db, kit.ledger),
        kit.log,
        github_api_url=settings.runtime.github_api_url,
        github_token=settings.runtime.github_token,
        outbound=settings.runtime.outbound_policy(),
    )
    for event_cls, handler in build_handlers(service, kit.log).items():
        kit.subscribe(event_cls, handler)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with kit.running(MIGRATIONS):
            yield

    app = build_service_app(
        "lineage",
        tracer_provider=kit.tracer_provider,
        trace_asgi_messages=settings.runtime.trace_asgi_messages,
        internal_token=settings.runtime.internal_token,
        title="registry lineage service",
        lifespan=lifespan,
        body_limits=BodyLimits.internal(settings.runtime.max_body_bytes),
    )
    app.include_router(build_router(service))
    app.include_router(kit.health_router())
    app.state.kit = kit
    app.state.service = service
    return app
