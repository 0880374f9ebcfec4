"""The transport that vets every connection: resolve once, check, connect to that IP."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import httpcore
import httpx

from registry_common.outbound.policy import (
    DEFAULT_PORTS,
    IPAddress,
    OutboundError,
    OutboundPolicy,
    OutboundRefused,
    address_refusal,
    parse_address,
)

Resolver = Callable[[str, int], Awaitable[list[str]]]
"""``(host, port) -> addresses``; the default asks the system resolver once."""


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class _ResetSafeStream(httpcore.AsyncNetworkStream):
    """A stream whose `get_extra_info` answers None once its socket is gone.

    anyio's socket stream reads `getpeername()` of its raw socket for any extra attribute;
    when the peer resets the connection right after accepting it (a crashed server, a load
    balancer refusing), the socket is already None and httpcore's first question about the
    new connection raises AttributeError: a request failed by the network became a bug (a
    500). Answering None lets httpcore go on to read or write, which fails as the
    transport error it is (measured with the fault proxy, tests/harness/faults.py)."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _ResetSafeStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        try:
            return self._inner.get_extra_info(info)
        except AttributeError:
            return None


class ResetSafeBackend(httpcore.AsyncNetworkBackend):
    """httpcore's anyio backend with `_ResetSafeStream` streams."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(
            host, port, timeout=timeout, local_address=local_address,
            socket_options=socket_options,
        )  # fmt: skip
        return _ResetSafeStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_unix_socket(
            path, timeout=timeout, socket_options=socket_options
        )
        return _ResetSafeStream(stream)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def reset_safe_transport(verify: ssl.SSLContext | bool = True) -> httpx.AsyncHTTPTransport:
    """An ordinary httpx transport on `ResetSafeBackend` (see `_ResetSafeStream`)."""
    transport = httpx.AsyncHTTPTransport(verify=verify)
    # httpx has no public way to give its pool a network backend (see GuardedTransport).
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(verify=verify), network_backend=ResetSafeBackend()
    )
    return transport


class VettingBackend(httpcore.AsyncNetworkBackend):
    """Resolves a host once, refuses it if any address is not public, connects to the IP."""

    def __init__(
        self, resolver: Resolver, connector: httpcore.AsyncNetworkBackend | None = None
    ) -> None:
        self._resolver = resolver
        self._inner = connector or ResetSafeBackend()

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
        self._trusted = reset_safe_transport(verify)
        self._guarded = httpx.AsyncHTTPTransport(verify=verify)
        # httpx has no public way to give its pool a network backend, and writing our own
        # request/response mapping would copy its exception mapping; swapping the pool keeps
        # both. libs/common/tests/test_outbound.py proves the swap is in effect.
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
