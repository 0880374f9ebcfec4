"""The address and origin policy of outbound requests, and the errors they raise."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

import httpx

from registry_common.errors import RegistryError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Origin = tuple[str, str, int]
"""``(scheme, host, port)``, lower case, the port always explicit."""

DEFAULT_PORTS: Final = {"http": 80, "https": 443}
# Cloud instance metadata: the EC2/GCP/Azure address, ECS task credentials, EC2 over IPv6.
_METADATA: Final = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254")
)
_CGNAT: Final = ipaddress.ip_network("100.64.0.0/10")
_UNIQUE_LOCAL: Final = ipaddress.ip_network("fc00::/7")
_NAT64: Final = ipaddress.ip_network("64:ff9b::/96")


class OutboundError(RegistryError):
    """A user-chosen URL was not fetched; the message says why in a sentence (400)."""

    status = 400
    code = "url_not_fetched"

    def __init__(self, message: str, *, reason: str, http_status: int | None = None) -> None:
        details: dict[str, Any] = {"reason": reason}
        if http_status is not None:
            details["http_status"] = http_status
        super().__init__(message, details=details)
        self.reason = reason
        self.http_status = http_status


class OutboundRefused(OutboundError):
    """The registry's policy forbids the connection (an internal address, a bad scheme)."""

    code = "url_refused"


def address_refusal(address: IPAddress) -> str | None:
    """Why the registry does not connect to ``address`` (a phrase), or None when it is public."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded, form = _embedded_ipv4(address)
        if embedded is not None:
            inner = address_refusal(embedded)
            if inner is not None:
                return f"{inner} in {form} form"
            if form == "IPv4-mapped":  # ::ffff:a.b.c.d is a.b.c.d on a dual-stack socket
                return None
    if address in _METADATA:
        return "the cloud metadata address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address in _CGNAT:
        return "a shared (CGNAT) address"
    if address in _UNIQUE_LOCAL:
        return "a unique-local address"
    if address.is_private:
        return "a private address"
    if address.is_reserved:
        return "a reserved address"
    if not address.is_global:
        return "a non-public address"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address | None, str]:
    """The IPv4 address an IPv6 address carries (and how), for the forms that reach it."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped, "IPv4-mapped"
    if address.sixtofour is not None:
        return address.sixtofour, "6to4"
    if address.teredo is not None:
        return address.teredo[1], "Teredo"
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF), "NAT64"
    return None, ""


def parse_address(text: str) -> IPAddress:
    """An address as the resolver printed it (an IPv6 zone ``%eth0`` is dropped)."""
    return ipaddress.ip_address(text.split("%", 1)[0])


# ---------------------------------------------------------------------- origins


def origin_of(url: str | httpx.URL) -> Origin:
    parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
    scheme = parsed.scheme.lower()
    port = parsed.port or DEFAULT_PORTS.get(scheme, 0)
    return scheme, parsed.host.lower().rstrip("."), port


def parse_origins(text: str | Iterable[str]) -> frozenset[Origin]:
    """Origins from ``"http://10.0.0.5:8080, https://mirror.internal"``; ValueError names the
    entry that is not an origin (a path, a query, credentials or another scheme)."""
    items = text.split(",") if isinstance(text, str) else list(text)
    found: set[Origin] = set()
    for item in (i.strip() for i in items):
        if not item:
            continue
        try:
            url = httpx.URL(item)
        except httpx.InvalidURL as exc:
            raise ValueError(f"'{item}' is not an origin ({exc}).") from exc
        if (
            url.scheme not in DEFAULT_PORTS
            or not url.host
            or url.path not in ("", "/")
            or url.query
            or url.fragment
            or url.userinfo
        ):
            raise ValueError(
                f"'{item}' is not an origin; give scheme, host and optional port only, such "
                "as http://10.0.0.5:8080."
            )
        found.add(origin_of(url))
    return frozenset(found)


def show_origin(origin: Origin) -> str:
    scheme, host, port = origin
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}" + ("" if DEFAULT_PORTS.get(scheme) == port else f":{port}")


@dataclass(frozen=True)
class OutboundPolicy:
    """What the guarded client may reach: public addresses, plus these trusted origins."""

    trusted_origins: frozenset[Origin] = frozenset()

    def trusts(self, url: str | httpx.URL) -> bool:
        return origin_of(url) in self.trusted_origins
