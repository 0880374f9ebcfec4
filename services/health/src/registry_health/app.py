"""Composition root of the health service."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from registry_common.http import ServiceClient, build_service_app
from registry_common.limits import BodyLimits
from registry_common.outbound.transport import reset_safe_transport
from registry_common.service import ServiceKit
from registry_common.settings import RuntimeSettings
from registry_common.telemetry import SPAN_HUB, SpanHub, add_log_sink, remove_log_sink
from registry_health.api import build_receiver_router, build_router
from registry_health.checks import (
    ExternalProbe,
    Peer,
    PeerMonitor,
    interpret_github,
    interpret_hub,
)
from registry_health.cloudwatch import CloudWatchPublisher, CloudWatchSink, MetricSink
from registry_health.components import ComponentsBuilder, Thresholds
from registry_health.config import HealthSettings
from registry_health.dead_letters import DeadLetterDesk
from registry_health.feed import HealthFeed
from registry_health.handlers import build_handlers
from registry_health.loadtest.api import build_loadtest_router
from registry_health.loadtest.service import LoadTestService
from registry_health.otlp import MAX_BODY_BYTES, TelemetryReceiver
from registry_health.telemetry_store import (
    Clock,
    LogStore,
    RequestStore,
    RequestStoreExporter,
    SpanHubFollower,
)

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(
    settings: HealthSettings,
    *,
    peers: dict[str, Peer] | None = None,
    http_client: httpx.AsyncClient | None = None,
    clock: Clock | None = None,
    span_hub: SpanHub | None = None,
    metric_sink: MetricSink | None = None,
    loadtest_transport: httpx.AsyncBaseTransport | None = None,
    **overrides: Any,
) -> FastAPI:
    """`peers`: the services to check, by name: a client of each one's `/internal/health`, or
    an async function returning the same body (None: one client per `HEALTH_*_URL`). The
    dict is kept, not copied: entries added later (the gateway, built after this app) are
    checked too. Clients passed in are the caller's to close. `http_client`: for the Hugging
    Face and GitHub checks. `clock`, `span_hub`: for tests. `metric_sink`: where the
    CloudWatch publisher (`HEALTH_CLOUDWATCH_METRICS`) puts its data (default: CloudWatch).
    `loadtest_transport`: how load tests reach their target (default: the network).
    `overrides` go to `ServiceKit.build` (`bus=`, `tracer_provider=`)."""
    runtime = settings.runtime
    kit = ServiceKit.build("health", runtime, **overrides)
    for event_cls, handler in build_handlers(kit.log).items():
        kit.bus.subscribe("health", event_cls, handler)
    now = clock or time.time
    retention = settings.retention_hours * 3600

    store = RequestStore(capacity=settings.max_request_records, retention=retention, clock=now)
    logs = LogStore(capacity=settings.max_log_records, retention=retention, clock=now)
    follower: SpanHubFollower | None = None
    if runtime.telemetry_exporter == "inprocess":
        hub = span_hub or SPAN_HUB
        follower = SpanHubFollower(hub, store)  # every provider of the process writes there
    else:
        # Distributed: the other services' spans arrive at the OTLP receiver; this service's
        # own go straight to the same hub and store (besides any exporter it has).
        hub = span_hub or SpanHub()
        kit.tracer_provider.add_span_processor(
            SimpleSpanProcessor(RequestStoreExporter(store, hub=hub))
        )

    owned: list[ServiceClient] = []
    if peers is None:
        peers = {
            name: ServiceClient(
                name,
                url,
                tracer_provider=kit.tracer_provider,
                internal_token=runtime.internal_token,
                timeout=settings.peer_timeout_seconds,
            )
            for name, url in settings.peer_urls().items()
        }
        owned = [client for client in peers.values() if isinstance(client, ServiceClient)]
    monitor = PeerMonitor(
        peers,
        self_check=kit.health,
        timeout=settings.peer_timeout_seconds,
        ttl=settings.peer_cache_seconds,
        clock=now,
    )

    external = http_client or httpx.AsyncClient(
        follow_redirects=False, transport=reset_safe_transport()
    )
    if http_client is None:
        HTTPXClientInstrumentor.instrument_client(external, tracer_provider=kit.tracer_provider)
    probes = _external_probes(settings, external, now) if settings.external_checks else {}

    # Embedded: every consumer is on the shared in-process bus already.
    watched = settings.bus_consumers if runtime.bus_backend == "sns-sqs" else ()
    desk = DeadLetterDesk(kit.bus, watched, clock=now, log=kit.log)
    feed = HealthFeed(
        store=store,
        logs_store=logs,
        peers=monitor,
        builder=ComponentsBuilder(
            Thresholds(
                error_rate=settings.error_rate_threshold,
                p95_ms=settings.p95_threshold_ms,
                queue_depth=settings.queue_depth_threshold,
                latency_exempt=settings.latency_exempt_routes,
            )
        ),
        probes=probes,
        public_url=settings.public_url,
        version=settings.version or _version(),
        started_at=now(),
        clock=now,
        bus=kit.bus,
        bus_timeout=settings.peer_timeout_seconds,
        bus_consumers=watched,
        follower=follower,
        hub=hub,
        descriptions=_descriptions(runtime),
    )
    # From now on: logs written before the app starts (other services starting) count too.
    add_log_sink(logs.sink)
    publisher: CloudWatchPublisher | None = None
    if settings.cloudwatch_metrics:
        publisher = CloudWatchPublisher(
            feed,
            metric_sink or CloudWatchSink(runtime),
            namespace=settings.cloudwatch_namespace,
            interval=settings.cloudwatch_interval_seconds,
            log=kit.log,
        )

    loadtests = LoadTestService(kit.db, settings, transport=loadtest_transport, log=kit.log)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        tasks: list[asyncio.Task[None]] = []
        try:
            async with kit.running(MIGRATIONS):
                await loadtests.recover()
                if follower is not None:
                    tasks.append(asyncio.create_task(feed.run_sync(settings.sync_interval_seconds)))
                if publisher is not None:
                    tasks.append(asyncio.create_task(publisher.run()))
                try:
                    yield
                finally:
                    await loadtests.close()  # before the database closes: the run is saved
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            for client in owned:
                await client.aclose()
            if http_client is None:
                await external.aclose()
            remove_log_sink(logs.sink)

    app = build_service_app(
        "health",
        tracer_provider=kit.tracer_provider,
        trace_asgi_messages=settings.runtime.trace_asgi_messages,
        internal_token=runtime.internal_token,
        title="registry health service",
        lifespan=lifespan,
        # OTLP export batches may be larger than a JSON request (they are capped again
        # after gunzip, see otlp.py).
        body_limits=BodyLimits.internal(
            runtime.max_body_bytes, [(r"/internal/otlp/v1/.*", MAX_BODY_BYTES)]
        ),
    )
    app.include_router(kit.health_router())
    app.include_router(build_router(feed, desk))
    app.include_router(build_receiver_router(TelemetryReceiver(hub, store, logs.sink)))
    app.include_router(build_loadtest_router(loadtests))
    app.state.kit = kit
    app.state.feed = feed
    app.state.dead_letters = desk
    app.state.cloudwatch = publisher
    app.state.loadtests = loadtests
    return app


def _external_probes(
    settings: HealthSettings, client: httpx.AsyncClient, clock: Clock
) -> dict[str, ExternalProbe]:
    runtime = settings.runtime
    github_headers = {"Accept": "application/vnd.github+json"}
    if runtime.github_token:
        github_headers["Authorization"] = f"Bearer {runtime.github_token}"
    common: dict[str, Any] = {
        "timeout": settings.external_timeout_seconds,
        "ttl": settings.external_cache_seconds,
        "clock": clock,
    }
    return {
        "huggingface-hub": ExternalProbe(
            "The Hugging Face Hub",
            f"{runtime.hf_endpoint}/api/models?limit=1",
            client,
            interpret=interpret_hub,
            **common,
        ),
        "github-api": ExternalProbe(
            "The GitHub API",
            f"{runtime.github_api_url}/rate_limit",
            client,
            interpret=interpret_github,
            headers=github_headers,
            **common,
        ),
    }


def _descriptions(runtime: RuntimeSettings) -> dict[str, str]:
    """Which deployment backs each component (never a credential)."""
    database = (
        "PostgreSQL, shared; each service owns its tables."
        if (runtime.database_url or "").startswith("postgresql")
        else "SQLite, one file per service."
        if not runtime.database_url
        else "A shared SQL database."
    )
    blobs = (
        f"S3 bucket {runtime.s3_bucket}."
        if runtime.blob_backend == "s3"
        else "A directory under the data directory."
    )
    bus = "SNS topics and SQS queues." if runtime.bus_backend == "sns-sqs" else "In-process queues."
    return {
        "database": database,
        "blob-store": blobs,
        "event-bus": bus,
        "huggingface-hub": f"Checked with GET {runtime.hf_endpoint}/api/models?limit=1.",
        "github-api": f"Checked with GET {runtime.github_api_url}/rate_limit.",
    }


def _version() -> str:
    try:
        return package_version("registry-health")
    except PackageNotFoundError:
        return "unknown"
