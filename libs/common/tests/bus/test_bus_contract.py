"""One contract, two buses: what every EventBus implementation must do.

The sns-sqs parameter runs against the moto server (`aws_endpoint`), with a unique prefix
per test, short long-polling and instant retries so the suite stays fast.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import socket
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import structlog.testing
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from registry_common.aws import aws_client
from registry_common.bus.dispatch import Dispatcher, Outcome, SeenEvents, encode
from registry_common.bus.factory import create_bus
from registry_common.bus.inprocess import InProcessBus
from registry_common.bus.port import EventBus
from registry_common.bus.sns_sqs import SnsSqsBus
from registry_common.errors import ComponentUnavailable, NotFound
from registry_common.events import (
    ArtifactDeleted,
    ArtifactRef,
    ArtifactUploaded,
    Event,
    RegistryReset,
)
from registry_common.settings import RuntimeSettings
from tests.harness.deadlines import within

REF = ArtifactRef(id="a1", name="bert", type="model")


class Harness:
    """A bus under test plus what it needs: spans, raw access to its queues."""

    def __init__(
        self,
        bus: EventBus,
        exporter: InMemorySpanExporter,
        provider: TracerProvider,
        runtime: RuntimeSettings,
    ) -> None:
        self.bus = bus
        self.exporter = exporter
        self.provider = provider
        self.runtime = runtime
        self.handled: dict[str, list[Event]] = defaultdict(list)

    def record(self, consumer: str) -> Callable[[Event], Any]:
        async def handler(event: Event) -> None:
            self.handled[consumer].append(event)

        return handler

    async def send_raw(self, consumer: str, body: str) -> None:
        """A message that did not come from `publish` (a foreign or broken sender)."""
        if isinstance(self.bus, InProcessBus):
            self.bus.inject_raw(consumer, body)
            return
        assert isinstance(self.bus, SnsSqsBus)
        async with aws_client(self.runtime, "sqs") as sqs:
            url = (await sqs.get_queue_url(QueueName=self.bus.queue_name(consumer)))["QueueUrl"]
            await sqs.send_message(QueueUrl=url, MessageBody=body)


# How long a test waits for the bus to get somewhere. A poll returns as soon as it holds, so a
# generous limit costs a passing test nothing; 15 s was overrun on a loaded 2-core machine
# (dead letters through moto, while seven other suites ran).
EVENTUALLY_S = 60.0


async def eventually(
    predicate: Callable[[], bool], *, timeout: float = EVENTUALLY_S, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)


async def eventually_stats(
    bus: EventBus, predicate: Callable[[Any], bool], *, timeout: float = EVENTUALLY_S
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        stats = await bus.stats()
        if predicate(stats):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting on bus stats, last: {stats}")
        await asyncio.sleep(0.1)


def uploaded(**overrides: Any) -> ArtifactUploaded:
    return ArtifactUploaded(source="ingest", artifact=REF, **overrides)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(
    params=["inprocess", pytest.param("sns-sqs", marks=pytest.mark.integration)],
)
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    if request.param == "inprocess":
        runtime = RuntimeSettings(bus_backend="inprocess")
        bus = create_bus(
            runtime,
            consumer_tracer_provider=provider,
            max_receive_count=3,
            retry_delay_seconds=0.01,
        )
    else:
        endpoint = request.getfixturevalue("aws_endpoint")
        runtime = RuntimeSettings(
            bus_backend="sns-sqs",
            aws_endpoint_url=endpoint,
            bus_prefix=f"t{uuid.uuid4().hex[:10]}",
        )
        bus = create_bus(
            runtime,
            consumer_tracer_provider=provider,
            max_receive_count=3,
            retry_delay_seconds=0,
            wait_time_seconds=1,
            visibility_timeout=30,
            stop_timeout=5,
        )
    h = Harness(bus, exporter, provider, runtime)
    try:
        yield h
    finally:
        await bus.stop()


async def test_delivered_to_every_subscribed_consumer(harness: Harness) -> None:
    bus = harness.bus
    bus.subscribe("scoring", ArtifactUploaded, harness.record("scoring"))
    bus.subscribe("lineage", ArtifactUploaded, harness.record("lineage"))
    await bus.start()

    event = uploaded()
    await bus.publish(event)

    await eventually(
        lambda: bool(harness.handled["scoring"]) and bool(harness.handled["lineage"]),
        what="both consumers",
    )
    await bus.drain()
    assert [e.event_id for e in harness.handled["scoring"]] == [event.event_id]
    assert [e.event_id for e in harness.handled["lineage"]] == [event.event_id]


async def test_not_delivered_to_consumer_of_other_types(harness: Harness) -> None:
    bus = harness.bus
    bus.subscribe("scoring", ArtifactUploaded, harness.record("scoring"))
    bus.subscribe("lineage", ArtifactDeleted, harness.record("lineage"))
    await bus.start()

    await bus.publish(uploaded())
    await eventually(lambda: bool(harness.handled["scoring"]), what="scoring")
    await bus.drain()
    assert harness.handled["lineage"] == []

    await bus.publish(ArtifactDeleted(source="ingest", artifact=REF))
    await eventually(lambda: bool(harness.handled["lineage"]), what="lineage")
    await bus.drain()
    assert len(harness.handled["scoring"]) == 1
    assert [type(e) for e in harness.handled["lineage"]] == [ArtifactDeleted]


async def test_event_fields_round_trip(harness: Harness) -> None:
    bus = harness.bus
    bus.subscribe("lineage", ArtifactUploaded, harness.record("lineage"))
    await bus.start()

    event = uploaded(
        source_url="https://huggingface.co/google-bert/bert-base-uncased",
        uploader="alice",
        metadata={"license": "apache-2.0", "card_data": {"n": [1, 2.5, None, "ü"]}},
        trace_context={"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
    )
    await bus.publish(event)
    await eventually(lambda: bool(harness.handled["lineage"]), what="delivery")

    received = harness.handled["lineage"][0]
    assert isinstance(received, ArtifactUploaded)
    assert received == event
    assert received.occurred_at == event.occurred_at


async def test_duplicate_event_id_handled_once_per_consumer(harness: Harness) -> None:
    bus = harness.bus
    bus.subscribe("scoring", ArtifactUploaded, harness.record("scoring"))
    bus.subscribe("lineage", ArtifactUploaded, harness.record("lineage"))
    await bus.start()

    event = uploaded()
    await bus.publish(event)
    await bus.publish(event)
    await bus.publish(event)

    await eventually(
        lambda: bool(harness.handled["scoring"]) and bool(harness.handled["lineage"]),
        what="delivery",
    )
    await bus.drain()
    assert len(harness.handled["scoring"]) == 1
    assert len(harness.handled["lineage"]) == 1


async def test_failing_handler_is_retried_until_it_succeeds(harness: Harness) -> None:
    bus = harness.bus
    attempts: list[int] = []
    successes: list[Event] = []

    async def flaky(event: Event) -> None:
        attempts.append(1)
        if len(attempts) <= 2:
            raise RuntimeError("transient failure")
        successes.append(event)

    bus.subscribe("scoring", ArtifactUploaded, flaky)
    await bus.start()
    await bus.publish(uploaded())

    await eventually(lambda: bool(successes), what="the third attempt")
    await bus.drain()
    assert len(attempts) == 3
    assert len(successes) == 1
    stats = await bus.stats()
    assert stats.dead_letters == {"scoring": 0}
    assert stats.queue_depth == {"scoring": 0}


async def test_always_failing_message_ends_in_dlq_and_others_flow(harness: Harness) -> None:
    bus = harness.bus
    good: list[Event] = []
    bad_attempts: list[int] = []

    async def handler(event: Event) -> None:
        assert isinstance(event, ArtifactUploaded)
        if event.uploader == "mallory":
            bad_attempts.append(1)
            raise ValueError("this event can never be handled")
        good.append(event)

    bus.subscribe("scoring", ArtifactUploaded, handler)
    await bus.start()

    await bus.publish(uploaded(uploader="mallory"))
    later = uploaded(uploader="alice")
    await bus.publish(later)

    await eventually(lambda: bool(good), what="the later message")
    await eventually_stats(bus, lambda s: s.dead_letters.get("scoring") == 1)
    await bus.drain()
    assert [e.event_id for e in good] == [later.event_id]
    assert len(bad_attempts) == 3  # max_receive_count
    assert (await bus.stats()).queue_depth == {"scoring": 0}


async def test_publisher_and_consumer_share_one_trace(harness: Harness) -> None:
    bus = harness.bus
    seen: list[tuple[int, int]] = []

    async def handler(event: Event) -> None:
        ctx = trace.get_current_span().get_span_context()
        seen.append((ctx.trace_id, ctx.span_id))

    bus.subscribe("scoring", ArtifactUploaded, handler)
    await bus.start()

    tracer = harness.provider.get_tracer("test")
    with tracer.start_as_current_span("POST /artifact/model") as publishing:
        await bus.publish(uploaded())
    publisher = publishing.get_span_context()

    await eventually(lambda: bool(seen), what="delivery")
    assert seen[0][0] == publisher.trace_id

    def consumer_spans() -> list[Any]:
        return [
            s for s in harness.exporter.get_finished_spans() if s.kind is trace.SpanKind.CONSUMER
        ]

    await eventually(lambda: bool(consumer_spans()), what="the consumer span")
    span = consumer_spans()[0]
    assert span.name == "process ArtifactUploaded"
    assert span.context is not None
    assert span.context.trace_id == publisher.trace_id
    assert span.context.span_id == seen[0][1]  # the handler ran inside it
    assert span.parent is not None
    assert span.parent.span_id == publisher.span_id
    assert span.attributes is not None
    assert span.attributes["messaging.consumer.group.name"] == "scoring"


async def test_failed_handler_marks_its_span_as_error(harness: Harness) -> None:
    bus = harness.bus

    async def broken(event: Event) -> None:
        raise RuntimeError("boom")

    bus.subscribe("scoring", RegistryReset, broken)
    await bus.start()
    await bus.publish(RegistryReset(source="gateway"))

    await eventually_stats(bus, lambda s: s.dead_letters.get("scoring") == 1)
    spans = [s for s in harness.exporter.get_finished_spans() if s.name == "process RegistryReset"]
    assert len(spans) == 3
    assert all(s.status.status_code is trace.StatusCode.ERROR for s in spans)
    assert [s.attributes["registry.delivery.attempt"] for s in spans if s.attributes] == [1, 2, 3]


async def test_poison_message_is_dead_lettered_at_once(harness: Harness) -> None:
    bus = harness.bus
    bus.subscribe("scoring", ArtifactUploaded, harness.record("scoring"))
    await bus.start()

    await harness.send_raw("scoring", "this is {not json")
    await harness.send_raw("scoring", '{"event_type": "NoSuchEvent", "source": "x"}')
    await bus.publish(uploaded())

    await eventually(lambda: bool(harness.handled["scoring"]), what="the valid message")
    await eventually_stats(bus, lambda s: s.dead_letters.get("scoring") == 2)
    await bus.drain()
    assert len(harness.handled["scoring"]) == 1
    letters = await bus.dead_letters("scoring")
    assert [letter.receive_count for letter in letters] == [1, 1]
    reasons = sorted(letter.reason or "" for letter in letters)
    assert "not JSON" in reasons[0]
    assert "NoSuchEvent" in reasons[1]
    assert {letter.event_type for letter in letters} == {None, "NoSuchEvent"}


async def test_dead_letters_are_listed_and_redriven(harness: Harness) -> None:
    """After N failed deliveries a message is kept, listed with why, and goes back to the
    consumer's queue on redrive (once the cause is fixed), by id or all at once."""
    bus = harness.bus
    fixed = False
    handled: list[Event] = []

    async def handler(event: Event) -> None:
        if not fixed:
            raise RuntimeError("scoring bug")
        handled.append(event)

    bus.subscribe("scoring", ArtifactUploaded, handler)
    await bus.start()
    first, second, third = uploaded(), uploaded(), uploaded()
    for event in (first, second, third):
        await bus.publish(event)
    await eventually_stats(bus, lambda s: s.dead_letters.get("scoring") == 3)
    await bus.drain()

    letters = await bus.dead_letters("scoring")
    assert len(letters) == 3
    assert {letter.event_id for letter in letters} == {
        str(e.event_id) for e in (first, second, third)
    }
    for letter in letters:
        assert letter.consumer == "scoring"
        assert letter.event_type == "ArtifactUploaded"
        assert letter.receive_count == 3
        assert letter.reason == "RuntimeError: scoring bug"
        assert letter.dead_lettered_at is not None
    assert len(await bus.dead_letters("scoring", limit=2)) == 2
    # Listing leaves them in place.
    assert (await bus.stats()).dead_letters["scoring"] == 3

    fixed = True
    by_id = {letter.event_id: letter.id for letter in letters}
    result = await bus.redrive("scoring", [by_id[str(first.event_id)], "no-such-id"])
    assert (result.consumer, result.moved, result.not_found) == ("scoring", 1, ("no-such-id",))
    await eventually(lambda: len(handled) == 1, what="the redriven message")
    assert handled[0].event_id == first.event_id
    await eventually_stats(bus, lambda s: s.dead_letters.get("scoring") == 2)

    result = await bus.redrive("scoring")
    assert result.moved == 2
    await eventually(lambda: len(handled) == 3, what="every redriven message")
    await bus.drain()
    assert sorted(str(e.event_id) for e in handled) == sorted(by_id)
    stats = await bus.stats()
    assert stats.dead_letters["scoring"] == 0
    assert stats.queue_depth["scoring"] == 0
    assert (await bus.redrive("scoring")).moved == 0  # nothing left: a no-op


