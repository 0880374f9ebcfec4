"""The CloudWatch publisher against the AWS API emulator: after a scripted session the
metrics the alarms use are in CloudWatch with the right names, dimensions and values; an
outage of CloudWatch is logged, retried with its data intact, and never breaks the feed."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from registry_common.bus.port import BusStats
from registry_common.errors import ComponentUnavailable
from registry_common.settings import RuntimeSettings
from registry_common.telemetry import configure_logging
from registry_health.cloudwatch import (
    CloudWatchPublisher,
    CloudWatchSink,
    InMemoryMetricSink,
    MetricDatum,
)
from services.health.tests.harness import Running, running_health
from services.health.tests.helpers import record
from tests.harness.registry import free_port

pytestmark = pytest.mark.integration

NAMESPACE = "RegistryTest"
ROUTE = "/internal/artifacts/{artifact_type}/{id}"


def _cloudwatch(endpoint: str) -> Any:
    return boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=endpoint)


def _session(health: Running, *, ingest_errors: int) -> None:
    """One minute of traffic: ten ingest requests (some failing), five gateway requests."""
    start = health.clock()
    health.clock.advance(60)
    for n in range(10):
        health.feed.store.add(
            [
                record(
                    start + 1 + n,
                    service="ingest",
                    route=ROUTE,
                    status=503 if n < ingest_errors else 200,
                    duration_ms=10.0 * (n + 1),
                )
            ]
        )
    health.feed.store.add([record(start + 20 + n, service="gateway") for n in range(5)])


def _stat(
    cloudwatch: Any,
    metric: str,
    dimensions: dict[str, str],
    at: float,
    stat: str = "Sum",
    namespace: str = NAMESPACE,
) -> float | None:
    moment = datetime.fromtimestamp(at, UTC)
    answer = cloudwatch.get_metric_statistics(
        Namespace=namespace,
        MetricName=metric,
        Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
        StartTime=moment - timedelta(hours=1),
        EndTime=moment + timedelta(hours=1),
        Period=3600 * 2,
        Statistics=["Sum", "Maximum"],
    )
    points = answer["Datapoints"]
    if not points:
        return None
    values = [p[stat] for p in points]
    return sum(values) if stat == "Sum" else max(values)


def _sum(
    cloudwatch: Any, metric: str, dimensions: dict[str, str], at: float, namespace: str = NAMESPACE
) -> float | None:
    return _stat(cloudwatch, metric, dimensions, at, namespace=namespace)


def _max(cloudwatch: Any, metric: str, dimensions: dict[str, str], at: float) -> float | None:
    """Gauges (status, queue depth). The emulator also counts data whose dimensions merely
    include the asked ones (CloudWatch matches them exactly), so a sum would add the
    per-queue figures to the total; the maximum is right in both."""
    return _stat(cloudwatch, metric, dimensions, at, "Maximum")


def _publisher(health: Running) -> CloudWatchPublisher:
    publisher = health.app.state.cloudwatch
    assert isinstance(publisher, CloudWatchPublisher)
    return publisher


async def test_the_feed_figures_land_in_cloudwatch(tmp_path: Path, aws_endpoint: str) -> None:
    sink = CloudWatchSink(RuntimeSettings(aws_endpoint_url=aws_endpoint))
    async with running_health(
        tmp_path,
        metric_sink=sink,
        cloudwatch_metrics=True,
        cloudwatch_namespace=NAMESPACE,
        cloudwatch_interval_seconds=3600,  # published by hand below, never by the timer
    ) as health:
        health.bus.stats_value = BusStats(
            queue_depth={"ingest": 0, "scoring": 7}, dead_letters={"ingest": 0, "scoring": 1}
        )
        _session(health, ingest_errors=2)
        assert await _publisher(health).publish_once()
        now = health.clock()

    cloudwatch = _cloudwatch(aws_endpoint)
    listed = cloudwatch.list_metrics(Namespace=NAMESPACE)["Metrics"]
    names = {
        (m["MetricName"], tuple(sorted((d["Name"], d["Value"]) for d in m["Dimensions"])))
        for m in listed
    }
    for service in ("gateway", "auth", "ingest", "scoring", "lineage", "health"):
        assert ("Requests", (("Service", service),)) in names
        assert ("Errors5xx", (("Service", service),)) in names
        assert ("Status", (("Component", service),)) in names
    for component in ("database", "blob-store", "event-bus", "huggingface-hub", "github-api"):
        assert ("Status", (("Component", component),)) in names
    assert ("QueueDepth", (("Component", "event-bus"), ("Queue", "scoring"))) in names
    assert ("DeadLetters", (("Component", "event-bus"),)) in names
    # Only services with requests have a rate and a latency (a rate of nothing is unknown).
    assert ("ErrorRate", (("Service", "auth"),)) not in names

    ingest = {"Service": "ingest"}
    assert _sum(cloudwatch, "Requests", ingest, now) == 10
    assert _sum(cloudwatch, "Errors5xx", ingest, now) == 2
    assert _sum(cloudwatch, "ErrorRate", ingest, now) == 20
    assert _sum(cloudwatch, "LatencyP95", ingest, now) == 100  # nearest rank of 10..100 ms
    assert _sum(cloudwatch, "Requests", {"Service": "gateway"}, now) == 5
    assert _sum(cloudwatch, "Requests", {"Service": "auth"}, now) == 0
    assert _max(cloudwatch, "Status", {"Component": "ingest"}, now) == 2  # degraded: 20 % 5xx
    assert _max(cloudwatch, "Status", {"Component": "auth"}, now) == 0  # ok
    assert _max(cloudwatch, "QueueDepth", {"Component": "event-bus"}, now) == 7
    assert _max(cloudwatch, "DeadLetters", {"Component": "event-bus", "Queue": "scoring"}, now) == 1


@pytest.fixture
def own_emulator() -> Iterator[tuple[ThreadedMotoServer, str]]:
    """An emulator of this test's own, to stop and start again on the same port."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield server, f"http://127.0.0.1:{port}"
    finally:
        server.stop()


