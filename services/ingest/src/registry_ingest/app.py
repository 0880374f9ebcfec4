"""Composition root of the ingest service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from registry_common.blobs import BlobStore
from registry_common.blobs.factory import create_blob_store
from registry_common.http import build_service_app
from registry_common.service import ServiceKit
from registry_ingest.api import build_router
from registry_ingest.config import IngestSettings
from registry_ingest.service import IngestService


def create_app(
    settings: IngestSettings, *, blobs: BlobStore | None = None, **overrides: Any
) -> FastAPI:
    kit = ServiceKit.build("ingest", settings.runtime, **overrides)
    store = blobs or create_blob_store(settings.runtime)
    kit.checks["blob store"] = store.check
    service = IngestService(store, kit.bus, kit.log)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with kit.running():
            await store.start()
            try:
                yield
            finally:
                await store.close()

    app = build_service_app(
        "ingest",
        tracer_provider=kit.tracer_provider,
        internal_token=settings.runtime.internal_token,
        title="registry ingest service",
        lifespan=lifespan,
    )
    app.include_router(build_router(service))
    app.include_router(kit.health_router())
    app.state.kit = kit
    app.state.service = service
    return app
