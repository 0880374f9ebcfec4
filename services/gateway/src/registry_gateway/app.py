"""Composition root of the gateway: the one public surface of the registry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider

from registry_common.blobs import BlobStore, create_blob_store
from registry_common.http import build_service_app
from registry_common.limits import BodyLimits
from registry_common.telemetry import service_tracer_provider
from registry_gateway.api import build_router
from registry_gateway.artifact_details import build_details_router
from registry_gateway.clients import ServiceClients
from registry_gateway.config import GatewaySettings
from registry_gateway.groups import build_groups_router
from registry_gateway.hub_api import build_hub_router
from registry_gateway.load_tests import build_load_test_router
from registry_gateway.openapi_doc import install_docs_page, install_openapi
from registry_gateway.package_confusion import build_confusion_router
from registry_gateway.rate_limits import RateLimits
from registry_gateway.reviews import build_reviews_router
from registry_gateway.schemas import SPEC_SCHEMA_TYPES
from registry_gateway.security import AUTH_HEADER
from registry_gateway.sensitive_models import build_sensitive_router
from registry_gateway.service import GatewayService
from registry_gateway.webui import locate_ui_dir, mount_web_ui

SPEC_VERSION = "3.4.7"
# The one route whose body may be large: a zip upload (multipart).
UPLOAD_PATH_PATTERN = r"/artifact/[^/]+/upload"
GROUP_UPLOAD_PATH_PATTERN = r"/groups/[^/]+/commands/upload"


def create_app(
    settings: GatewaySettings,
    *,
    clients: ServiceClients | None = None,
    tracer_provider: TracerProvider | None = None,
    blobs: BlobStore | None = None,
) -> FastAPI:
    """`clients` default to the services' URLs (distributed mode); the launcher
    (`registry_launcher`) passes in-process ones and runs the services around this app."""
    runtime = settings.runtime
    provider = tracer_provider or service_tracer_provider("gateway", runtime)
    the_clients = clients or ServiceClients.remote(settings, provider)
    # Downloads stream straight from the blob store (read only), never through ingest.
    store = blobs or create_blob_store(runtime, tracer_provider=provider)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await store.start()
        try:
            yield
        finally:
            await the_clients.aclose()
            await store.close()
            provider.force_flush()

    app = build_service_app(
        "gateway",
        tracer_provider=provider,
        trace_asgi_messages=settings.runtime.trace_asgi_messages,
        # The gateway serves no internal route; with the token, the health service's probe
        # of `/internal/health` gets the 404 that says "alive" instead of a 403.
        internal_token=runtime.internal_token,
        title="Trustworthy Model Registry",
        version=SPEC_VERSION,
        description="The registry's public API (the customer's OpenAPI contract, plus extensions).",
        lifespan=lifespan,
        body_limits=BodyLimits.of(
            runtime.max_body_bytes,
            [
                (UPLOAD_PATH_PATTERN, settings.max_upload_bytes),
                (GROUP_UPLOAD_PATH_PATTERN, settings.max_upload_bytes),
            ],
        ),
    )
    app.state.settings = settings
    app.state.clients = the_clients
    app.state.blobs = store
    app.state.rate_limits = RateLimits(settings.rate_limits())
    service = GatewayService(the_clients)
    app.include_router(build_router(service))
    app.include_router(build_details_router(service))
    app.include_router(build_sensitive_router(the_clients))
    app.include_router(build_confusion_router(service))
    app.include_router(build_hub_router(the_clients))
    app.include_router(build_load_test_router(service))
    app.include_router(build_groups_router(the_clients))
    app.include_router(build_reviews_router(the_clients))

    # The served document is the contract: no 422s, every spec component, and
    # X-Authorization required (the route answers a missing one with 403 itself).
    install_openapi(app, extra_schemas=SPEC_SCHEMA_TYPES.values(), required_headers=[AUTH_HEADER])
    install_docs_page(app)
    # After the API: the UI's routes are outside the document and under their own prefix.
    mount_web_ui(app, locate_ui_dir(settings.ui_dir))
    return app
