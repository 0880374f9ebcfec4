"""Real checks behind the feed: each service's `/internal/health`, and whether the Hugging
Face Hub and the GitHub API answer. Short timeouts; results cached briefly so a dashboard
polling the feed does not turn into a load test of the registry or of GitHub."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from registry_common.errors import ComponentUnavailable, RegistryError
from registry_common.http import ServiceClient
from registry_health.telemetry_store import Clock

SelfCheck = Callable[[], Awaitable[dict[str, Any]]]
Peer = ServiceClient | SelfCheck
"""A service to check: a client of its `/internal/health`, or a function answering the same
body in-process (embedded mode's gateway, which has no internal routes)."""


@dataclass(frozen=True)
class PeerReport:
    """What one service said about itself (its `/internal/health` body), or why it did not."""

    service: str
    status: str  # ok | degraded (a backing component fails) | critical (no answer) | unknown
    checked_at: float
    components: dict[str, dict[str, str]] = field(default_factory=dict)
    detail: str | None = None
    latency_ms: float | None = None
    bus: dict[str, dict[str, int]] | None = None  # {"queue_depth": {...}, "dead_letters": {...}}

    @property
    def reachable(self) -> bool:
        return self.status in ("ok", "degraded")


def report_from_body(service: str, body: Any, checked_at: float, latency_ms: float) -> PeerReport:
    """Read `{"service", "status", "components": {name: {"status", "detail"?}}, "bus"?}`."""
    if not isinstance(body, dict):
        return PeerReport(service, "critical", checked_at, detail="answered a malformed report")
    components: dict[str, dict[str, str]] = {}
    raw = body.get("components")
    if isinstance(raw, dict):
        for name, value in raw.items():
            if isinstance(value, dict):
                components[str(name)] = {k: str(v) for k, v in value.items() if v is not None}
    failing = any(c.get("status", "ok") != "ok" for c in components.values())
    status = "degraded" if failing or body.get("status") not in (None, "ok") else "ok"
    bus = body.get("bus") if isinstance(body.get("bus"), dict) else None
    return PeerReport(service, status, checked_at, components, None, latency_ms, bus)


class PeerMonitor:
    """Asks every peer for its health concurrently; the health service asks itself directly."""

    def __init__(
        self,
        peers: MutableMapping[str, Peer],
        *,
        self_name: str = "health",
        self_check: SelfCheck | None = None,
        timeout: float = 2.0,
        ttl: float = 5.0,
        clock: Clock = time.time,
    ) -> None:
        self.peers = peers
        self.self_name = self_name
        self.self_check = self_check
        self.timeout = timeout
        self.ttl = ttl
        self.clock = clock
        self._cache: tuple[float, dict[str, PeerReport]] | None = None
        self._lock = asyncio.Lock()

    def add_peer(self, name: str, client: Peer) -> None:
        """Monitor one more service (embedded mode adds the gateway once it exists)."""
        self.peers[name] = client
        self._cache = None

    async def reports(self) -> dict[str, PeerReport]:
        async with self._lock:
            now = self.clock()
            if self._cache is not None and now - self._cache[0] < self.ttl:
                return self._cache[1]
            names = list(self.peers)
            results = await asyncio.gather(*(self._ask(name) for name in names), self._ask_self())
            reports = dict(zip([*names, self.self_name], results, strict=True))
            if self.self_check is None:
                reports.pop(self.self_name)
            self._cache = (now, reports)
            return reports

    async def _ask_self(self) -> PeerReport:
        if self.self_check is None:
            return PeerReport(self.self_name, "unknown", self.clock())
        return await self._call(self.self_name, self.self_check)

    async def _call(self, name: str, check: SelfCheck) -> PeerReport:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout):
                body = await check()
        except TimeoutError:
            detail = f"did not answer its health check within {self.timeout:g} s"
            return PeerReport(name, "critical", self.clock(), detail=detail)
        except Exception as exc:  # a check must report, never crash the report
            detail = f"health check failed: {type(exc).__name__}: {exc}"
            return PeerReport(name, "critical", self.clock(), detail=detail)
        return report_from_body(name, body, self.clock(), _ms_since(started))

    async def _ask(self, name: str) -> PeerReport:
        client = self.peers[name]
        if not isinstance(client, ServiceClient):
            return await self._call(name, client)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout):
                try:
                    response = await client.get("/internal/health", timeout=self.timeout)
                except RegistryError as exc:
                    if exc.status != 404:
                        raise
                    # A service without the route still answered: alive, nothing more known.
                    detail = "has no /internal/health route; it answered, so it is up"
                    return PeerReport(
                        name, "ok", self.clock(), detail=detail, latency_ms=_ms_since(started)
                    )
                body = response.json()
        except TimeoutError:
            detail = f"did not answer its health check within {self.timeout:g} s"
            return PeerReport(name, "critical", self.clock(), detail=detail)
        except ComponentUnavailable as exc:
            return PeerReport(name, "critical", self.clock(), detail=f"unreachable: {exc.message}")
        except RegistryError as exc:
            detail = f"answered its health check with HTTP {exc.status}: {exc.message}"
            return PeerReport(name, "critical", self.clock(), detail=detail)
        except Exception as exc:
            detail = f"health check failed: {type(exc).__name__}"
            return PeerReport(name, "critical", self.clock(), detail=detail)
        return report_from_body(name, body, self.clock(), _ms_since(started))


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


