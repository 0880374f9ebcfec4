"""A small, cached, rate-limit-aware GitHub REST client for the metrics.

- Every GET answer (including "404 Not Found") is kept in a TTL cache keyed by URL, so the
  metrics of one rating share their calls (bus factor, code quality and reviewedness all read
  the same repository) and ratings within the TTL reuse them. Concurrent requests for the
  same URL are coalesced into one.
- Rate limits are never waited out: a primary limit (403 with ``X-RateLimit-Remaining: 0``)
  or a secondary one (429, or 403 with ``Retry-After``) raises `MetricUnavailable` naming
  GitHub and the reset time; until that time further calls fail at once without a request.
  Only a ``Retry-After`` of at most ``max_wait`` seconds is slept and retried once.
- Server errors and transport failures are retried once after a short pause, then raise
  `MetricUnavailable`. A missing repository or object raises `GitHubNotFound`.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

import httpx
from cachetools import TTLCache

from registry_common.outbound import (
    OutboundError,
    OutboundPolicy,
    guarded_client,
    origin_of,
    parse_retry_after,
)
from registry_scoring.metrics.base import MetricUnavailable

SERVICE: Final = "GitHub"
DEFAULT_API_URL: Final = "https://api.github.com"
_RETRY_PAUSE: Final = 0.2


class GitHubNotFound(Exception):
    """GitHub answered 404 (or 410/451) for this path."""


def _slim(body: Any) -> Any:
    """Drop the diff text of commit/PR file lists: metrics need line counts, not patches,
    and patches would dominate the cache's memory."""
    files = body.get("files") if isinstance(body, dict) else None
    if isinstance(files, list):
        body["files"] = [
            {k: v for k, v in item.items() if k != "patch"} if isinstance(item, dict) else item
            for item in files
        ]
    return body


class _Answer:
    __slots__ = ("body", "links", "status")

    def __init__(self, status: int, body: Any, links: dict[str, str]) -> None:
        self.status = status
        self.body = body
        self.links = links


