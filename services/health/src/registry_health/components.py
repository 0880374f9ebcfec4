"""The spec's `HealthComponentCollection`: one entry per service and per backing component.

Pure functions of what the feed collected (`Observations`): the checks' answers, the request
records of the window, the bus statistics. Statuses:

* a failing check → critical (a service that does not answer, a backing component a service
  cannot reach, an external API that does not answer or answers 5xx);
* a service whose backing component fails, an error rate (5xx) above the threshold, a p95
  latency above the threshold, dead letters, a queue backlog, a rate limit → degraded;
* nothing known (no check configured and no requests in the window) → unknown.

A service's status is the worse of its check and its request metrics; "no requests" leaves
the check to decide.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from registry_common.bus.port import BusStats
from registry_health.checks import PeerReport, ProbeResult
from registry_health.telemetry_store import (
    RequestRecord,
    RequestStats,
    bucket_seconds_for,
    bucketize,
    summarize,
)

SERVICES = ("gateway", "auth", "ingest", "scoring", "lineage", "health")
BACKING = ("database", "blob-store", "event-bus", "huggingface-hub", "github-api")

SEVERITY = {"ok": 0, "unknown": 1, "degraded": 2, "critical": 3}

Metrics = dict[str, int | float | str | bool]

DISPLAY = {
    "gateway": (
        "Gateway (public API)",
        "The registry's REST API: authentication, permission checks, routing to the "
        "services, downloads.",
    ),
    "auth": ("Authentication service", "Users, permissions, password hashes and tokens."),
    "ingest": (
        "Ingest service",
        "Registers artifacts from Hugging Face, GitHub and uploads; catalog, search, versions, "
        "audit trail.",
    ),
    "scoring": ("Scoring service", "Rates models: quality metrics, reproducibility, tree score."),
    "lineage": ("Lineage service", "Lineage graph, size cost and license compatibility."),
    "health": ("Health service", "This feed: request metrics, traces, logs, component checks."),
    "database": ("Database", "Each service's tables."),
    "blob-store": ("Blob store", "Artifact bundles and uploaded files."),
    "event-bus": ("Event bus", "Events between services, one queue and dead-letter queue each."),
    "huggingface-hub": ("Hugging Face Hub", "Where model and dataset artifacts are fetched."),
    "github-api": ("GitHub API", "Repository metrics and licenses for ratings and checks."),
}

# The key under which services report a backing component in `/internal/health`.
REPORTED_AS = {"database": "database", "blob-store": "blob store", "event-bus": "event bus"}


@dataclass(frozen=True)
class Thresholds:
    error_rate: float = 0.05
    p95_ms: float = 2000.0
    queue_depth: int = 100
    latency_exempt: tuple[str, ...] = ()
    _exempt_pattern: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _decided: dict[tuple[str, str], bool] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        joined = "|".join(f"(?:{p})" for p in self.latency_exempt)
        object.__setattr__(self, "_exempt_pattern", re.compile(joined) if joined else None)

    def exempt(self, record: RequestRecord) -> bool:
        """Slow by design: not held against the latency threshold (one regex per endpoint)."""
        if self._exempt_pattern is None:
            return False
        key = (record.method, record.route)
        decided = self._decided.get(key)
        if decided is None:
            decided = bool(self._exempt_pattern.search(f"{record.method} {record.route}"))
            if len(self._decided) < 10_000:
                self._decided[key] = decided
        return decided


@dataclass
class Observations:
    """Everything one feed request collected, at `now` (seconds since the epoch)."""

    now: float
    window_seconds: float
    reports: Mapping[str, PeerReport]
    requests: Sequence[RequestRecord]  # SERVER records of the window, all services
    events: Sequence[RequestRecord]  # CONSUMER records of the window
    bus_stats: BusStats | None = None
    bus_stats_error: str | None = None
    probes: Mapping[str, ProbeResult | None] = field(default_factory=dict)
    log_updated: Mapping[str, float] = field(default_factory=dict)
    descriptions: Mapping[str, str] = field(default_factory=dict)  # backing ids → deployment

    @property
    def window_start(self) -> float:
        return self.now - self.window_seconds


@dataclass
class ComponentsReport:
    document: dict[str, Any]  # the HealthComponentCollection
    last_event: dict[str, float]  # component id → newest request/event seen in the window


def iso(at: float) -> str:
    """UTC, millisecond precision, `Z` suffix: RFC 3339 and the spec's date-time."""
    stamp = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    return stamp + "Z"