async def test_a_cloudwatch_outage_is_logged_retried_and_spares_the_feed(
    tmp_path: Path, own_emulator: tuple[ThreadedMotoServer, str]
) -> None:
    server, endpoint = own_emulator
    configure_logging("INFO", stream=io.StringIO())
    sink = CloudWatchSink(RuntimeSettings(aws_endpoint_url=endpoint))
    cloudwatch = _cloudwatch(endpoint)
    # Emulator state is per process: a namespace of its own keeps other tests' data apart.
    namespace = "RegistryOutageTest"
    async with running_health(
        tmp_path,
        metric_sink=sink,
        cloudwatch_metrics=True,
        cloudwatch_namespace=namespace,
        cloudwatch_interval_seconds=3600,
    ) as health:
        publisher = _publisher(health)
        server.stop()  # CloudWatch is gone
        _session(health, ingest_errors=0)
        assert not await publisher.publish_once()
        backlog = publisher.pending
        assert backlog > 0
        # The feed answers as ever while CloudWatch is down.
        assert (await health.client.get("/internal/components")).status_code == 200
        failures = health.feed.logs(contains="health.cloudwatch.publish_failed")["records"]
        assert failures
        assert failures[-1]["level"] == "warning"
        assert "CloudWatch" in failures[-1]["error"]

        _session(health, ingest_errors=1)  # another minute passes, still down
        assert not await publisher.publish_once()
        assert publisher.pending > backlog

        server.start()  # back, on the same port
        assert await publisher.publish_once()
        assert publisher.pending == 0
        now = health.clock()
        recovered = health.feed.logs(contains="health.cloudwatch.publish_recovered")["records"]
        assert recovered

    # Nothing was lost: both minutes of the outage are in CloudWatch.
    ingest = {"Service": "ingest"}
    assert _sum(cloudwatch, "Requests", ingest, now, namespace) == 20
    assert _sum(cloudwatch, "Errors5xx", ingest, now, namespace) == 1


async def test_the_in_memory_sink_keeps_data_and_fails_like_an_unreachable_cloudwatch() -> None:
    sink = InMemoryMetricSink()
    datum = MetricDatum("Requests", 3, "Count", (("Service", "ingest"),), at=1_700_000_000.0)
    await sink.put("Registry", [datum])
    assert sink.stored == [("Registry", datum)]
    sink.down = True
    with pytest.raises(ComponentUnavailable) as down:
        await sink.put("Registry", [datum])
    assert down.value.status == 503
    assert down.value.message == (
        "The CloudWatch is unavailable right now (connection refused); "
        "nothing was changed, please retry shortly."
    )
    assert sink.stored == [("Registry", datum)]