async def test_dead_letters_of_an_unknown_consumer(harness: Harness) -> None:
    bus = harness.bus
    bus.subscribe("scoring", ArtifactUploaded, harness.record("scoring"))
    await bus.start()
    with pytest.raises(NotFound, match="nobody"):
        await bus.dead_letters("nobody")
    with pytest.raises(NotFound, match="nobody"):
        await bus.redrive("nobody")


async def test_publish_without_subscribers(harness: Harness) -> None:
    bus = harness.bus
    await bus.start()
    await bus.publish(RegistryReset(source="gateway"))
    await bus.publish(RegistryReset(source="gateway"))
    await bus.drain()
    assert await bus.stats() == type(await bus.stats())()


async def test_check_ok(harness: Harness) -> None:
    await harness.bus.check()


async def test_stop_then_start_again_resumes_consuming(harness: Harness) -> None:
    bus = harness.bus
    bus.subscribe("scoring", ArtifactUploaded, harness.record("scoring"))
    await bus.start()
    await bus.start()  # idempotent
    await bus.stop()

    await bus.publish(uploaded())  # queued while nobody consumes
    await bus.start()
    await eventually(lambda: bool(harness.handled["scoring"]), what="delivery after restart")


# ------------------------------------------------------------ SNS+SQS specifics


