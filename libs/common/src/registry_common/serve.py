"""Run one app under uvicorn: the entry point of every service's container."""

from __future__ import annotations

import os
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from registry_common.settings import RuntimeSettings
from registry_common.telemetry import configure_logging, get_logger


def serve(factory: Callable[[], FastAPI], service: str, *, default_port: int = 8000) -> None:
    """Configure logs, build the app and serve it on HOST:PORT (uvicorn's own logs off:
    our middleware writes one JSON line per request instead)."""
    runtime = RuntimeSettings()
    configure_logging(runtime.log_level, log_dir=runtime.log_dir)
    app = factory()
    port = int(os.environ.get("PORT", str(default_port)))
    get_logger(service).info("service.serving", service_name=service, port=port)
    uvicorn.run(
        app,
        host=os.environ.get("HOST", "127.0.0.1"),
        port=port,
        access_log=False,
        log_config=None,
        lifespan="on",
        server_header=False,
    )
