"""The one guarded HTTP client for every URL a user chose (and every host it redirects to).

A user-chosen URL is an instruction to open a connection from inside the deployment, so it
is held to four rules (docs/security/outbound.md):

1. **Public addresses only.** The host is resolved, every address it resolves to is judged
   with `ipaddress` (loopback, RFC 1918, link-local, CGNAT, unique-local, cloud metadata,
   unspecified, multicast, reserved, and those forms hidden in IPv4-mapped, 6to4, Teredo or
   NAT64 IPv6 addresses), and one bad address refuses the host. Odd spellings (``127.1``,
   ``2130706433``, ``0x7f.1``) need no special case: the resolver turns them into addresses.
2. **Resolved once, connected to the vetted address.** The check lives in the network backend
   of the connection pool: it resolves, vets and then connects to the vetted IP itself, so a
   second lookup (DNS rebinding) never happens. TLS still gets the host name for SNI and
   certificate checks, and the Host header is untouched.
3. **Every redirect re-checked.** Each hop is a new request through the same transport.
4. **A total deadline and a byte cap per fetch**, not per read.

Origins the operator trusts (the configured Hugging Face and GitHub endpoints, plus
``REGISTRY_OUTBOUND_ALLOW_ORIGINS``) skip the address check, matched by scheme, host and port:
the same host on another port is not trusted. Proxies from the environment are ignored: a
proxy would make the connection on our behalf, past the check.
"""

from registry_common.outbound.download import Download, FetchLimits, OutboundClient
from registry_common.outbound.policy import (
    DEFAULT_PORTS,
    IPAddress,
    Origin,
    OutboundError,
    OutboundPolicy,
    OutboundRefused,
    address_refusal,
    origin_of,
    parse_address,
    parse_origins,
    show_origin,
)
from registry_common.outbound.retry_after import parse_retry_after
from registry_common.outbound.transport import (
    GuardedTransport,
    Resolver,
    VettingBackend,
    guarded_client,
    system_resolver,
)

__all__ = [
    "DEFAULT_PORTS",
    "Download",
    "FetchLimits",
    "GuardedTransport",
    "IPAddress",
    "Origin",
    "OutboundClient",
    "OutboundError",
    "OutboundPolicy",
    "OutboundRefused",
    "Resolver",
    "VettingBackend",
    "address_refusal",
    "guarded_client",
    "origin_of",
    "parse_address",
    "parse_origins",
    "parse_retry_after",
    "show_origin",
    "system_resolver",
]
