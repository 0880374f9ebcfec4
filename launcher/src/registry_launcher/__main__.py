"""Run the whole registry in one process: `python -m registry_launcher` (`make run`)."""

import os

import uvicorn

from registry_common.settings import RuntimeSettings
from registry_common.telemetry import configure_logging, get_logger
from registry_launcher.app import create_embedded_app


def main() -> None:
    runtime = RuntimeSettings()
    configure_logging(runtime.log_level, log_dir=runtime.log_dir)
    port = int(os.environ.get("PORT", "8000"))
    host = os.environ.get("HOST", "127.0.0.1")
    # Load tests started from the dashboard download from this very server.
    own_host = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host  # noqa: S104
    if ":" in own_host:
        own_host = f"[{own_host}]"  # an IPv6 address in a URL
    get_logger("gateway").info(
        "registry.starting",
        mode="embedded",
        url=f"http://127.0.0.1:{port}",
        data_dir=str(runtime.data_dir.resolve()),
    )
    uvicorn.run(
        create_embedded_app(runtime, gateway_url=f"http://{own_host}:{port}"),
        host=host,
        port=port,
        access_log=False,
        log_config=None,
        server_header=False,
        proxy_headers=False,  # the gateway reads X-Forwarded-For from trusted proxies only
    )


if __name__ == "__main__":
    main()
