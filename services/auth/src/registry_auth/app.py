"""Composition root of the auth service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from registry_auth.api import build_router
from registry_auth.config import AuthSettings
from registry_auth.handlers import build_handlers
from registry_auth.service import AuthService, Clock, utc_now
from registry_auth.tokens import load_or_create_secret
from registry_common.http import build_service_app
from registry_common.service import ServiceKit

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: AuthSettings, *, clock: Clock = utc_now, **overrides: Any) -> FastAPI:
    kit = ServiceKit.build("auth", settings.runtime, **overrides)
    secret = load_or_create_secret(settings.token_secret, settings.runtime.data_dir)
    service = AuthService(
        kit.db,
        secret=secret,
        max_calls=settings.token_max_calls,
        ttl=timedelta(seconds=settings.token_ttl_seconds),
        clock=clock,
    )
    for event_cls, handler in build_handlers(service, kit.log).items():
        kit.subscribe(event_cls, handler)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with kit.running(MIGRATIONS):
            await service.ensure_default_admin()
            yield

    app = build_service_app(
        "auth",
        tracer_provider=kit.tracer_provider,
        internal_token=settings.runtime.internal_token,
        title="registry auth service",
        lifespan=lifespan,
    )
    app.include_router(build_router(service))
    app.include_router(kit.health_router())
    app.state.kit = kit
    app.state.service = service
    return app
