"""Composition root of the ingest service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from registry_common.blobs import BlobStore, create_blob_store
from registry_common.blobs.sweeper import OrphanSweeper
from registry_common.http import build_service_app
from registry_common.limits import BodyLimits
from registry_common.sandbox import (
    SandboxRunner,
)
from registry_common.service import ServiceKit
from registry_ingest.api import build_confusion_router, build_router
from registry_ingest.audit import AuditTrail
from registry_ingest.browse import Browser
from registry_ingest.bundle_index import BundleIndexes
from registry_ingest.catalog import Catalog, CatalogStore
from registry_ingest.config import IngestSettings
from registry_ingest.confusion.audit import ConfusionAudit
from registry_ingest.confusion.scoring import AuditSettings
from registry_ingest.dynamo_catalog import DynamoCatalog
from registry_ingest.group_api import build_group_router
from registry_ingest.group_store import GroupStore
from registry_ingest.groups import GroupService
from registry_ingest.handlers import build_handlers
from registry_ingest.hub import HubRepos
from registry_ingest.hub_api import build_hub_router
from registry_ingest.monitor_api import build_monitor_router
from registry_ingest.monitor_store import MonitorStore
from registry_ingest.monitors import SensitiveModels
from registry_ingest.popularity import Popularity
from registry_ingest.reads import CatalogReader
from registry_ingest.review_api import build_review_router
from registry_ingest.reviews import Reviews, ReviewStore
from registry_ingest.service import IngestService
from registry_ingest.sources.fetcher import SourceFetcher
from registry_ingest.storage import referenced_keys
from registry_ingest.uow import unit_of_work_factory

MIGRATIONS = Path(__file__).parent / "migrations"


def build_sandbox(settings: IngestSettings) -> SandboxRunner:
    """The wall download monitors run behind: the runner service when configured (AWS), else
    a local sandbox that hides the data directory and configuration."""
    return settings.sandbox_runner(settings.runtime.data_dir)


def create_app(
    settings: IngestSettings,
    *,
    blobs: BlobStore | None = None,
    fetcher: SourceFetcher | None = None,
    sandbox: SandboxRunner | None = None,
    **overrides: Any,
) -> FastAPI:
    runtime = settings.runtime
    kit = ServiceKit.build("ingest", runtime, **overrides)
    store = blobs or create_blob_store(runtime, tracer_provider=kit.tracer_provider)
    kit.checks["blob store"] = store.check
    catalog = build_catalog(settings, kit)
    if isinstance(catalog, DynamoCatalog):
        kit.checks["metadata store"] = catalog.check
    source_fetcher = fetcher or SourceFetcher(
        hf_endpoint=runtime.hf_endpoint,
        github_api_url=runtime.github_api_url,
        hf_token=None,
        github_token=runtime.github_token,
        max_fetch_bytes=settings.max_fetch_bytes,
        timeout=settings.fetch_timeout_seconds,
        deadline=settings.fetch_deadline_seconds,
        outbound=runtime.outbound_policy(),
    )
    audit = AuditTrail(kit.db)
    popularity = Popularity(
        kit.db,
        kit.log,
        settings.popularity_flush_seconds,
        # On DynamoDB the artifacts are not in the SQL database the counters are in.
        catalog=catalog if isinstance(catalog, DynamoCatalog) else None,
    )
    monitors = MonitorStore(kit.db)
    review_store = ReviewStore(kit.db)
    indexes = BundleIndexes(kit.db, store)
    group_store = GroupStore(kit.db)
    uow = unit_of_work_factory(
        kit.db, kit.outbox, catalog if isinstance(catalog, DynamoCatalog) else None
    )
    service = IngestService(
        settings,
        catalog,
        store,
        uow,
        source_fetcher,
        kit.log,
        popularity,
        indexes=indexes,
        groups=group_store,
    )
    sweeper = OrphanSweeper(
        store,
        "artifacts/",
        lambda keys: referenced_keys(catalog, keys),
        kit.log,
        grace_seconds=settings.orphan_grace_seconds,
        interval_seconds=settings.orphan_sweep_interval_seconds,
    )
    groups = GroupService(
        store=group_store,
        stager=service,
        blobs=store,
        uow=uow,
        log=kit.log,
        ttl_seconds=settings.group_ttl_seconds,
        max_commands=settings.group_max_commands,
        rating_wait_seconds=settings.rating_wait_seconds,
        workdir=runtime.data_dir / "work",
    )
    sensitive = SensitiveModels(
        settings,
        monitors,
        audit,
        store,
        sandbox or build_sandbox(settings),
        kit.log,
        # The row's copy of the flag lives in the SQL catalog only.
        row_flag=not isinstance(catalog, DynamoCatalog),
    )
    reader = CatalogReader(settings, catalog, store, kit.bus, audit, popularity, sensitive)
    hub = HubRepos(settings, catalog, store, indexes, reader)
    confusion = ConfusionAudit(popularity, audit_settings(settings), kit.log)
    for event_cls, handler in build_handlers(service).items():
        kit.subscribe(event_cls, handler)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with kit.running(MIGRATIONS):
            await store.start()
            try:
                if isinstance(catalog, DynamoCatalog):
                    await catalog.start()
                async with popularity.flushing(), sweeper.running():
                    yield
            finally:
                if isinstance(catalog, DynamoCatalog):
                    await catalog.close()
                await store.close()

    app = build_service_app(
        "ingest",
        tracer_provider=kit.tracer_provider,
        trace_asgi_messages=settings.runtime.trace_asgi_messages,
        internal_token=runtime.internal_token,
        title="registry ingest service",
        lifespan=lifespan,
        # The zip plus the form's few fields; the zip itself is held to max_upload_bytes.
        body_limits=BodyLimits.internal(
            runtime.max_body_bytes,
            [
                (pattern, settings.max_upload_bytes + 1024**2)
                for pattern in (
                    r"/internal/artifacts/[^/]+/upload",
                    r"/internal/groups/[^/]+/commands/upload",
                )
            ],
        ),
    )
    app.include_router(build_router(service, reader))
    app.include_router(build_monitor_router(reader, sensitive))
    app.include_router(build_group_router(groups, reader))
    app.include_router(
        build_review_router(
            reader, Reviews(review_store, kit.log), Browser(catalog, popularity, review_store)
        )
    )
    app.include_router(build_confusion_router(confusion))
    app.include_router(build_hub_router(hub))
    app.include_router(kit.health_router())
    app.state.kit = kit
    app.state.service = service
    app.state.sweeper = sweeper
    return app


def build_catalog(settings: IngestSettings, kit: ServiceKit) -> CatalogStore:
    """The catalog `INGEST_METADATA_STORE` chooses: the SQL database, or DynamoDB."""
    if settings.metadata_store == "dynamodb":
        return DynamoCatalog(
            settings.runtime,
            settings.dynamodb_table,
            kit.db,
            provision=settings.dynamodb_provision,
            tracer_provider=kit.tracer_provider,
        )
    return Catalog(kit.db)


def audit_settings(settings: IngestSettings) -> AuditSettings:
    return AuditSettings(
        top_k=settings.confusion_top_k,
        min_score=settings.confusion_min_score,
        min_target_popularity=settings.confusion_min_target_popularity,
        min_downloads=settings.confusion_min_downloads,
        new_account=timedelta(hours=settings.confusion_new_account_hours),
        traffic_rows=settings.confusion_traffic_rows,
        max_age=settings.confusion_max_age_seconds,
    )
