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

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urljoin

import httpcore
import httpx

from registry_common.errors import RegistryError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Origin = tuple[str, str, int]
"""``(scheme, host, port)``, lower case, the port always explicit."""
Resolver = Callable[[str, int], Awaitable[list[str]]]
"""``(host, port) -> addresses``; the default asks the system resolver once."""

DEFAULT_PORTS: Final = {"http": 80, "https": 443}
CHUNK: Final = 1024 * 1024
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


# ---------------------------------------------------------------------- the address policy


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


# ---------------------------------------------------------------------- the transport


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class VettingBackend(httpcore.AsyncNetworkBackend):
    """Resolves a host once, refuses it if any address is not public, connects to the IP."""

    def __init__(
        self, resolver: Resolver, connector: httpcore.AsyncNetworkBackend | None = None
    ) -> None:
        self._resolver = resolver
        self._inner = connector or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self.vetted(host, port, timeout)
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout=timeout, local_address=local_address,
                    socket_options=socket_options,
                )  # fmt: skip
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # vetted() never returns an empty list
        raise failure

    async def vetted(self, host: str, port: int, timeout: float | None) -> list[IPAddress]:
        try:
            async with asyncio.timeout(timeout):
                found = await self._resolver(host, port)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving '{host}' took too long") from exc
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise OutboundError(
                f"The host '{host}' could not be resolved ({reason}).", reason="unresolvable"
            ) from exc
        addresses = [parse_address(a) for a in found]
        if not addresses:
            raise OutboundError(f"The host '{host}' has no address.", reason="unresolvable")
        for address in addresses:
            why = address_refusal(address)
            if why is not None:
                subject = (
                    f"The address '{host}' is"
                    if str(address) == host
                    else f"The host '{host}' resolves to"
                )
                shown = "" if str(address) == host else f" ({address})"
                raise OutboundRefused(
                    f"{subject} {why}{shown}, which the registry does not fetch from.",
                    reason="address",
                )
        return addresses

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise OutboundRefused("The registry does not fetch from local sockets.", reason="socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncBaseTransport):
    """Trusted origins go to an ordinary pool; everything else through the vetting backend."""

    def __init__(
        self,
        policy: OutboundPolicy,
        *,
        resolver: Resolver | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self.policy = policy
        # A transport's trust_env only reads SSL_CERT_FILE/SSL_CERT_DIR (kept); proxies from
        # the environment are the client's business, and `guarded_client` turns them off.
        self._trusted = httpx.AsyncHTTPTransport(verify=verify)
        self._guarded = httpx.AsyncHTTPTransport(verify=verify)
        # httpx has no public way to give its pool a network backend, and writing our own
        # request/response mapping would copy its exception mapping; swapping the pool keeps
        # both. tests/.../test_outbound.py proves the swap is in effect (the rebinding test).
        self._guarded._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify),
            network_backend=VettingBackend(resolver or system_resolver),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme not in DEFAULT_PORTS:
            raise OutboundRefused(
                f"The registry only fetches http(s) links, not '{request.url.scheme}:'.",
                reason="scheme",
            )
        if self.policy.trusts(request.url):
            return await self._trusted.handle_async_request(request)
        return await self._guarded.handle_async_request(request)

    async def aclose(self) -> None:
        await self._trusted.aclose()
        await self._guarded.aclose()


def guarded_client(
    policy: OutboundPolicy,
    *,
    resolver: Resolver | None = None,
    verify: ssl.SSLContext | bool = True,
    **kwargs: Any,
) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` whose every request, redirects included, obeys ``policy``.

    For API clients of the configured endpoints (their redirects and pagination links are
    checked too). ``kwargs`` go to httpx (``base_url``, ``headers``, ``timeout``,
    ``follow_redirects``); redirects are bounded to 5.
    """
    kwargs.setdefault("max_redirects", 5)
    return httpx.AsyncClient(
        transport=GuardedTransport(policy, resolver=resolver, verify=verify),
        trust_env=False,
        **kwargs,
    )


# ---------------------------------------------------------------------- one bounded download


@dataclass(frozen=True)
class FetchLimits:
    deadline: float
    """Seconds for the whole fetch: resolution, every redirect, the whole body."""
    max_bytes: int
    """Largest body kept; a longer one stops the download."""
    read_timeout: float = 30.0
    """Seconds a single connect or read may take (within the deadline)."""
    max_redirects: int = 5


@dataclass(frozen=True)
class Download:
    url: str
    """Where the body came from, after redirects."""
    status: int
    content_type: str
    path: Path
    size: int
    sha256: str


class OutboundClient:
    """Fetches user-chosen URLs into files under the policy; one per service, shared."""

    def __init__(
        self,
        policy: OutboundPolicy,
        *,
        resolver: Resolver | None = None,
        verify: ssl.SSLContext | bool = True,
        user_agent: str = "trustworthy-model-registry",
    ) -> None:
        self.policy = policy
        self._client = guarded_client(
            policy,
            resolver=resolver,
            verify=verify,
            follow_redirects=False,  # followed below, one hop at a time
            headers={"User-Agent": user_agent},
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> OutboundClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def download(
        self, url: str, limits: FetchLimits, target: Callable[[str, str], Path]
    ) -> Download:
        """GET ``url`` into ``target(final_url, content_type)``; raises `OutboundError`.

        A 4xx/5xx answer raises with ``http_status`` set, so callers may treat "needs
        credentials" (401/403) as the contract asks. A body over the cap raises with reason
        ``too_large`` and leaves no file behind.
        """
        started = time.monotonic()
        try:
            async with asyncio.timeout(limits.deadline):
                return await self._follow(url, limits, target)
        except TimeoutError:
            spent = time.monotonic() - started
            raise OutboundError(
                f"The URL did not finish answering within {limits.deadline:g} s (the limit for "
                f"one fetch; {spent:.0f} s spent).",
                reason="deadline",
            ) from None

    async def _follow(
        self, url: str, limits: FetchLimits, target: Callable[[str, str], Path]
    ) -> Download:
        timeout = httpx.Timeout(limits.read_timeout)
        for hop in range(limits.max_redirects + 1):
            try:
                request = self._client.build_request("GET", url, timeout=timeout)
                response = await self._client.send(request, stream=True)
            except OutboundError as exc:
                if hop == 0:
                    raise
                said = exc.message[:1].lower() + exc.message[1:]
                raise type(exc)(
                    f"The URL redirects to {url}, and {said}", reason=exc.reason
                ) from exc
            except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
                where = "The URL is" if hop == 0 else f"The URL redirects to '{url}', which is"
                raise OutboundRefused(
                    f"{where} not an http(s) link the registry can fetch ({exc}).",
                    reason="invalid",
                ) from exc
            except httpx.TimeoutException as exc:
                raise OutboundError(
                    f"The URL's server did not answer within {limits.read_timeout:g} s.",
                    reason="timeout",
                ) from exc
            except httpx.HTTPError as exc:
                raise OutboundError(
                    f"The URL could not be fetched: connecting to {show_origin(origin_of(url))} "
                    f"failed ({type(exc).__name__}{': ' + str(exc) if str(exc) else ''}).",
                    reason="connect",
                ) from exc
            try:
                location = response.headers.get("Location")
                if response.is_redirect and location:
                    url = urljoin(url, location)
                    continue
                if response.status_code >= 400:
                    raise OutboundError(
                        _status_sentence(response.status_code),
                        reason="status",
                        http_status=response.status_code,
                    )
                return await self._save(url, response, limits, target)
            finally:
                await response.aclose()
        raise OutboundError(
            f"The URL redirected more than {limits.max_redirects} times.", reason="redirects"
        )

    async def _save(
        self,
        url: str,
        response: httpx.Response,
        limits: FetchLimits,
        target: Callable[[str, str], Path],
    ) -> Download:
        declared = int(response.headers.get("Content-Length") or 0)
        if declared > limits.max_bytes:
            raise OutboundError(_too_large(limits.max_bytes, declared), reason="too_large")
        content_type = response.headers.get("Content-Type", "").split(";", 1)[0].strip()
        path = target(url, content_type)
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        try:
            with path.open("wb") as sink:
                async for chunk in response.aiter_bytes(CHUNK):
                    size += len(chunk)
                    if size > limits.max_bytes:
                        raise OutboundError(_too_large(limits.max_bytes, None), reason="too_large")
                    digest.update(chunk)
                    await asyncio.to_thread(sink.write, chunk)
        except httpx.TimeoutException as exc:
            path.unlink(missing_ok=True)
            raise OutboundError(
                f"The URL's server stopped sending for {limits.read_timeout:g} s.",
                reason="timeout",
            ) from exc
        except httpx.HTTPError as exc:
            path.unlink(missing_ok=True)
            raise OutboundError(
                f"The download broke off ({type(exc).__name__}).", reason="connect"
            ) from exc
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return Download(url, response.status_code, content_type, path, size, digest.hexdigest())


def _too_large(limit: int, declared: int | None) -> str:
    """Plain byte counts: callers with a formatter of their own rephrase (``reason``)."""
    size = f" is {declared:,} bytes," if declared else " is"
    return f"The file{size} over the limit of {limit:,} bytes for one fetch."


def _status_sentence(status: int) -> str:
    if status in (401, 403):
        return f"The server answered HTTP {status}: the content needs credentials."
    if status == 404:
        return "The server answered HTTP 404: nothing is at that address."
    return f"The server answered HTTP {status}, so nothing could be downloaded."