def topics_of(subscriptions: list[dict[str, str]], queue_arn: str) -> list[str]:
    """Names of the topics subscribed to the queue `queue_arn`."""
    return sorted(
        s["TopicArn"].rsplit(":", 1)[-1] for s in subscriptions if s["Endpoint"] == queue_arn
    )


@pytest.mark.integration
async def test_sns_sqs_resources_and_publish_only(aws_endpoint: str) -> None:
    prefix = f"t{uuid.uuid4().hex[:10]}"
    runtime = RuntimeSettings(
        bus_backend="sns-sqs", aws_endpoint_url=aws_endpoint, bus_prefix=prefix
    )

    publisher = create_bus(runtime, wait_time_seconds=1)
    await publisher.start()
    await publisher.publish(uploaded())
    async with aws_client(runtime, "sqs") as sqs:
        queues = (await sqs.list_queues(QueueNamePrefix=prefix)).get("QueueUrls", [])
    assert queues == []  # a publish-only service creates no queues
    await publisher.stop()

    consumer = SnsSqsBus(runtime, wait_time_seconds=1, max_receive_count=4)

    async def ignore(event: Event) -> None:
        return None

    consumer.subscribe("lineage", ArtifactUploaded, ignore)
    consumer.subscribe("lineage", ArtifactDeleted, ignore)
    await consumer.start()
    try:
        async with aws_client(runtime, "sqs") as sqs, aws_client(runtime, "sns") as sns:
            names = sorted(
                url.rsplit("/", 1)[-1]
                for url in (await sqs.list_queues(QueueNamePrefix=prefix))["QueueUrls"]
            )
            assert names == [f"{prefix}-lineage", f"{prefix}-lineage-dlq"]
            url = (await sqs.get_queue_url(QueueName=f"{prefix}-lineage"))["QueueUrl"]
            attrs = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]))[
                "Attributes"
            ]
            assert int(json.loads(attrs["RedrivePolicy"])["maxReceiveCount"]) == 4
            assert "sns.amazonaws.com" in attrs["Policy"]

            subs = (await sns.list_subscriptions())["Subscriptions"]
            assert topics_of(subs, attrs["QueueArn"]) == [
                f"{prefix}-ArtifactDeleted",
                f"{prefix}-ArtifactUploaded",
            ]
            for sub in subs:
                sub_attrs = (
                    await sns.get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"])
                )["Attributes"]
                assert sub_attrs["RawMessageDelivery"] == "true"

        # A restart with one type fewer converges: no duplicate queues, stale fan-out removed.
        await consumer.stop()
        again = SnsSqsBus(runtime, wait_time_seconds=1, max_receive_count=4)
        again.subscribe("lineage", ArtifactUploaded, ignore)
        await again.start()
        await again.stop()
        async with aws_client(runtime, "sns") as sns:
            subs = (await sns.list_subscriptions())["Subscriptions"]
        assert topics_of(subs, attrs["QueueArn"]) == [f"{prefix}-ArtifactUploaded"]
    finally:
        await consumer.stop()