# ---------------------------------------------------------------- external services


@dataclass(frozen=True)
class ProbeResult:
    status: str  # ok | degraded | critical | unknown
    checked_at: float
    summary: str
    code: str | None = None  # the HealthIssue code when not ok
    details: str | None = None
    metrics: dict[str, int | float | str | bool] = field(default_factory=dict)


Interpret = Callable[[httpx.Response, float], ProbeResult]


class ExternalProbe:
    """One cheap request to an external API, cached `ttl` seconds."""

    def __init__(
        self,
        name: str,
        url: str,
        client: httpx.AsyncClient,
        *,
        interpret: Interpret,
        headers: Mapping[str, str] | None = None,
        timeout: float = 3.0,
        ttl: float = 30.0,
        clock: Clock = time.time,
    ) -> None:
        self.name = name
        self.url = url
        self.client = client
        self.interpret = interpret
        self.headers = dict(headers or {})
        self.timeout = timeout
        self.ttl = ttl
        self.clock = clock
        self._cached: ProbeResult | None = None
        self._lock = asyncio.Lock()

    async def result(self) -> ProbeResult:
        async with self._lock:
            cached = self._cached
            if cached is not None and self.clock() - cached.checked_at < self.ttl:
                return cached
            self._cached = await self._probe()
            return self._cached

    async def _probe(self) -> ProbeResult:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout):
                response = await self.client.get(
                    self.url, headers=self.headers, timeout=self.timeout
                )
        except (TimeoutError, httpx.TimeoutException):
            return ProbeResult(
                "critical",
                self.clock(),
                f"{self.name} did not answer within {self.timeout:g} s.",
                code="dependency_unreachable",
                details=f"GET {self.url} timed out.",
            )
        except (httpx.HTTPError, OSError) as exc:
            return ProbeResult(
                "critical",
                self.clock(),
                f"{self.name} is unreachable.",
                code="dependency_unreachable",
                details=f"GET {self.url} failed: {type(exc).__name__}: {exc}".strip(": "),
            )
        latency = _ms_since(started)
        result = self.interpret(response, self.clock())
        return ProbeResult(
            result.status,
            result.checked_at,
            result.summary,
            result.code,
            result.details,
            {"latency_ms": latency, "http_status": response.status_code, **result.metrics},
        )


def interpret_hub(response: httpx.Response, now: float) -> ProbeResult:
    """Any answer below 500 means the Hub is reachable; 429 means we are being throttled."""
    if response.status_code == 429:
        return ProbeResult(
            "degraded",
            now,
            "The Hugging Face Hub is rate-limiting the registry.",
            code="rate_limited",
            details=f"Retry-After: {response.headers.get('retry-after', 'not given')}.",
        )
    if response.status_code >= 500:
        return ProbeResult(
            "critical",
            now,
            f"The Hugging Face Hub answers with HTTP {response.status_code}.",
            code="dependency_error",
            details="Registering Hugging Face artifacts fails until the Hub recovers.",
        )
    return ProbeResult("ok", now, "The Hugging Face Hub answers.")


def interpret_github(response: httpx.Response, now: float) -> ProbeResult:
    """`/rate_limit` answers without spending the quota; it also tells what is left."""
    metrics: dict[str, int | float | str | bool] = {}
    for header, key in (
        ("x-ratelimit-limit", "rate_limit"),
        ("x-ratelimit-remaining", "rate_limit_remaining"),
    ):
        value = response.headers.get(header)
        if value is not None and value.isdigit():
            metrics[key] = int(value)
    if response.status_code >= 500:
        return ProbeResult(
            "critical",
            now,
            f"The GitHub API answers with HTTP {response.status_code}.",
            code="dependency_error",
            details="GitHub metrics and license checks fail until GitHub recovers.",
            metrics=metrics,
        )
    exhausted = metrics.get("rate_limit_remaining") == 0
    if response.status_code in (403, 429) or exhausted:
        reset = response.headers.get("x-ratelimit-reset")
        return ProbeResult(
            "degraded",
            now,
            "The registry has no GitHub API quota left.",
            code="rate_limited",
            details=(f"The quota resets at epoch second {reset}. " if reset else "")
            + "Set GITHUB_TOKEN for a larger quota.",
            metrics=metrics,
        )
    return ProbeResult("ok", now, "The GitHub API answers.", metrics=metrics)