class GitHubClient:
    """GitHub REST API client shared by the metrics (one per scoring service)."""

    def __init__(
        self,
        api_url: str = DEFAULT_API_URL,
        token: str | None = None,
        *,
        cache_ttl: float = 300.0,
        cache_size: int = 4096,
        timeout: float = 20.0,
        max_wait: float = 2.0,
        policy: OutboundPolicy | None = None,
    ) -> None:
        self.api_url = (api_url or DEFAULT_API_URL).rstrip("/")
        self.cache_ttl = cache_ttl
        self.cache_size = max(1, cache_size)
        self.max_wait = max_wait
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "trustworthy-model-registry-scoring",
        }
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # The API's origin is trusted; redirects and pagination links elsewhere are vetted.
        self._http = guarded_client(
            policy or OutboundPolicy(frozenset({origin_of(self.api_url)})),
            base_url=self.api_url,
            headers=headers,
            timeout=timeout,
            follow_redirects=True,
        )
        # cachetools' TTL cache evicts the least recently used answer when full.
        self._cache: TTLCache[str, _Answer] = TTLCache(
            maxsize=self.cache_size, ttl=max(cache_ttl, 0.0), timer=time.monotonic
        )
        self._inflight: dict[str, asyncio.Future[_Answer]] = {}
        self._blocked_until: float = 0.0
        self._blocked_reason: str = ""
        self.requests_made = 0

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------------ generic access

    def url_for(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        url = httpx.URL(self.api_url + "/" + path.lstrip("/"))
        if params:
            url = url.copy_merge_params({k: str(v) for k, v in sorted(params.items())})
        return str(url)

    async def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """The JSON body of ``GET path`` (cached); raises `GitHubNotFound` on 404."""
        answer = await self._get(self.url_for(path, params))
        return answer.body

    async def get_pages(
        self, path: str, params: Mapping[str, Any] | None = None, *, max_items: int = 1000
    ) -> list[Any]:
        """Items of a paginated list, following ``Link: rel=next`` up to ``max_items``."""
        items: list[Any] = []
        url: str | None = self.url_for(path, {"per_page": 100, **(params or {})})
        while url and len(items) < max_items:
            answer = await self._get(url)
            if not isinstance(answer.body, list):
                break
            items.extend(answer.body)
            url = answer.links.get("next")
        return items[:max_items]

    # ------------------------------------------------------------------ typed helpers

    async def repository(self, full_name: str) -> dict[str, Any]:
        body = await self.get_json(f"/repos/{full_name}")
        return body if isinstance(body, dict) else {}

    async def contributors(self, full_name: str, *, max_items: int = 500) -> list[dict[str, Any]]:
        items = await self.get_pages(f"/repos/{full_name}/contributors", max_items=max_items)
        return [item for item in items if isinstance(item, dict)]

    async def tree(self, full_name: str, ref: str) -> list[dict[str, Any]]:
        body = await self.get_json(f"/repos/{full_name}/git/trees/{ref}", {"recursive": 1})
        tree = body.get("tree") if isinstance(body, dict) else None
        return [item for item in tree or [] if isinstance(item, dict)]

    async def readme(self, full_name: str) -> str | None:
        try:
            body = await self.get_json(f"/repos/{full_name}/readme")
        except GitHubNotFound:
            return None
        if not isinstance(body, dict) or not isinstance(body.get("content"), str):
            return None
        try:
            return base64.b64decode(body["content"]).decode("utf-8", errors="replace")
        except ValueError:
            return None

    async def commits(self, full_name: str, branch: str, *, max_items: int) -> list[dict[str, Any]]:
        items = await self.get_pages(
            f"/repos/{full_name}/commits", {"sha": branch}, max_items=max_items
        )
        return [item for item in items if isinstance(item, dict)]

    async def commit(self, full_name: str, sha: str) -> dict[str, Any]:
        body = await self.get_json(f"/repos/{full_name}/commits/{sha}")
        return body if isinstance(body, dict) else {}

    async def commit_pulls(self, full_name: str, sha: str) -> list[dict[str, Any]]:
        body = await self.get_json(f"/repos/{full_name}/commits/{sha}/pulls")
        return [item for item in body or [] if isinstance(item, dict)]

    async def pull_reviews(self, full_name: str, number: int) -> list[dict[str, Any]]:
        items = await self.get_pages(f"/repos/{full_name}/pulls/{number}/reviews", max_items=300)
        return [item for item in items if isinstance(item, dict)]

    # ------------------------------------------------------------------ plumbing

    async def _get(self, url: str) -> _Answer:
        cached = self._cache.get(url)
        if cached is not None:
            return self._result(cached)
        pending = self._inflight.get(url)
        if pending is not None:
            return self._result(await asyncio.shield(pending))
        future: asyncio.Future[_Answer] = asyncio.get_running_loop().create_future()
        self._inflight[url] = future
        try:
            answer = await self._fetch(url)
        except BaseException as exc:
            if not future.done():
                if isinstance(exc, asyncio.CancelledError):
                    future.cancel()
                else:
                    future.set_exception(exc)
                    future.exception()  # marked retrieved: waiters re-raise it themselves
            raise
        else:
            future.set_result(answer)
            self._store(url, answer)
            return self._result(answer)
        finally:
            self._inflight.pop(url, None)

    def _store(self, url: str, answer: _Answer) -> None:
        if self.cache_ttl > 0:  # a TTL of 0 turns caching off
            self._cache[url] = answer

    @staticmethod
    def _result(answer: _Answer) -> _Answer:
        if answer.status == 404:
            raise GitHubNotFound(str(answer.body))
        return answer

    def _check_blocked(self) -> None:
        if self._blocked_until > time.time():
            raise MetricUnavailable(
                SERVICE,
                self._blocked_reason or "API rate limit exhausted",
                retry_at=datetime.fromtimestamp(self._blocked_until, UTC),
            )

    def _block(self, until: float, reason: str) -> MetricUnavailable:
        self._blocked_until = max(self._blocked_until, until)
        self._blocked_reason = reason
        return MetricUnavailable(SERVICE, reason, retry_at=datetime.fromtimestamp(until, UTC))

    async def _fetch(self, url: str) -> _Answer:
        attempts = 0
        while True:
            attempts += 1
            self._check_blocked()
            try:
                self.requests_made += 1
                response = await self._http.get(url)
            except OutboundError as exc:  # GitHub pointed somewhere the registry does not go
                raise MetricUnavailable(SERVICE, exc.message) from exc
            except httpx.HTTPError as exc:
                if attempts < 2:
                    await asyncio.sleep(_RETRY_PAUSE)
                    continue
                raise MetricUnavailable(
                    SERVICE, f"request failed: {type(exc).__name__}: {exc}"
                ) from exc
            status = response.status_code
            if status in (403, 429):
                wait = self._rate_limit_wait(response)
                if wait is None:
                    raise MetricUnavailable(SERVICE, f"access forbidden (HTTP 403) for {url}")
                if wait <= self.max_wait and attempts < 2:
                    await asyncio.sleep(max(0.0, wait))
                    continue
                kind = "secondary rate limit" if status == 429 else "API rate limit exhausted"
                raise self._block(time.time() + wait, f"{kind} (HTTP {status})")
            if status >= 500:
                if attempts < 2:
                    await asyncio.sleep(_RETRY_PAUSE)
                    continue
                raise MetricUnavailable(SERVICE, f"server error HTTP {status} for {url}")
            if status in (404, 410, 451):
                return _Answer(404, f"not found: {url}", {})
            if status == 401:
                raise MetricUnavailable(SERVICE, "the configured token was rejected (HTTP 401)")
            if status >= 400:
                raise MetricUnavailable(SERVICE, f"HTTP {status} for {url}")
            try:
                body = response.json()
            except ValueError as exc:
                raise MetricUnavailable(SERVICE, f"answer of {url} is not JSON") from exc
            return _Answer(
                status,
                _slim(body),
                {rel: link["url"] for rel, link in response.links.items() if rel and "url" in link},
            )

    @staticmethod
    def _rate_limit_wait(response: httpx.Response) -> float | None:
        """Seconds until a rate limit lifts, or None when the 403 is not a rate limit."""
        headers = response.headers
        if "Retry-After" in headers:
            wait = parse_retry_after(headers["Retry-After"])
            return 60.0 if wait is None else wait
        if headers.get("X-RateLimit-Remaining") == "0":
            reset = headers.get("X-RateLimit-Reset")
            try:
                return max(0.0, float(reset) - time.time()) if reset else 60.0
            except ValueError:
                return 60.0
        if response.status_code == 429:
            return 60.0
        return None
