"""Run one app under the configured ASGI server: the entry point of every service's container.

`REGISTRY_SERVE_SERVER` picks the server and `REGISTRY_SERVE_WORKERS` how many processes
serve one port (docs/performance.md, "Configuration matrix (R22)", measures both):

- `uvicorn` (the default): pure-Python HTTP parsing on uvloop; no `sendfile`, so a file
  response is read and written through Python in 64 KiB chunks.
- `granian`: a Rust HTTP server (hyper + tokio) that implements the ASGI `pathsend`
  extension, so Starlette's `FileResponse` hands the file to the server, which sends it
  without passing the bytes through Python.

Each worker is its own process, so the app is built in each one from an importable factory
(`module:function`, the service's `__main__.app`): `worker_app` below configures logging and
builds it there. Both servers keep their own access logs off (our middleware writes one JSON
line per request) and leave X-Forwarded-For alone (the gateway reads it from configured
proxies only, GATEWAY_TRUSTED_PROXIES).
"""

from __future__ import annotations

import atexit
import importlib
import os
from collections.abc import Callable
from typing import Any, Literal

from fastapi import FastAPI
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

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

AsgiServer = Literal["uvicorn", "granian"]

# What `worker_app` builds in each worker process (set by `serve`, inherited by workers).
_TARGET = "REGISTRY_SERVE_APP"
_SERVICE = "REGISTRY_SERVE_SERVICE"
_SHIP_LOGS = "REGISTRY_SERVE_SHIP_LOGS"


class ServeSettings(BaseSettings):
    """How a service's process serves HTTP (prefix REGISTRY_SERVE_)."""

    model_config = SettingsConfigDict(env_prefix="REGISTRY_SERVE_", extra="ignore", frozen=True)

    server: AsgiServer = Field(
        default="uvicorn",
        description=(
            "ASGI server: uvicorn, or granian (Rust; sends FileResponse bodies with the ASGI "
            "pathsend extension, without copying them through Python)."
        ),
    )
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description=(
            "Processes serving the port (each builds its own app: own connection pools, own "
            "caches). About one per core; embedded mode (`make run`) is one process only."
        ),
    )


def serve(
    factory: Callable[[], FastAPI],
    service: str,
    *,
    default_port: int = 8000,
    ship_logs: bool = True,
) -> None:
    """Serve the app `factory` builds on HOST:PORT with the configured server and workers.

    `factory` must be a module-level function (each worker process imports it by name).
    With `REGISTRY_LOG_EXPORTER=otlp` the log records are also shipped to the OTLP endpoint
    (`ship_logs=False`: the health service, which is that endpoint and keeps its own).

    A service on its own answers the network, so it refuses to start without the internal
    token (a clear message and exit status 1) rather than serve `/internal/` routes to nobody
    or, worse, to anybody."""
    runtime = RuntimeSettings()
    require_internal_token(runtime.internal_token, service)
    options = ServeSettings()
    os.environ[_TARGET] = import_path(factory)
    os.environ[_SERVICE] = service
    os.environ[_SHIP_LOGS] = "1" if ship_logs else "0"
    configure_logging(runtime.log_level, log_dir=runtime.log_dir)
    port = int(os.environ.get("PORT", str(default_port)))
    get_logger(service).info(
        "service.serving",
        service_name=service,
        port=port,
        server=options.server,
        workers=options.workers,
    )
    run_server(
        f"{__name__}:worker_app",
        host=os.environ.get("HOST", "127.0.0.1"),
        port=port,
        options=options,
    )


def run_server(target: str, *, host: str, port: int, options: ServeSettings) -> None:
    """Serve the app the factory `target` (`module:function`) builds, until stopped."""
    if options.server == "granian":
        from granian import Granian
        from granian.constants import Interfaces
        from granian.log import LogLevels

        Granian(
            target,
            address=host,
            port=port,
            interface=Interfaces.ASGI,
            workers=options.workers,
            factory=True,
            log_access=False,
            # Its own start/stop lines only; requests are logged by our middleware.
            log_level=LogLevels.warning,
        ).serve()
        return
    import uvicorn

    uvicorn.run(
        target,
        factory=True,
        host=host,
        port=port,
        workers=options.workers,
        access_log=False,
        log_config=None,
        lifespan="on",
        server_header=False,
        proxy_headers=False,
    )


def worker_app() -> Any:
    """The app of one worker process: logging set up as the service's, then its factory."""
    runtime = RuntimeSettings()
    service = os.environ[_SERVICE]
    configure_logging(runtime.log_level, log_dir=runtime.log_dir)
    ship = os.environ.get(_SHIP_LOGS) == "1" and runtime.log_exporter == "otlp"
    if ship and runtime.otlp_endpoint:
        shipper = LogShipper(runtime.otlp_endpoint, service=service, headers=otlp_headers(runtime))
        add_log_sink(shipper.sink)
        shipper.start()

        def stop() -> None:
            remove_log_sink(shipper.sink)
            shipper.stop()

        atexit.register(stop)  # the last records go out when the worker exits
    module, _, name = os.environ[_TARGET].partition(":")
    factory: Callable[[], Any] = getattr(importlib.import_module(module), name)
    return factory()


def import_path(factory: Callable[..., object]) -> str:
    """`module:function` of a module-level function; ValueError for anything else (a
    lambda or a nested function cannot be imported by a worker process)."""
    module, name = factory.__module__, factory.__qualname__
    if module == "__main__":
        # `python -m registry_x` runs registry_x/__main__.py as __main__; workers import it.
        spec = getattr(importlib.import_module("__main__"), "__spec__", None)
        module = spec.name if spec is not None else module
    if not name.isidentifier() or module == "__main__":
        raise ValueError(
            f"serve() needs a module-level factory function, not {name!r}: each worker "
            "process imports it by name."
        )
    return f"{module}:{name}"