@pytest.mark.integration
async def test_sns_sqs_managed_topology_only_looks_up(aws_endpoint: str) -> None:
    """REGISTRY_BUS_PROVISION=false: the deployment stack owns topics, queues and
    subscriptions; the bus finds them (or says what is missing) and creates nothing."""
    prefix = f"t{uuid.uuid4().hex[:10]}"
    managed = RuntimeSettings(
        bus_backend="sns-sqs",
        aws_endpoint_url=aws_endpoint,
        bus_prefix=prefix,
        bus_provision=False,
    )
    received: list[Event] = []

    async def record(event: Event) -> None:
        received.append(event)

    early = SnsSqsBus(managed, wait_time_seconds=1)
    early.subscribe("lineage", ArtifactUploaded, record)
    with pytest.raises(ComponentUnavailable, match=f"{prefix}-lineage.*REGISTRY_BUS_PROVISION"):
        await early.start()
    await early.stop()
    async with aws_client(managed, "sqs") as sqs, aws_client(managed, "sns") as sns:
        assert (await sqs.list_queues(QueueNamePrefix=prefix)).get("QueueUrls", []) == []
        topics = [t["TopicArn"] for t in (await sns.list_topics())["Topics"]]
        assert not [t for t in topics if f":{prefix}-" in t]

    # What the stack does at deploy time (here: a provisioning bus, started once).
    stack = SnsSqsBus(managed.model_copy(update={"bus_provision": True}), wait_time_seconds=1)
    stack.subscribe("lineage", ArtifactUploaded, record)
    await stack.start()
    await stack.stop()
    async with aws_client(managed, "sns") as sns:
        before = (await sns.list_subscriptions())["Subscriptions"]

    consumer = SnsSqsBus(managed, wait_time_seconds=1)
    consumer.subscribe("lineage", ArtifactUploaded, record)
    publisher = SnsSqsBus(managed, wait_time_seconds=1)
    await consumer.start()
    await publisher.start()
    try:
        event = uploaded()
        await publisher.publish(event)
        await eventually(lambda: len(received) == 1, what="delivery through the stack's queue")
        assert received[0].event_id == event.event_id
        async with aws_client(managed, "sns") as sns:
            after = (await sns.list_subscriptions())["Subscriptions"]
        assert after == before  # nothing subscribed or changed
    finally:
        await publisher.stop()
        await consumer.stop()


