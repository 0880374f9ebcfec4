"""Composition root of the scoring service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from registry_common.blobs import BlobStore, create_blob_store
from registry_common.http import build_service_app
from registry_common.limits import BodyLimits
from registry_common.sandbox import (
    SandboxRunner,
)
from registry_common.service import ServiceKit
from registry_scoring.api import build_router
from registry_scoring.config import ScoringSettings
from registry_scoring.handlers import build_handlers
from registry_scoring.metrics.context import MetricContext
from registry_scoring.service import ScoringService
from registry_scoring.store import RatingStore
from registry_scoring.uow import unit_of_work_factory

MIGRATIONS = Path(__file__).parent / "migrations"


def build_sandbox(settings: ScoringSettings) -> SandboxRunner:
    """The wall card demos run behind: the runner service when one is configured (AWS), else
    a local sandbox that hides the data directory and configuration (the level is probed on
    the first run, not here)."""
    return settings.sandbox_runner(settings.runtime.data_dir)


def create_app(
    settings: ScoringSettings, *, blobs: BlobStore | None = None, **overrides: Any
) -> FastAPI:
    runtime = settings.runtime
    kit = ServiceKit.build("scoring", runtime, **overrides)
    store = RatingStore(kit.db, kit.ledger)
    the_blobs = blobs or create_blob_store(runtime, tracer_provider=kit.tracer_provider)

    async def parents_net_scores(references: Sequence[str]) -> Mapping[str, float]:
        return await store.net_scores_of(references)

    context = MetricContext.create(
        github_api_url=runtime.github_api_url,
        github_token=runtime.github_token,
        hf_endpoint=runtime.hf_endpoint,
        parents_net_scores=parents_net_scores,
        metric_timeout=settings.metric_timeout_seconds,
        reviewedness_max_commits=settings.reviewedness_max_commits,
        outbound=runtime.outbound_policy(),
    )
    service = ScoringService(
        settings,
        store,
        the_blobs,
        unit_of_work_factory(kit.db, kit.outbox, kit.ledger),
        context,
        kit.log,
        sandbox=build_sandbox(settings),
    )
    for event_cls, handler in build_handlers(service, kit.log).items():
        kit.subscribe(event_cls, handler)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with kit.running(MIGRATIONS):
            await the_blobs.start()
            try:
                yield
            finally:
                await context.aclose()
                await the_blobs.close()

    app = build_service_app(
        "scoring",
        tracer_provider=kit.tracer_provider,
        trace_asgi_messages=settings.runtime.trace_asgi_messages,
        internal_token=runtime.internal_token,
        title="registry scoring service",
        lifespan=lifespan,
        body_limits=BodyLimits.internal(runtime.max_body_bytes),
    )
    app.include_router(build_router(service))
    app.include_router(kit.health_router())
    app.state.kit = kit
    app.state.service = service
    return app
