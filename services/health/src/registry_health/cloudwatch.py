"""The health feed's figures as CloudWatch metrics, for the alarms and the dashboard in AWS.

Every `interval` seconds (default 60) the publisher turns what the feed knows into metric
data and sends it with `PutMetricData` (namespace `Registry` unless configured), each datum
stamped with the end of the period it describes:

* per service (dimension `Service`), over the period since the last publication (so sums
  over any CloudWatch period are exact): `Requests`, `Errors5xx` (counts), `ErrorRate`
  (percent, only with requests), `LatencyP95` (milliseconds, requests not exempt from the
  latency check; only when there were some);
* per component (dimension `Component`: every id of `/health/components`, services
  included): `Status`, 0 ok, 1 unknown, 2 degraded, 3 critical, as judged over the feed's
  shortest window (5 minutes);
* the event bus (dimension `Component=event-bus`, and with `Queue=<consumer>` per queue):
  `QueueDepth`, `DeadLetters`.

docs/observability.md lists the names; the deployment's alarms use them verbatim.

CloudWatch being unreachable must never hurt the feed: a failed publication is logged
(`health.cloudwatch.publish_failed`) and its data kept, timestamps intact, to go with the
next attempt; the backlog is bounded (`max_pending` datums, the oldest dropped and counted).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from registry_common.aws import aws_client
from registry_common.errors import ComponentUnavailable
from registry_common.settings import RuntimeSettings
from registry_health.feed import HealthFeed
from registry_health.telemetry_store import summarize

SERVICES = ("gateway", "auth", "ingest", "scoring", "lineage", "health")

STATUS_VALUES = {"ok": 0, "unknown": 1, "degraded": 2, "critical": 3}
COMPONENT = "CloudWatch"
BATCH = 20  # data per PutMetricData call: the smallest limit CloudWatch ever had


@dataclass(frozen=True)
class MetricDatum:
    name: str
    value: float
    unit: str  # CloudWatch StandardUnit: "Count", "Percent", "Milliseconds", "None"
    dimensions: tuple[tuple[str, str], ...]
    at: float  # seconds since the epoch

    def to_aws(self) -> dict[str, Any]:
        return {
            "MetricName": self.name,
            "Dimensions": [{"Name": n, "Value": v} for n, v in self.dimensions],
            "Timestamp": datetime.fromtimestamp(self.at, UTC),
            "Value": float(self.value),
            "Unit": self.unit,
        }


class MetricSink(Protocol):
    async def put(self, namespace: str, data: Sequence[MetricDatum]) -> None:
        """Store every datum, or raise ComponentUnavailable naming the metrics store."""
        ...


class CloudWatchSink:
    """`PutMetricData`; a client per publication (one a minute: nothing to keep open)."""

    def __init__(self, runtime: RuntimeSettings) -> None:
        self._runtime = runtime

    async def put(self, namespace: str, data: Sequence[MetricDatum]) -> None:
        try:
            async with aws_client(
                self._runtime, "cloudwatch", connect_timeout=2, read_timeout=10
            ) as client:
                for start in range(0, len(data), BATCH):
                    chunk = [d.to_aws() for d in data[start : start + BATCH]]
                    await client.put_metric_data(Namespace=namespace, MetricData=chunk)
        except (BotoCoreError, ClientError, OSError, TimeoutError) as exc:
            if isinstance(exc, ClientError):
                error = exc.response.get("Error", {})
                reason = f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip()
            else:
                reason = str(exc) or type(exc).__name__
            raise ComponentUnavailable(COMPONENT, reason) from exc


@dataclass
class InMemoryMetricSink:
    """Keeps what was put; `down` makes it fail like an unreachable CloudWatch."""

    down: bool = False
    stored: list[tuple[str, MetricDatum]] = field(default_factory=list)

    async def put(self, namespace: str, data: Sequence[MetricDatum]) -> None:
        if self.down:
            raise ComponentUnavailable(COMPONENT, "connection refused")
        self.stored.extend((namespace, d) for d in data)


def figures(
    feed: HealthFeed, document: dict[str, Any], since: float, now: float
) -> list[MetricDatum]:
    """The metric data of one period: requests in (since, now], statuses and queues now."""
    data: list[MetricDatum] = []
    by_service: dict[str, list[Any]] = defaultdict(list)
    for record in feed.store.window(since, now, kind="server"):
        by_service[record.service].append(record)
    for service in sorted(set(SERVICES) | set(by_service)):
        stats = summarize(by_service.get(service, []), feed.thresholds.exempt)
        dims = (("Service", service),)
        data.append(MetricDatum("Requests", stats.requests, "Count", dims, now))
        data.append(MetricDatum("Errors5xx", stats.errors, "Count", dims, now))
        if stats.error_rate is not None:
            data.append(MetricDatum("ErrorRate", stats.error_rate * 100, "Percent", dims, now))
        if stats.p95_ms is not None:
            data.append(MetricDatum("LatencyP95", stats.p95_ms, "Milliseconds", dims, now))
    for component in document["components"]:
        status = STATUS_VALUES.get(str(component.get("status")), 1)
        dims = (("Component", str(component["id"])),)
        data.append(MetricDatum("Status", status, "None", dims, now))
        if component["id"] != "event-bus":
            continue
        for key, value in (component.get("metrics") or {}).items():
            name, _, queue = key.partition(".")
            metric = {"queue_depth": "QueueDepth", "dead_letters": "DeadLetters"}.get(name)
            if metric is None or not isinstance(value, int | float):
                continue
            queue_dims = dims + ((("Queue", queue),) if queue else ())
            data.append(MetricDatum(metric, value, "Count", queue_dims, now))
    return data


class CloudWatchPublisher:
    def __init__(
        self,
        feed: HealthFeed,
        sink: MetricSink,
        *,
        namespace: str = "Registry",
        interval: float = 60.0,
        max_pending: int = 10_000,
        log: Any,
    ) -> None:
        self.feed = feed
        self.sink = sink
        self.namespace = namespace
        self.interval = interval
        self.max_pending = max_pending
        self.log = log
        self.published = 0
        self.dropped = 0
        self.failures = 0
        self._pending: deque[MetricDatum] = deque()
        self._since = feed.clock()

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def publish_once(self) -> bool:
        """Collect one period and send it with whatever earlier attempts left; True when
        CloudWatch took everything."""
        now = self.feed.clock()
        try:
            report, _ = await self.feed.components_report(5)
            self._pending.extend(figures(self.feed, report.document, self._since, now))
        except Exception as exc:  # the feed's own trouble: report it, keep publishing later
            self.log.warning("health.cloudwatch.collect_failed", error=f"{type(exc).__name__}")
            return False
        self._since = now
        overflow = len(self._pending) - self.max_pending
        for _ in range(max(0, overflow)):
            self._pending.popleft()
            self.dropped += 1
        batch = list(self._pending)
        try:
            await self.sink.put(self.namespace, batch)
        except ComponentUnavailable as exc:
            self.failures += 1
            self.log.warning(
                "health.cloudwatch.publish_failed",
                error=exc.message,
                pending=len(batch),
                dropped=self.dropped,
                retry_in_seconds=self.interval,
            )
            return False
        for _ in batch:
            self._pending.popleft()
        self.published += len(batch)
        if self.failures:
            self.log.info("health.cloudwatch.publish_recovered", data=len(batch))
            self.failures = 0
        return True

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.publish_once()
            except Exception as exc:  # a bug here must not end the publishing for good
                self.log.exception("health.cloudwatch.publish_error", error=type(exc).__name__)
