"""Run several ASGI apps' lifespans together (embedded mode mounts services in-process,
where no server runs their startup and shutdown for them)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI


@asynccontextmanager
async def run_lifespans(apps: Sequence[FastAPI]) -> AsyncIterator[None]:
    """Start apps in order and stop them in reverse, even when one fails to start."""
    async with AsyncExitStack() as stack:
        for app in apps:
            await stack.enter_async_context(app.router.lifespan_context(app))
        yield