@pytest.mark.integration
async def test_sns_sqs_unreachable(moto_server: str) -> None:
    runtime = RuntimeSettings(
        bus_backend="sns-sqs", aws_endpoint_url=f"http://127.0.0.1:{closed_port()}"
    )
    bus = create_bus(runtime)
    # The configured deadlines, not a number that a loaded machine can overrun.
    defaults = inspect.signature(SnsSqsBus).parameters
    started = time.monotonic()
    with pytest.raises(ComponentUnavailable) as caught:
        await bus.publish(uploaded())
    assert time.monotonic() - started < within(defaults["publish_timeout"].default)
    assert caught.value.component == "event bus"
    assert caught.value.status == 503

    started = time.monotonic()
    with pytest.raises(ComponentUnavailable):
        await bus.check()
    assert time.monotonic() - started < within(defaults["check_timeout"].default)
    await bus.stop()


# ------------------------------------------------------------ consumer-side details


async def test_outcomes_are_logged_as_key_values() -> None:
    with structlog.testing.capture_logs() as logs:
        bus = InProcessBus(max_receive_count=2, retry_delay_seconds=0.01)

        async def broken(event: Event) -> None:
            raise RuntimeError("boom")

        async def fine(event: Event) -> None:
            return None

        bus.subscribe("scoring", ArtifactUploaded, fine)
        bus.subscribe("lineage", ArtifactUploaded, broken)
        await bus.start()
        event = uploaded()
        await bus.publish(event)
        await bus.drain()
        await bus.stop()

    handled = [r for r in logs if r["event"] == "bus.event.handled"]
    assert len(handled) == 1
    assert handled[0]["consumer"] == "scoring"
    assert handled[0]["event_id"] == str(event.event_id)
    assert handled[0]["event_type"] == "ArtifactUploaded"
    assert handled[0]["attempt"] == 1
    assert "duration_ms" in handled[0]
    failed = [r for r in logs if r["event"] == "bus.event.failed"]
    assert [(r["consumer"], r["attempt"], r["will_retry"]) for r in failed] == [
        ("lineage", 1, True),
        ("lineage", 2, False),
    ]
    assert failed[0]["error"] == "RuntimeError: boom"
    assert [r["consumer"] for r in logs if r["event"] == "bus.event.dead_lettered"] == ["lineage"]


