"""The health feed: what the routes ask for, collected from the stores and the checks."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from registry_common.bus.port import BusStats, EventBus
from registry_common.errors import BadRequest, NotFound
from registry_common.telemetry import SpanHub
from registry_health.checks import ExternalProbe, PeerMonitor, ProbeResult
from registry_health.components import (
    ComponentsBuilder,
    ComponentsReport,
    Observations,
    Thresholds,
    iso,
)
from registry_health.summary import build_summary
from registry_health.telemetry_store import (
    LEVELS,
    Clock,
    LogStore,
    RequestStore,
    SpanHubFollower,
    normalize_level,
)
from registry_health.traces import is_trace_id, trace_tree

MIN_WINDOW, MAX_WINDOW = 5, 1440
MAX_LOG_LIMIT = 1000


def check_window(window_minutes: int) -> int:
    if not MIN_WINDOW <= window_minutes <= MAX_WINDOW:
        raise BadRequest(
            f"windowMinutes must be between {MIN_WINDOW} and {MAX_WINDOW} minutes "
            f"(24 hours); got {window_minutes}."
        )
    return window_minutes


def check_base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    blank = any(c.isspace() for c in base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or blank:
        raise BadRequest(
            "base_url must be an absolute http(s) URL such as https://registry.example.com; "
            f"got {base_url!r}."
        )
    return base_url.rstrip("/")


@dataclass
class HealthFeed:
    store: RequestStore
    logs_store: LogStore
    peers: PeerMonitor
    builder: ComponentsBuilder
    probes: Mapping[str, ExternalProbe]
    public_url: str
    version: str
    started_at: float
    clock: Clock = time.time
    bus: EventBus | None = None
    bus_timeout: float = 2.0
    bus_consumers: tuple[str, ...] = ()
    """Other processes' consumers whose queues the bus statistics include (distributed)."""
    follower: SpanHubFollower | None = None
    hub: SpanHub | None = None
    descriptions: Mapping[str, str] | None = None

    @property
    def thresholds(self) -> Thresholds:
        return self.builder.thresholds

    def sync(self) -> int:
        """Pull finished spans into the request store (embedded mode); returns how many."""
        return self.follower.sync() if self.follower is not None else 0

    async def run_sync(self, interval: float) -> None:
        """Keep the store current even when nobody reads the feed (the hub is bounded)."""
        while True:
            await asyncio.sleep(interval)
            self.sync()

    # ------------------------------------------------------------ collection

    async def _bus_stats(self) -> tuple[BusStats | None, str | None]:
        if self.bus is None:
            return None, None
        try:
            async with asyncio.timeout(self.bus_timeout):
                return await self.bus.stats(self.bus_consumers), None
        except TimeoutError:
            return None, f"The bus did not answer within {self.bus_timeout:g} s."
        except Exception as exc:
            message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            return None, str(message)

    async def _probe(self, name: str) -> tuple[str, ProbeResult]:
        return name, await self.probes[name].result()

    async def observe(self, window_minutes: int) -> Observations:
        self.sync()
        reports, probes, (stats, stats_error) = await asyncio.gather(
            self.peers.reports(),
            asyncio.gather(*(self._probe(name) for name in self.probes)),
            self._bus_stats(),
        )
        now = self.clock()
        records = self.store.window(now - window_minutes * 60, now, kind=None)
        return Observations(
            now=now,
            window_seconds=window_minutes * 60,
            reports=reports,
            requests=[r for r in records if r.kind == "server"],
            events=[r for r in records if r.kind == "consumer"],
            bus_stats=stats,
            bus_stats_error=stats_error,
            probes=dict(probes),
            log_updated=self.logs_store.updated(),
            descriptions=self.descriptions or {},
        )

    # ------------------------------------------------------------ the views

    async def components_report(
        self, window_minutes: int = 60, include_timeline: bool = False, base_url: str | None = None
    ) -> tuple[ComponentsReport, Observations]:
        window = check_window(window_minutes)
        base = check_base_url(base_url or self.public_url)
        obs = await self.observe(window)
        report = self.builder.build(
            obs, window_minutes=window, include_timeline=include_timeline, base_url=base
        )
        return report, obs

    async def components(
        self, window_minutes: int = 60, include_timeline: bool = False, base_url: str | None = None
    ) -> dict[str, Any]:
        """The spec's HealthComponentCollection."""
        report, _ = await self.components_report(window_minutes, include_timeline, base_url)
        return report.document

    async def summary(
        self, window_minutes: int = 60, base_url: str | None = None
    ) -> dict[str, Any]:
        """The spec's HealthSummaryResponse."""
        report, obs = await self.components_report(window_minutes, False, base_url)
        return build_summary(
            report,
            [r for r in obs.requests if r.service == "gateway"],
            now=obs.now,
            window_minutes=window_minutes,
            started_at=self.started_at,
            version=self.version,
            base_url=check_base_url(base_url or self.public_url),
            log_updated=obs.log_updated,
        )

    def trace(self, trace_id: str, *, include_asgi_events: bool = False) -> dict[str, Any]:
        """Every span this process holds for `trace_id`, as a tree."""
        wanted = trace_id.strip().lower()
        if not is_trace_id(wanted):
            raise BadRequest(
                "A trace id is 32 hexadecimal digits, as in the X-Trace-Id response header; "
                f"got {trace_id!r}."
            )
        found = self.hub.by_trace(wanted) if self.hub is not None else []
        # A span can arrive twice (its own process kept it, and a collector fanned it back).
        spans = list({s.context.span_id: s for s in found if s.context is not None}.values())
        tree = trace_tree(wanted, spans, include_asgi_events=include_asgi_events)
        if tree is None:
            raise NotFound(
                f"No spans of trace {wanted} are held: it is older than the span store keeps "
                "(the newest 50,000 spans), or it never reached this registry."
            )
        return tree

    def logs(
        self,
        service: str | None = None,
        level: str | None = None,
        trace_id: str | None = None,
        contains: str | None = None,
        limit: int = 200,
        since_minutes: int | None = None,
    ) -> dict[str, Any]:
        """The newest matching log records, oldest first."""
        if level is not None and normalize_level(level) not in LEVELS:
            raise BadRequest(f"level must be one of {', '.join(LEVELS)}; got {level!r}.")
        if not 1 <= limit <= MAX_LOG_LIMIT:
            raise BadRequest(f"limit must be between 1 and {MAX_LOG_LIMIT}; got {limit}.")
        if since_minutes is not None and not 1 <= since_minutes <= MAX_WINDOW:
            raise BadRequest(
                f"sinceMinutes must be between 1 and {MAX_WINDOW}; got {since_minutes}."
            )
        since = self.clock() - since_minutes * 60 if since_minutes is not None else None
        entries = self.logs_store.query(
            service=service or None,
            level=level or None,
            trace_id=trace_id or None,
            contains=contains or None,
            since=since,
            limit=limit,
        )
        filters = {
            "service": service,
            "level": normalize_level(level) if level else None,
            "trace_id": trace_id,
            "contains": contains,
            "since_minutes": since_minutes,
        }
        return {
            "records": [entry.to_json() for entry in entries],
            "count": len(entries),
            "limit": limit,
            "filters": {k: v for k, v in filters.items() if v is not None},
            "generated_at": iso(self.clock()),
        }

    def recent_requests(
        self, service: str | None = None, min_status: int = 0, limit: int = 50
    ) -> dict[str, Any]:
        """The newest HTTP requests with their trace ids, newest first."""
        if not 1 <= limit <= MAX_LOG_LIMIT:
            raise BadRequest(f"limit must be between 1 and {MAX_LOG_LIMIT}; got {limit}.")
        self.sync()
        records = self.store.recent(service=service or None, min_status=min_status, limit=limit)
        return {
            "requests": [
                {
                    "at": iso(r.at),
                    "service": r.service,
                    "method": r.method,
                    "route": r.route,
                    "status": r.status,
                    "duration_ms": round(r.duration_ms, 1),
                    "trace_id": r.trace_id,
                }
                for r in records
            ],
            "count": len(records),
        }
