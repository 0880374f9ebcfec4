"""The few Hugging Face Hub reads the metrics need beyond the event metadata, cached.

Dataset facts come from `huggingface_hub.HfApi.dataset_info` (synchronous, so it runs in a
worker thread; it follows the Hub's legacy-id redirects). A model's commit authors come from
the Hub's ``/api/models/{id}/commits/{rev}`` pages read with httpx: `HfApi.list_repo_commits`
retries outages with exponential back-off for about 20 s inside its thread, which a rating
must not wait out. Answers (and "not found") stay in a TTL cache shared by all ratings. A
missing or private repository is a fact the metrics use (``None``); anything else that fails
(outage, rate limit, timeout) raises `MetricUnavailable` naming the Hugging Face Hub.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, Final

import httpx
from cachetools import TTLCache
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

from registry_common.outbound import (
    OutboundError,
    OutboundPolicy,
    guarded_client,
    origin_of,
    parse_retry_after,
)
from registry_scoring.metrics.base import MetricUnavailable

SERVICE: Final = "Hugging Face Hub"
DEFAULT_ENDPOINT: Final = "https://huggingface.co"
_MISSING: Final = object()
_RETRY_PAUSE: Final = 0.2


class HubClient:
    """Cached async facade over `HfApi` (one per scoring service)."""

    def __init__(
        self,
        endpoint: str | None = None,
        token: str | None = None,
        *,
        api: HfApi | None = None,
        cache_ttl: float = 300.0,
        cache_size: int = 2048,
        max_commits: int = 500,
        timeout: float = 20.0,
        max_wait: float = 2.0,
        policy: OutboundPolicy | None = None,
    ) -> None:
        self.endpoint = (endpoint or DEFAULT_ENDPOINT).rstrip("/")
        self.api = api or HfApi(endpoint=self.endpoint, token=token or False)
        self.max_wait = max_wait
        self.timeout = timeout
        headers = {"User-Agent": "trustworthy-model-registry-scoring"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # The Hub's origin is trusted; redirects and pagination links elsewhere are vetted.
        self._http = guarded_client(
            policy or OutboundPolicy(frozenset({origin_of(self.endpoint)})),
            base_url=self.endpoint,
            headers=headers,
            timeout=timeout,
            follow_redirects=True,
        )
        self.cache_ttl = cache_ttl
        self.cache_size = max(1, cache_size)
        self.max_commits = max_commits
        # cachetools' TTL cache evicts the least recently used answer when full.
        self._cache: TTLCache[tuple[str, ...], Any] = TTLCache(
            maxsize=self.cache_size, ttl=max(cache_ttl, 0.0), timer=time.monotonic
        )
        self._locks: dict[tuple[str, ...], asyncio.Lock] = {}

    async def dataset(self, dataset_id: str) -> dict[str, Any] | None:
        """Facts of a Hub dataset, or None when it does not exist (or is private to us)."""

        def read() -> dict[str, Any] | None:
            try:
                info = self.api.dataset_info(dataset_id, timeout=self.timeout)
            except RepositoryNotFoundError:
                return None
            card: Any = info.card_data
            card_dict = card.to_dict() if card is not None and hasattr(card, "to_dict") else {}
            return {
                "id": info.id,
                "downloads": info.downloads,
                "likes": info.likes,
                "card_data": card_dict if isinstance(card_dict, dict) else {},
                "description": info.description,
                "citation": info.citation,
                "paperswithcode_id": info.paperswithcode_id,
                "tags": list(info.tags or []),
                "files": [s.rfilename for s in info.siblings or []],
                "gated": info.gated,
                "private": info.private,
            }

        result: dict[str, Any] | None = await self._cached(("dataset", dataset_id.lower()), read)
        return result

    async def commit_authors(self, repo_id: str) -> list[list[str]] | None:
        """Authors of each commit of a model repository's main branch (newest first, at most
        ``max_commits``), or None when the repository is not found."""

        async def read() -> list[list[str]] | None:
            commits: list[list[str]] = []
            url: str | None = f"/api/models/{repo_id}/commits/main"
            while url and len(commits) < self.max_commits:
                response = await self._get(url)
                if response is None:
                    return None
                page = response.json()
                for item in page if isinstance(page, list) else []:
                    authors = item.get("authors") if isinstance(item, dict) else None
                    commits.append(
                        [
                            str(a.get("user"))
                            for a in authors or []
                            if isinstance(a, dict) and a.get("user")
                        ]
                    )
                url = response.links.get("next", {}).get("url")
            return commits[: self.max_commits]

        result: list[list[str]] | None = await self._cached(
            ("commits", repo_id.lower()), read, in_thread=False
        )
        return result

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _get(self, url: str) -> httpx.Response | None:
        """GET with one retry of outages; None for a missing (or hidden private) repo."""
        for attempt in (1, 2):
            try:
                response = await self._http.get(url)
            except OutboundError as exc:  # the Hub pointed somewhere the registry does not go
                raise MetricUnavailable(SERVICE, exc.message) from exc
            except httpx.HTTPError as exc:
                if attempt == 1:
                    await asyncio.sleep(_RETRY_PAUSE)
                    continue
                raise MetricUnavailable(SERVICE, f"request failed: {type(exc).__name__}") from exc
            status = response.status_code
            if status in (401, 404):
                return None
            if status == 429:
                retry = parse_retry_after(response.headers.get("Retry-After"))
                if attempt == 1 and retry is not None and retry <= self.max_wait:
                    await asyncio.sleep(retry)
                    continue
                raise MetricUnavailable(SERVICE, f"rate limited (HTTP 429) for {url}")
            if status >= 500 and attempt == 1:
                await asyncio.sleep(_RETRY_PAUSE)
                continue
            if status >= 400:
                raise MetricUnavailable(SERVICE, f"HTTP {status} for {url}")
            return response
        raise MetricUnavailable(SERVICE, f"no usable answer for {url}")  # pragma: no cover

    async def _cached(
        self, key: tuple[str, ...], read: Callable[[], Any], *, in_thread: bool = True
    ) -> Any:
        hit = self._lookup(key)
        if hit is not _MISSING:
            return hit
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                hit = self._lookup(key)
                if hit is not _MISSING:
                    return hit
                try:
                    value = await (asyncio.to_thread(read) if in_thread else read())
                except HfHubHTTPError as exc:
                    raise MetricUnavailable(SERVICE, _describe(exc)) from exc
                except (OSError, TimeoutError) as exc:
                    raise MetricUnavailable(SERVICE, f"{type(exc).__name__}: {exc}") from exc
                if self.cache_ttl > 0:  # a TTL of 0 turns caching off
                    self._cache[key] = value
                return value
        finally:
            if not lock.locked():
                self._locks.pop(key, None)

    def _lookup(self, key: tuple[str, ...]) -> Any:
        return self._cache.get(key, _MISSING)


def _describe(exc: HfHubHTTPError) -> str:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if status == 429:
        retry = response.headers.get("Retry-After") if response is not None else None
        return f"rate limited (HTTP 429{', retry after ' + retry + ' s' if retry else ''})"
    return f"HTTP {status}: {first}" if status else first
