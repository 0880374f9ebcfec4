"""Where a load test may send its downloads: the registry's own gateway, from settings only.

A request never names the target. The configured one must be a loopback address unless the
operator allowed a remote one (the AWS stack does, for its own load balancer): a health
service pointed elsewhere by mistake refuses rather than loading someone else's server.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from registry_common.errors import Conflict


def is_loopback_host(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_target(url: str, *, allow_remote: bool) -> str:
    """The base URL to download from, or a 409 that says which setting to fix."""
    if not url:
        raise Conflict(
            "Load tests are not configured: set HEALTH_LOADTEST_TARGET_URL (or "
            "HEALTH_GATEWAY_URL) to the registry's own gateway."
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Conflict(
            f"The load-test target {url!r} is not an http(s) URL; fix HEALTH_LOADTEST_TARGET_URL."
        )
    if not allow_remote and not is_loopback_host(parts.hostname):
        raise Conflict(
            f"Load tests only target a loopback gateway here, and {url!r} is not one: point "
            "HEALTH_LOADTEST_TARGET_URL at this registry's own gateway on loopback, or, in a "
            "deployment whose own load balancer it is, set "
            "HEALTH_LOADTEST_ALLOW_REMOTE_TARGET=true."
        )
    return url.rstrip("/")
