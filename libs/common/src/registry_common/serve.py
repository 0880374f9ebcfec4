"""Run one app under uvicorn: the entry point of every service's container."""

from __future__ import annotations

import os
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from registry_common.internal_token import require_internal_token
from registry_common.log_export import LogShipper
from registry_common.settings import RuntimeSettings
from registry_common.telemetry import (
    add_log_sink,
    configure_logging,
    get_logger,
    otlp_headers,
    remove_log_sink,
)


def serve(
    factory: Callable[[], FastAPI],
    service: str,
    *,
    default_port: int = 8000,
    ship_logs: bool = True,
) -> None:
    """Configure logs, build the app and serve it on HOST:PORT (uvicorn's own logs off:
    our middleware writes one JSON line per request instead).

    With `REGISTRY_LOG_EXPORTER=otlp` the log records are also shipped to the OTLP endpoint
    (`ship_logs=False`: the health service, which is that endpoint and keeps its own).

    A service on its own answers the network, so it refuses to start without the internal
    token (a clear message and exit status 1) rather than serve `/internal/` routes to nobody
    or, worse, to anybody."""
    runtime = RuntimeSettings()
    require_internal_token(runtime.internal_token, service)
    configure_logging(runtime.log_level, log_dir=runtime.log_dir)
    shipper: LogShipper | None = None
    if ship_logs and runtime.log_exporter == "otlp" and runtime.otlp_endpoint:
        shipper = LogShipper(runtime.otlp_endpoint, service=service, headers=otlp_headers(runtime))
        add_log_sink(shipper.sink)
        shipper.start()
    app = factory()
    port = int(os.environ.get("PORT", str(default_port)))
    get_logger(service).info("service.serving", service_name=service, port=port)
    try:
        uvicorn.run(
            app,
            host=os.environ.get("HOST", "127.0.0.1"),
            port=port,
            access_log=False,
            log_config=None,
            lifespan="on",
            server_header=False,
            # The gateway reads X-Forwarded-For itself, from configured proxies only
            # (GATEWAY_TRUSTED_PROXIES); uvicorn's own rewrite would trust loopback blindly.
            proxy_headers=False,
        )
    finally:
        if shipper is not None:
            remove_log_sink(shipper.sink)
            shipper.stop()
