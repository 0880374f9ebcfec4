"""The spec's `HealthSummaryResponse`: the registry in one glance.

Status is the worst component (critical > degraded > unknown > ok); request figures count
the gateway's requests, i.e. the public API as its clients used it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from registry_health.components import SEVERITY, ComponentsReport, iso, log_reference, worst
from registry_health.telemetry_store import RequestRecord

ARTIFACT_TYPES = frozenset({"model", "dataset", "code"})


def artifact_type_of(record: RequestRecord) -> str | None:
    """The artifact type a request was about: the value of the route's `{artifact_type}`
    path parameter, or a literal type in the template (`/artifact/model/{id}/rate`)."""
    template = record.route.strip("/").split("/")
    if record.path is not None:
        path = record.path.strip("/").split("/")
        if len(path) == len(template):
            for part, value in zip(template, path, strict=True):
                if part.startswith("{") and "type" in part and value in ARTIFACT_TYPES:
                    return value
    for part in template:
        if part in ARTIFACT_TYPES:
            return part
    return None


def request_summary(
    records: Sequence[RequestRecord], window_start: float, window_end: float
) -> dict[str, Any]:
    per_route = Counter(r.endpoint for r in records)
    per_type = Counter(t for t in map(artifact_type_of, records) if t is not None)
    return {
        "window_start": iso(window_start),
        "window_end": iso(window_end),
        "total_requests": len(records),
        "per_route": dict(per_route.most_common()),
        "per_artifact_type": {t: per_type.get(t, 0) for t in ("model", "dataset", "code")},
        "unique_clients": len({r.client for r in records if r.client}),
    }


def build_summary(
    components: ComponentsReport,
    public_requests: Sequence[RequestRecord],
    *,
    now: float,
    window_minutes: int,
    started_at: float,
    version: str,
    base_url: str,
    log_updated: Mapping[str, float],
) -> dict[str, Any]:
    entries: list[dict[str, Any]] = components.document["components"]
    order = {entry["id"]: i for i, entry in enumerate(entries)}
    briefs = []
    for entry in sorted(entries, key=lambda e: (-SEVERITY[e["status"]], order[e["id"]])):
        brief: dict[str, Any] = {
            "id": entry["id"],
            "display_name": entry["display_name"],
            "status": entry["status"],
            "issue_count": sum(
                1 for found in entry.get("issues", []) if found["severity"] != "info"
            ),
        }
        last = components.last_event.get(entry["id"])
        if last is not None:
            brief["last_event_at"] = iso(last)
        briefs.append(brief)
    newest_log = max(log_updated.values(), default=None)
    return {
        "status": worst(entry["status"] for entry in entries),
        "checked_at": iso(now),
        "window_minutes": window_minutes,
        "uptime_seconds": max(0, int(now - started_at)),
        "version": version,
        "request_summary": request_summary(public_requests, now - window_minutes * 60, now),
        "components": briefs,
        "logs": [
            log_reference("All services", base_url, newest_log),
            log_reference(
                "Warnings and errors, all services", base_url, newest_log, level="warning"
            ),
            log_reference(
                "Gateway request log",
                base_url,
                log_updated.get("gateway"),
                service="gateway",
                contains="http.request",
            ),
        ],
    }
