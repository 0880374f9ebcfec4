"""Who is on the other end: the client's address, as far as the gateway can know it.

Behind a load balancer every request's peer is the balancer, so the address that matters is
in `X-Forwarded-For`, which each proxy appends to. Anyone can send that header, so it is
believed only when the peer is a configured trusted proxy, and then read from the right:
the right-most address that is not itself a trusted proxy is the one the nearest trusted
proxy saw connect. Entries further left were written by the client and prove nothing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(value: str | Iterable[str]) -> tuple[IPNetwork, ...]:
    """CIDR blocks (or single addresses) from a comma-separated string or a list; raises
    ValueError naming the entry that is not one."""
    items = value.split(",") if isinstance(value, str) else list(value)
    networks = []
    for raw in items:
        item = raw.strip()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ValueError(
                f"{item!r} is not an IP address or CIDR block (e.g. 10.0.0.0/16)"
            ) from exc
    return tuple(networks)


def _address(text: str) -> IPAddress | None:
    candidate = text.strip()
    # "[2001:db8::1]:443" and "203.0.113.5:51234" appear in the wild; keep the address.
    if candidate.startswith("[") and "]" in candidate:
        candidate = candidate[1 : candidate.index("]")]
    elif candidate.count(":") == 1:
        candidate = candidate.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: IPAddress, proxies: Sequence[IPNetwork]) -> bool:
    return any(address.version == net.version and address in net for net in proxies)


def client_address(
    peer: str | None, forwarded_for: Sequence[str], proxies: Sequence[IPNetwork]
) -> str | None:
    """The client's address: the peer itself unless it is a trusted proxy; otherwise the
    right-most untrusted `X-Forwarded-For` entry (all header lines, in order). A malformed
    entry ends the walk at the last trusted hop, as does a chain of trusted proxies only."""
    if peer is None:
        return None
    current = _address(peer)
    if current is None or not _trusted(current, proxies):
        return peer
    hops = [hop for line in forwarded_for for hop in line.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        current = address
        if not _trusted(address, proxies):
            break
    return str(current)
