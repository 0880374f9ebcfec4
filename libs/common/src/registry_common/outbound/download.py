"""One bounded download of a user-chosen URL: redirects hop by hop, a deadline, a cap."""

from __future__ import annotations

import asyncio
import hashlib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urljoin

import httpx

from registry_common.outbound.policy import (
    OutboundError,
    OutboundPolicy,
    OutboundRefused,
    origin_of,
    show_origin,
)
from registry_common.outbound.transport import Resolver, guarded_client

CHUNK: Final = 1024 * 1024


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