def worst(statuses: Iterable[str]) -> str:
    return max(statuses, key=SEVERITY.__getitem__, default="unknown")


def combine(*statuses: str) -> str:
    """The worst of what is known; unknown only when nothing is."""
    known = [s for s in statuses if s != "unknown"]
    return worst(known) if known else "unknown"


def issue(code: str, severity: str, summary: str, details: str | None = None) -> dict[str, str]:
    body = {"code": code, "severity": severity, "summary": summary}
    if details:
        body["details"] = details
    return body


def log_url(base_url: str, **filters: str) -> str:
    query = urlencode({k: v for k, v in filters.items() if v})
    return f"{base_url.rstrip('/')}/health/logs" + (f"?{query}" if query else "")


def log_reference(
    label: str, base_url: str, updated: float | None, **filters: str
) -> dict[str, Any]:
    ref: dict[str, Any] = {
        "label": label,
        "url": log_url(base_url, **filters),
        "tail_available": True,
    }
    if updated is not None:
        ref["last_updated_at"] = iso(updated)
    return ref


class ComponentsBuilder:
    def __init__(self, thresholds: Thresholds) -> None:
        self.thresholds = thresholds

    def build(
        self, obs: Observations, *, window_minutes: int, include_timeline: bool, base_url: str
    ) -> ComponentsReport:
        components: list[dict[str, Any]] = []
        last_event: dict[str, float] = {}
        by_service: dict[str, list[RequestRecord]] = {name: [] for name in SERVICES}
        for record in obs.requests:
            by_service.setdefault(record.service, []).append(record)
        for name in SERVICES:
            records = by_service[name]
            entry, stats = self.service_entry(
                name, obs, records, window_minutes=window_minutes, base_url=base_url
            )
            if include_timeline:
                entry["timeline"] = self.timeline(
                    records, obs, "requests/min", "errors/min", latency_unit="p95 ms"
                )
            if stats.last_at is not None:
                last_event[name] = stats.last_at
            components.append(entry)
        for key in ("database", "blob-store"):
            components.append(self.reported_entry(key, obs, base_url))
        bus = self.bus_entry(obs, window_minutes=window_minutes, base_url=base_url)
        if include_timeline:
            bus["timeline"] = self.timeline(obs.events, obs, "events/min", "failed events/min")
        if obs.events:
            last_event["event-bus"] = max(r.at for r in obs.events)
        components.append(bus)
        components.append(
            self.probe_entry("huggingface-hub", obs, base_url, contains="huggingface")
        )
        components.append(self.probe_entry("github-api", obs, base_url, contains="github"))
        document = {
            "components": components,
            "generated_at": iso(obs.now),
            "window_minutes": window_minutes,
        }
        return ComponentsReport(document, last_event)

    # ------------------------------------------------------------ pieces

    def _base(self, component_id: str, status: str, observed_at: float) -> dict[str, Any]:
        display, description = DISPLAY[component_id]
        return {
            "id": component_id,
            "display_name": display,
            "status": status,
            "observed_at": iso(observed_at),
            "description": description,
        }

    def timeline(
        self,
        records: Sequence[RequestRecord],
        obs: Observations,
        unit: str,
        error_unit: str,
        *,
        latency_unit: str | None = None,
    ) -> list[dict[str, Any]]:
        """Per bucket: the rate, the error rate and (with `latency_unit`) the p95 latency of
        the requests timed as the p95 metric times them; a bucket without any has no latency
        entry (unknown, not 0)."""
        seconds = bucket_seconds_for(obs.window_seconds)
        entries: list[dict[str, Any]] = []
        buckets = bucketize(
            records, obs.window_start, obs.now, seconds, latency_exempt=self.thresholds.exempt
        )
        for bucket in buckets:
            entries.append(
                {"bucket": iso(bucket.start), "value": round(bucket.per_minute, 3), "unit": unit}
            )
            entries.append(
                {
                    "bucket": iso(bucket.start),
                    "value": round(bucket.errors_per_minute, 3),
                    "unit": error_unit,
                }
            )
            if latency_unit is not None and bucket.p95_ms is not None:
                entries.append(
                    {
                        "bucket": iso(bucket.start),
                        "value": round(bucket.p95_ms, 1),
                        "unit": latency_unit,
                    }
                )
        return entries

    def request_metrics(self, stats: RequestStats, window_minutes: int) -> Metrics:
        metrics: Metrics = {
            "requests": stats.requests,
            "errors": stats.errors,
            "client_errors": stats.client_errors,
            "requests_per_minute": round(stats.requests / window_minutes, 3),
        }
        if stats.error_rate is not None:
            metrics["error_rate"] = round(stats.error_rate, 4)
        if stats.p50_ms is not None and stats.p95_ms is not None:
            metrics["p50_ms"] = round(stats.p50_ms, 1)
            metrics["p95_ms"] = round(stats.p95_ms, 1)
        if stats.last_at is not None:
            metrics["last_request_at"] = iso(stats.last_at)
        return metrics

    def request_status(
        self,
        name: str,
        records: Sequence[RequestRecord],
        stats: RequestStats,
        window_minutes: int,
        *,
        what: str = "requests",
        failed: str = "failed with a server error",
    ) -> tuple[str, list[dict[str, str]]]:
        if stats.requests == 0:
            return "unknown", []
        issues: list[dict[str, str]] = []
        status = "ok"
        rate = stats.error_rate or 0.0
        if rate > self.thresholds.error_rate:
            status = "degraded"
            top = Counter(r.endpoint for r in records if r.is_error).most_common(3)
            where = "; ".join(f"{endpoint}: {count}" for endpoint, count in top)
            issues.append(
                issue(
                    "high_error_rate",
                    "warning",
                    f"{stats.errors} of {stats.requests} {what} {failed} ({rate:.1%}) in the "
                    f"last {window_minutes} minutes; the threshold is "
                    f"{self.thresholds.error_rate:.0%}.",
                    f"Most failures: {where}. The {name} logs at level error carry the trace "
                    "id of each failure.",
                )
            )
        if stats.p95_ms is not None and stats.p95_ms > self.thresholds.p95_ms:
            status = "degraded"
            slow = Counter(
                r.endpoint
                for r in records
                if r.duration_ms > self.thresholds.p95_ms and not self.thresholds.exempt(r)
            ).most_common(3)
            issues.append(
                issue(
                    "high_latency",
                    "warning",
                    f"The 95th percentile latency is {stats.p95_ms:.0f} ms; the threshold is "
                    f"{self.thresholds.p95_ms:.0f} ms.",
                    "Slowest: " + "; ".join(f"{e}: {c}" for e, c in slow) + ".",
                )
            )
        return status, issues

    def service_entry(
        self,
        name: str,
        obs: Observations,
        records: Sequence[RequestRecord],
        *,
        window_minutes: int,
        base_url: str,
    ) -> tuple[dict[str, Any], RequestStats]:
        report = obs.reports.get(name)
        issues: list[dict[str, str]] = []
        if report is None:
            check = "unknown"
            issues.append(
                issue(
                    "not_monitored",
                    "info",
                    f"The health service has no address for the {name} service; only its "
                    "request metrics are reported.",
                )
            )
        else:
            check = "critical" if report.status == "critical" else report.status
            if report.status == "critical":
                issues.append(
                    issue(
                        "service_unreachable",
                        "error",
                        f"The {name} service does not answer its health check.",
                        f"The {name} service {report.detail or 'did not answer'}.",
                    )
                )
            for component, result in report.components.items():
                if result.get("status", "ok") != "ok":
                    issues.append(
                        issue(
                            "dependency_unreachable",
                            "warning",
                            f"The {name} service cannot use its {component}.",
                            result.get("detail"),
                        )
                    )
        stats = summarize(records, self.thresholds.exempt)
        metric_status, metric_issues = self.request_status(name, records, stats, window_minutes)
        issues.extend(metric_issues)
        metrics = self.request_metrics(stats, window_minutes)
        if report is not None and report.latency_ms is not None:
            metrics["check_latency_ms"] = report.latency_ms
        observed = report.checked_at if report is not None else obs.now
        entry = self._base(name, combine(check, metric_status), observed)
        display = DISPLAY[name][0]
        entry["metrics"] = metrics
        entry["issues"] = issues
        entry["logs"] = [
            log_reference(f"{display} logs", base_url, obs.log_updated.get(name), service=name),
            log_reference(
                f"{display} warnings and errors",
                base_url,
                obs.log_updated.get(name),
                service=name,
                level="warning",
            ),
        ]
        return entry, stats

    def reported_entry(self, key: str, obs: Observations, base_url: str) -> dict[str, Any]:
        """A backing component, judged by what the services that use it report."""
        status, issues, metrics = self._from_reports(key, obs.reports)
        entry = self._base(key, status, _latest_check(obs))
        if key in obs.descriptions:
            entry["description"] = f"{entry['description']} {obs.descriptions[key]}"
        entry["metrics"] = metrics
        entry["issues"] = issues
        word = {"database": "database", "blob-store": "blob"}[key]
        entry["logs"] = [
            log_reference(
                f"Warnings and errors mentioning the {DISPLAY[key][0].lower()}",
                base_url,
                None,
                level="warning",
                contains=word,
            )
        ]
        return entry

    def _from_reports(
        self, key: str, reports: Mapping[str, PeerReport]
    ) -> tuple[str, list[dict[str, str]], Metrics]:
        reported_as = REPORTED_AS[key]
        display = DISPLAY[key][0].lower()
        reporters = {
            name: report.components[reported_as]
            for name, report in reports.items()
            if report.reachable and reported_as in report.components
        }
        failing = {n: c for n, c in reporters.items() if c.get("status", "ok") != "ok"}
        metrics: Metrics = {"services_reporting": len(reporters), "services_failing": len(failing)}
        issues: list[dict[str, str]] = []
        if not reporters:
            issues.append(
                issue(
                    "no_reports",
                    "info",
                    f"No reachable service reports on the {display}.",
                    "The services that use it are unreachable or not monitored.",
                )
            )
            return "unknown", issues, metrics
        for name, result in sorted(failing.items()):
            issues.append(
                issue(
                    "dependency_unreachable",
                    "error",
                    f"The {name} service cannot reach the {display}.",
                    result.get("detail"),
                )
            )
        return ("critical" if failing else "ok"), issues, metrics

    def bus_entry(self, obs: Observations, *, window_minutes: int, base_url: str) -> dict[str, Any]:
        status, issues, metrics = self._from_reports("event-bus", obs.reports)
        depth, dead = merged_bus_stats(obs)
        statuses = [status]
        if depth is not None and dead is not None:
            metrics["queue_depth"] = sum(depth.values())
            metrics["dead_letters"] = sum(dead.values())
            for consumer in sorted(depth):
                metrics[f"queue_depth.{consumer}"] = depth[consumer]
            for consumer in sorted(dead):
                metrics[f"dead_letters.{consumer}"] = dead[consumer]
            holding = {c: n for c, n in sorted(dead.items()) if n}
            if holding:
                statuses.append("degraded")
                issues.append(
                    issue(
                        "dead_letters_present",
                        "warning",
                        f"{sum(holding.values())} events are in dead-letter queues.",
                        "Per consumer: "
                        + ", ".join(f"{c}: {n}" for c, n in holding.items())
                        + ". Each one failed every delivery attempt; the consumer's logs "
                        "(event bus.event.failed) say why. Fix the cause, then redrive.",
                    )
                )
            backlog = {c: n for c, n in sorted(depth.items()) if n > self.thresholds.queue_depth}
            if backlog:
                statuses.append("degraded")
                issues.append(
                    issue(
                        "queue_backlog",
                        "warning",
                        f"Events are piling up (more than {self.thresholds.queue_depth} waiting).",
                        "Per consumer: " + ", ".join(f"{c}: {n}" for c, n in backlog.items()) + ".",
                    )
                )
            if status == "unknown":
                statuses.append("ok")  # the bus answered its statistics
        elif obs.bus_stats_error is not None:
            statuses.append("degraded")
            issues.append(
                issue(
                    "bus_stats_unavailable",
                    "warning",
                    "The queue depths could not be read.",
                    obs.bus_stats_error,
                )
            )
        stats = summarize(obs.events)
        metrics["events_handled"] = stats.requests - stats.errors
        metrics["events_failed"] = stats.errors
        event_status, event_issues = self.request_status(
            "event bus",
            obs.events,
            RequestStats(stats.requests, stats.errors, 0, None, None, stats.last_at),
            window_minutes,
            what="event deliveries",
            failed="failed in their handler",
        )
        for found in event_issues:
            found["code"] = "event_failures"
            found["details"] = (
                "Failed handlers are retried, then dead-lettered. The logs (event "
                "bus.event.failed) name each failure with its trace id."
            )
        statuses.append(event_status)
        issues.extend(event_issues)
        entry = self._base("event-bus", combine(*statuses), _latest_check(obs))
        if "event-bus" in obs.descriptions:
            entry["description"] = f"{entry['description']} {obs.descriptions['event-bus']}"
        entry["metrics"] = metrics
        entry["issues"] = issues
        entry["logs"] = [
            log_reference("Event bus logs", base_url, obs.log_updated.get("bus"), contains="bus."),
            log_reference(
                "Failed event deliveries",
                base_url,
                None,
                level="warning",
                contains="bus.event",
            ),
        ]
        return entry

    def probe_entry(
        self, key: str, obs: Observations, base_url: str, *, contains: str
    ) -> dict[str, Any]:
        result = obs.probes.get(key)
        display = DISPLAY[key][0]
        if result is None:
            entry = self._base(key, "unknown", obs.now)
            entry["issues"] = [
                issue("not_checked", "info", f"Reachability of the {display} is not checked.")
            ]
        else:
            entry = self._base(key, result.status, result.checked_at)
            entry["metrics"] = dict(result.metrics)
            entry["issues"] = (
                [
                    issue(
                        result.code,
                        "error" if result.status == "critical" else "warning",
                        result.summary,
                        result.details,
                    )
                ]
                if result.code
                else []
            )
        if key in obs.descriptions:
            entry["description"] = f"{entry['description']} {obs.descriptions[key]}"
        entry["logs"] = [
            log_reference(
                f"Warnings and errors mentioning the {display}",
                base_url,
                None,
                level="warning",
                contains=contains,
            )
        ]
        return entry


def merged_bus_stats(obs: Observations) -> tuple[dict[str, int] | None, dict[str, int] | None]:
    """Queue depth and dead letters per consumer, from the bus handle and from any service
    that includes `"bus": {"queue_depth": {...}, "dead_letters": {...}}` in its report
    (several services share one bus in embedded mode: the larger number wins)."""
    depth: dict[str, int] = {}
    dead: dict[str, int] = {}
    seen = False
    sources: list[tuple[Mapping[str, int], Mapping[str, int]]] = []
    if obs.bus_stats is not None:
        sources.append((obs.bus_stats.queue_depth, obs.bus_stats.dead_letters))
    for report in obs.reports.values():
        if report.reachable and report.bus:
            sources.append((report.bus.get("queue_depth", {}), report.bus.get("dead_letters", {})))
    for source_depth, source_dead in sources:
        seen = True
        for consumer, count in source_depth.items():
            depth[consumer] = max(depth.get(consumer, 0), int(count))
        for consumer, count in source_dead.items():
            dead[consumer] = max(dead.get(consumer, 0), int(count))
    return (depth, dead) if seen else (None, None)


def _latest_check(obs: Observations) -> float:
    return max((r.checked_at for r in obs.reports.values()), default=obs.now)