async def test_concurrent_copies_of_one_event_run_the_handler_once() -> None:
    calls: list[Event] = []

    async def slow(event: Event) -> None:
        await asyncio.sleep(0.05)
        calls.append(event)

    dispatcher = Dispatcher("scoring")
    dispatcher.add_handler(ArtifactUploaded, slow)
    body = encode(uploaded())
    results = await asyncio.gather(*(dispatcher.dispatch(body) for _ in range(3)))
    assert sorted(r.outcome for r in results) == sorted(
        [Outcome.HANDLED, Outcome.DUPLICATE, Outcome.DUPLICATE]
    )
    assert len(calls) == 1


async def test_dispatch_outcomes() -> None:
    async def fine(event: Event) -> None:
        return None

    dispatcher = Dispatcher("lineage")
    dispatcher.add_handler(ArtifactUploaded, fine)
    with pytest.raises(ValueError, match="already handles"):
        dispatcher.add_handler(ArtifactUploaded, fine)

    assert (await dispatcher.dispatch("[1, 2]")).outcome is Outcome.POISON
    assert (await dispatcher.dispatch(b"\xff\xfe")).outcome is Outcome.POISON
    # A newer producer's field is ignored (tolerant reader); a missing one is poison.
    extra_field = {**uploaded().to_message(), "surprise": 1}
    assert (await dispatcher.dispatch(json.dumps(extra_field))).outcome is Outcome.HANDLED
    no_source = {k: v for k, v in uploaded().to_message().items() if k != "source"}
    assert (await dispatcher.dispatch(json.dumps(no_source))).outcome is Outcome.POISON
    newer_major = {**uploaded().to_message(), "version": "2.0"}
    rejected = await dispatcher.dispatch(json.dumps(newer_major))
    assert rejected.outcome is Outcome.POISON
    assert rejected.error is not None
    assert "version 2.0 is newer than this consumer reads" in rejected.error
    other_type = encode(ArtifactDeleted(source="ingest", artifact=REF))
    assert (await dispatcher.dispatch(other_type)).outcome is Outcome.IGNORED


def test_seen_events_is_bounded_lru() -> None:
    seen = SeenEvents(capacity=2)
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    seen.add(a)
    seen.add(b)
    assert a in seen  # touch: b is now the oldest
    seen.add(c)
    assert len(seen) == 2
    assert a in seen
    assert c in seen
    assert b not in seen


def test_create_bus_picks_the_backend() -> None:
    assert isinstance(create_bus(RuntimeSettings(bus_backend="inprocess")), InProcessBus)
    assert isinstance(create_bus(RuntimeSettings(bus_backend="sns-sqs")), SnsSqsBus)
