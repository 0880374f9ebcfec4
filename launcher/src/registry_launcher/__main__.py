"""Run the whole registry in one process: `python -m registry_launcher` (`make run`).

`REGISTRY_SERVE_SERVER` picks the ASGI server (uvicorn or granian) as for every service;
embedded mode is one process (its bus is in-process and its SQLite files have one writer),
so `REGISTRY_SERVE_WORKERS` above 1 is refused here."""

import os

from registry_common.serve import ServeSettings, run_server
from registry_common.settings import RuntimeSettings
from registry_common.telemetry import configure_logging, get_logger
from registry_launcher.app import EmbeddedRegistry, create_embedded_app


def _listen() -> tuple[str, int]:
    return os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8000"))


def _own_url(host: str, port: int) -> str:
    """This server's own address: load tests started from the dashboard download from it."""
    own_host = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host  # noqa: S104
    if ":" in own_host:
        own_host = f"[{own_host}]"  # an IPv6 address in a URL
    return f"http://{own_host}:{port}"


def embedded_app() -> EmbeddedRegistry:
    """The whole registry as one app (built in the server's process)."""
    runtime = RuntimeSettings()
    configure_logging(runtime.log_level, log_dir=runtime.log_dir)
    return create_embedded_app(runtime, gateway_url=_own_url(*_listen()))


def main() -> None:
    runtime = RuntimeSettings()
    options = ServeSettings()
    configure_logging(runtime.log_level, log_dir=runtime.log_dir)
    if options.workers != 1:
        raise SystemExit(
            "Embedded mode runs in one process (an in-process event bus, SQLite files with "
            "one writer): unset REGISTRY_SERVE_WORKERS, or run the services on their own "
            "(distributed mode) to give each several workers."
        )
    host, port = _listen()
    get_logger("gateway").info(
        "registry.starting",
        mode="embedded",
        url=f"http://127.0.0.1:{port}",
        data_dir=str(runtime.data_dir.resolve()),
        server=options.server,
    )
    run_server(
        "registry_launcher.__main__:embedded_app",
        host=host,
        port=port,
        options=options,
    )


if __name__ == "__main__":
    main()
