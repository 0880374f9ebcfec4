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
from registry_auth.service import DEFAULT_ADMIN, DEFAULT_ADMIN_PASSWORD, AuthService, Clock, utc_now
from registry_auth.throttle import LoginThrottle
from registry_auth.tokens import load_or_create_secret
from registry_auth.users import check_password
from registry_common.errors import RegistryError
from registry_common.http import build_service_app
from registry_common.limits import BodyLimits
from registry_common.service import ServiceKit

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: AuthSettings, *, clock: Clock = utc_now, **overrides: Any) -> FastAPI:
    kit = ServiceKit.build("auth", settings.runtime, **overrides)
    secret = load_or_create_secret(settings.token_secret, settings.runtime.data_dir)
    throttle = LoginThrottle(
        free_failures=settings.login_free_failures,
        client_free_failures=settings.login_client_free_failures,
        account_free_failures=settings.login_account_free_failures,
        max_delay=settings.login_max_delay_seconds,
        account_max_delay=settings.login_account_max_delay_seconds,
    )
    service = AuthService(
        kit.db,
        secret=secret,
        max_calls=settings.token_max_calls,
        ttl=timedelta(seconds=settings.token_ttl_seconds),
        clock=clock,
        throttle=throttle,
        initial_admin_password=_initial_admin_password(settings),
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
        trace_asgi_messages=settings.runtime.trace_asgi_messages,
        internal_token=settings.runtime.internal_token,
        title="registry auth service",
        lifespan=lifespan,
        body_limits=BodyLimits.internal(settings.runtime.max_body_bytes),
    )
    app.include_router(build_router(service))
    app.include_router(kit.health_router())
    app.state.kit = kit
    app.state.service = service
    return app


def _initial_admin_password(settings: AuthSettings) -> str:
    """The configured initial password, held to the same rules as any user's (a weak one
    stops the start with the reason), or the contract's well-known one."""
    configured = settings.initial_admin_password_value()
    if configured is None:
        return DEFAULT_ADMIN_PASSWORD
    try:
        return check_password(configured, DEFAULT_ADMIN)
    except RegistryError as exc:
        raise ValueError(f"AUTH_INITIAL_ADMIN_PASSWORD is not acceptable: {exc.message}") from exc
