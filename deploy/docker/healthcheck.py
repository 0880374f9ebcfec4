"""Container health check of every service image (Docker HEALTHCHECK and ECS).

A liveness probe: is the process answering HTTP on its port? `HEALTHCHECK_PATH` is
`/health` on the gateway and `/internal/health` elsewhere (answered 200 with a status body
even while a database or queue is down: restarting a service does not fix its dependency,
and the health feed reports the dependency). Standard library only; exits 0 or 1.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    port = os.environ.get("PORT", "8000")
    path = os.environ.get("HEALTHCHECK_PATH", "/internal/health")
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    token = os.environ.get("REGISTRY_INTERNAL_TOKEN")
    if token:
        request.add_header("X-Internal-Token", token)
    try:
        with urllib.request.urlopen(request, timeout=8) as response:  # noqa: S310 - loopback
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)  # noqa: T201 - docker shows the output
        return 1
    if status >= 500:
        print(f"unhealthy: HTTP {status}", file=sys.stderr)  # noqa: T201
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
