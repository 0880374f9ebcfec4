"""The distributed bus: one SNS topic per event type, one SQS queue (+ DLQ) per consumer.

Names: topic `{prefix}-{EventType}`, queue `{prefix}-{consumer}`, dead-letter queue
`{prefix}-{consumer}-dlq`. Each queue is subscribed, with raw message delivery, to exactly
the topics of the event types its consumer handles, and its policy lets those topics send.

Consuming: one long-polling task per consumer receives up to 10 messages and handles them
concurrently; a message is deleted only after its handler succeeded. A failed handler's
message becomes visible again after a short exponential backoff (`retry_delay_seconds`),
and after its `max_receive_count`-th failed delivery it is copied to the DLQ with the
failure's reason, receive count and time as message attributes, then deleted (the queue's
redrive policy, same count, is the backstop when a process dies mid-delivery: SQS moves the
message itself, without a reason). A message that cannot be parsed is copied to the DLQ at
once and deleted.

Dead letters can be listed (peeked: received with a short visibility timeout, then made
visible again) and redriven: received from the DLQ, sent to the consumer's queue, then
deleted from the DLQ. A crash between the send and the delete redrives a message twice,
which the consumer de-duplicates by `event_id`. (`StartMessageMoveTask` would do the
"all" case server-side, but cannot select messages and the AWS API emulator lacks it.)

While a handler runs longer than half the visibility timeout, the message's visibility is
extended so no other replica picks it up.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Collection
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from opentelemetry.trace import TracerProvider

from registry_common.aws import aws_client
from registry_common.bus.dispatch import (
    Dispatcher,
    Outcome,
    TracerProviderChoice,
    encode,
    identify,
    retry_delay,
    with_trace_context,
)
from registry_common.bus.port import BusStats, DeadLetterInfo, E, Handler, RedriveResult
from registry_common.errors import BadRequest, ComponentUnavailable, NotFound
from registry_common.events import Event
from registry_common.settings import RuntimeSettings
from registry_common.telemetry import get_logger

T = TypeVar("T")

COMPONENT = "event bus"
# Failures that mean "the bus cannot be reached or refused us", as opposed to our bugs.
_AWS_ERRORS: tuple[type[BaseException], ...] = (BotoCoreError, ClientError, OSError, TimeoutError)
_MAX_VISIBILITY = 12 * 60 * 60
_DLQ_RETENTION = str(14 * 24 * 60 * 60)
_PEEK_VISIBILITY = 10  # seconds a listed dead letter is hidden before it is released
_REDRIVE_VISIBILITY = 30
_CONSUMER_NAME = re.compile(r"^[a-z][a-z0-9-]{0,39}$")


@dataclass(frozen=True)
class _Queues:
    url: str
    arn: str
    dlq_url: str


def _reason(exc: BaseException, timeout: float | None = None) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout:g} s" if timeout is not None else "timed out"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip()
    return str(exc) or type(exc).__name__


class SnsSqsBus:
    def __init__(
        self,
        runtime: RuntimeSettings,
        *,
        consumer_tracer_provider: TracerProviderChoice = None,
        tracer_provider: TracerProvider | None = None,
        logger: Any | None = None,
        wait_time_seconds: int = 20,
        visibility_timeout: int = 60,
        max_receive_count: int = 5,
        retry_delay_seconds: int = 1,
        max_retry_delay_seconds: int = 300,
        publish_timeout: float = 5.0,
        check_timeout: float = 5.0,
        stop_timeout: float = 10.0,
        dedupe_capacity: int = 10_000,
    ) -> None:
        if not 0 <= wait_time_seconds <= 20:
            raise ValueError("wait_time_seconds must be between 0 and 20 (an SQS limit)")
        if max_receive_count < 1:
            raise ValueError("max_receive_count must be at least 1")
        self._runtime = runtime
        self._prefix = runtime.bus_prefix
        self._tracer_choice = consumer_tracer_provider
        self._tracer_provider = tracer_provider  # SNS/SQS calls inside a trace: child spans
        self._logger = logger
        self._log = logger if logger is not None else get_logger("bus")
        self._wait = wait_time_seconds
        self._visibility = visibility_timeout
        self._max_receive = max_receive_count
        self._retry_delay = retry_delay_seconds
        self._max_retry_delay = max_retry_delay_seconds
        self._publish_timeout = publish_timeout
        self._check_timeout = check_timeout
        self._stop_timeout = stop_timeout
        self._dedupe_capacity = dedupe_capacity

        self._dispatchers: dict[str, Dispatcher] = {}
        self._topic_arns: dict[str, str] = {}
        self._account_arn: str | None = None  # managed topology: who we are, asked once
        self._queues: dict[str, _Queues] = {}
        self._others: dict[str, _Queues] = {}  # other processes' queues (health reads them)
        self._provisioned: dict[str, frozenset[str]] = {}
        self._pollers: dict[str, asyncio.Task[None]] = {}
        self._in_flight = 0
        self._stopping = asyncio.Event()
        self._start_lock = asyncio.Lock()
        self._client_lock = asyncio.Lock()
        self._exit_stack: AsyncExitStack | None = None
        self._sns: Any = None
        self._sqs: Any = None

    # ------------------------------------------------------------ naming

    def topic_name(self, event_type: str) -> str:
        return f"{self._prefix}-{event_type}"

    def queue_name(self, consumer: str) -> str:
        return f"{self._prefix}-{consumer}"

    def dlq_name(self, consumer: str) -> str:
        return f"{self._prefix}-{consumer}-dlq"

    # ------------------------------------------------------------ EventBus

    def subscribe(self, consumer: str, event_cls: type[E], handler: Handler[E]) -> None:
        """Register a handler; takes effect at the next `start()`."""
        dispatcher = self._dispatchers.get(consumer)
        if dispatcher is None:
            dispatcher = self._dispatchers[consumer] = Dispatcher(
                consumer,
                tracer_provider=self._tracer_choice,
                logger=self._logger,
                messaging_system="aws_sqs",
                destination=self.queue_name(consumer),
                dedupe_capacity=self._dedupe_capacity,
            )
        dispatcher.add_handler(event_cls, handler)

    async def publish(self, event: Event) -> None:
        event = with_trace_context(event)
        body = encode(event)
        try:
            async with asyncio.timeout(self._publish_timeout):
                topic_arn = await self._topic_arn(event.event_type)
                sns, _ = await self._clients()
                response = await sns.publish(TopicArn=topic_arn, Message=body)
        except _AWS_ERRORS as exc:
            reason = _reason(exc, self._publish_timeout)
            self._log.warning(
                "bus.publish.failed",
                event_type=event.event_type,
                event_id=str(event.event_id),
                error=reason,
            )
            raise ComponentUnavailable(COMPONENT, reason) from exc
        self._log.debug(
            "bus.event.published",
            event_type=event.event_type,
            event_id=str(event.event_id),
            message_id=response.get("MessageId"),
        )

    async def start(self) -> None:
        """Create the topics, queues, DLQs, subscriptions and policies that are missing (with
        `bus_provision` off: only look the queues up), then start one poller per consumer.
        Idempotent; a publish-only bus creates nothing."""
        async with self._start_lock:
            self._stopping.clear()
            for consumer, dispatcher in self._dispatchers.items():
                wanted = dispatcher.event_types
                if self._provisioned.get(consumer) != wanted:
                    await self._guarded(
                        self._provision(consumer, wanted), self._publish_timeout * 6
                    )
                    self._provisioned[consumer] = wanted
                poller = self._pollers.get(consumer)
                if poller is None or poller.done():
                    self._pollers[consumer] = asyncio.create_task(
                        self._poll(consumer), name=f"bus-poll-{consumer}"
                    )

    async def stop(self) -> None:
        """Stop receiving; handlers already running get `stop_timeout` seconds to finish,
        after that they are cancelled and their messages are redelivered later."""
        async with self._start_lock:
            self._stopping.set()
            pollers = list(self._pollers.values())
            self._pollers.clear()
            if pollers:
                _, pending = await asyncio.wait(pollers, timeout=self._stop_timeout)
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pollers, return_exceptions=True)
            await self._close_clients()

    async def check(self) -> None:
        async def probe() -> None:
            sns, _ = await self._clients()
            await sns.list_topics()

        await self._guarded(probe(), self._check_timeout)

    async def stats(self, consumers: Collection[str] = ()) -> BusStats:
        names = list(self._dispatchers) + [
            c for c in consumers if c not in self._dispatchers and _CONSUMER_NAME.match(c)
        ]

        async def collect() -> BusStats:
            depth: dict[str, int] = {}
            dead: dict[str, int] = {}
            for consumer in names:
                queues = await self._find_queues(consumer)
                if queues is None:
                    continue
                depth[consumer] = await self._count(queues.url, "ApproximateNumberOfMessages")
                # Invisible dead letters are being listed or redriven right now: still there.
                dead[consumer] = sum(
                    await self._counts(
                        queues.dlq_url,
                        ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"),
                    )
                )
            return BusStats(queue_depth=depth, dead_letters=dead)

        return await self._guarded(collect(), self._check_timeout * 2)

    async def dead_letters(self, consumer: str, limit: int = 50) -> list[DeadLetterInfo]:
        async def peek() -> list[DeadLetterInfo]:
            queues = await self._queues_of(consumer)
            seen: dict[str, dict[str, Any]] = {}
            receipts: list[str] = []
            try:
                async for batch in self._receive_all(queues.dlq_url, _PEEK_VISIBILITY):
                    receipts.extend(str(m["ReceiptHandle"]) for m in batch)
                    for message in batch:
                        seen.setdefault(str(message["MessageId"]), message)
                    if len(seen) >= limit:
                        break
            finally:
                # Listing must not hide them from a redrive or from the depth figures.
                await self._release(consumer, queues.dlq_url, receipts)
            letters = [_letter(consumer, m) for m in seen.values()]
            epoch = datetime.min.replace(tzinfo=UTC)
            return sorted(letters, key=lambda d: d.dead_lettered_at or epoch)[:limit]

        if limit < 1:
            return []
        return await self._guarded(peek(), self._check_timeout * 6)

    async def redrive(self, consumer: str, ids: Collection[str] | None = None) -> RedriveResult:
        wanted = None if ids is None else set(ids)

        async def move() -> RedriveResult:
            queues = await self._queues_of(consumer)
            _, sqs = await self._clients()
            moved: set[str] = set()
            skipped: list[str] = []
            try:
                async for batch in self._receive_all(queues.dlq_url, _REDRIVE_VISIBILITY):
                    for message in batch:
                        message_id = str(message["MessageId"])
                        receipt = str(message["ReceiptHandle"])
                        if wanted is not None and message_id not in wanted:
                            skipped.append(receipt)
                            continue
                        # Send first, delete second: a failure in between redrives twice
                        # (the consumer de-duplicates), never zero times.
                        await sqs.send_message(QueueUrl=queues.url, MessageBody=message["Body"])
                        await sqs.delete_message(QueueUrl=queues.dlq_url, ReceiptHandle=receipt)
                        moved.add(message_id)
                    if wanted is not None and moved >= wanted:
                        break
            finally:
                await self._release(consumer, queues.dlq_url, skipped)
            missing = tuple(sorted(wanted - moved)) if wanted is not None else ()
            return RedriveResult(consumer, len(moved), missing)

        result = await self._guarded(move(), self._check_timeout * 12)
        self._log.info(
            "bus.dead_letters.redriven",
            consumer=consumer,
            moved=result.moved,
            not_found=result.not_found,
        )
        return result

    async def drain(self, timeout: float = 10) -> None:
        """Wait until this process's queues hold no message (visible, in flight or delayed)
        and no handler is running. SNS fan-out can lag a little behind `publish` in AWS."""
        names = (
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        pending: dict[str, int] = {}
        while True:
            pending = {}
            for consumer, queues in self._queues.items():
                counts = await self._guarded(self._counts(queues.url, names), self._check_timeout)
                if sum(counts):
                    pending[consumer] = sum(counts)
            if not pending and self._in_flight == 0:
                return
            if loop.time() >= deadline:
                raise TimeoutError(
                    f"event bus not drained after {timeout:g} s; messages still pending: "
                    f"{pending}, handlers running: {self._in_flight}"
                )
            await asyncio.sleep(0.1)

    # ------------------------------------------------------------ clients

    async def _clients(self) -> tuple[Any, Any]:
        if self._sns is not None:
            return self._sns, self._sqs
        async with self._client_lock:
            if self._sns is None:
                stack = AsyncExitStack()
                try:
                    sns = await stack.enter_async_context(
                        aws_client(
                            self._runtime,
                            "sns",
                            tracer_provider=self._tracer_provider,
                            connect_timeout=2,
                            read_timeout=5,
                        )
                    )
                    sqs = await stack.enter_async_context(
                        aws_client(
                            self._runtime,
                            "sqs",
                            tracer_provider=self._tracer_provider,
                            connect_timeout=2,
                            read_timeout=self._wait + 10,
                            max_pool_connections=50,
                        )
                    )
                except BaseException:
                    await stack.aclose()
                    raise
                self._exit_stack, self._sns, self._sqs = stack, sns, sqs
        return self._sns, self._sqs

    async def _close_clients(self) -> None:
        stack, self._exit_stack = self._exit_stack, None
        self._sns = self._sqs = None
        if stack is not None:
            await stack.aclose()

    async def _guarded(self, work: Awaitable[T], timeout: float) -> T:
        """Run an AWS call with a deadline; outages become ComponentUnavailable."""
        try:
            async with asyncio.timeout(timeout):
                return await work
        except _AWS_ERRORS as exc:
            raise ComponentUnavailable(COMPONENT, _reason(exc, timeout)) from exc

    # ------------------------------------------------------------ provisioning

    async def _topic_arn(self, event_type: str) -> str:
        arn = self._topic_arns.get(event_type)
        if arn is None:
            if self._runtime.bus_provision:
                sns, _ = await self._clients()
                response = await sns.create_topic(Name=self.topic_name(event_type))
                arn = str(response["TopicArn"])
            else:
                arn = await self._managed_topic_arn(event_type)
            self._topic_arns[event_type] = arn
        return arn

    async def _managed_topic_arn(self, event_type: str) -> str:
        """A topic the stack created: its ARN follows from the account, which
        GetCallerIdentity tells without any IAM permission (CreateTopic would need one)."""
        if self._account_arn is None:
            async with aws_client(self._runtime, "sts", connect_timeout=2, read_timeout=5) as sts:
                self._account_arn = str((await sts.get_caller_identity())["Arn"])
        # arn:<partition>:sts::<account>:assumed-role/... -> partition and account.
        _, partition, _, _, account, _ = self._account_arn.split(":", 5)
        region = self._runtime.aws_region
        return f"arn:{partition}:sns:{region}:{account}:{self.topic_name(event_type)}"

    async def _queue(self, name: str, attributes: dict[str, str]) -> tuple[str, str]:
        """Create the queue if missing, then converge its attributes; (url, arn)."""
        _, sqs = await self._clients()
        url = str((await sqs.create_queue(QueueName=name))["QueueUrl"])
        if attributes:
            await sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
        response = await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return url, str(response["Attributes"]["QueueArn"])

    async def _provision(self, consumer: str, event_types: frozenset[str]) -> None:
        if not self._runtime.bus_provision:
            await self._attach(consumer)
            return
        sns, _ = await self._clients()
        dlq_url, dlq_arn = await self._queue(
            self.dlq_name(consumer), {"MessageRetentionPeriod": _DLQ_RETENTION}
        )
        url, arn = await self._queue(self.queue_name(consumer), {})
        topic_arns = sorted([await self._topic_arn(t) for t in event_types])
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AllowRegistryTopics",
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": topic_arns}},
                }
            ],
        }
        redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(self._max_receive)}
        _, sqs = await self._clients()
        await sqs.set_queue_attributes(
            QueueUrl=url,
            Attributes={
                "VisibilityTimeout": str(self._visibility),
                "RedrivePolicy": json.dumps(redrive),
                "Policy": json.dumps(policy),
            },
        )

        existing: dict[str, str] = {}
        async for page in sns.get_paginator("list_subscriptions").paginate():
            for sub in page.get("Subscriptions", []):
                if sub.get("Protocol") == "sqs" and sub.get("Endpoint") == arn:
                    existing[str(sub["TopicArn"])] = str(sub["SubscriptionArn"])
        for topic_arn in topic_arns:
            subscription = existing.pop(topic_arn, None)
            if subscription is None:
                await sns.subscribe(
                    TopicArn=topic_arn,
                    Protocol="sqs",
                    Endpoint=arn,
                    Attributes={"RawMessageDelivery": "true"},
                    ReturnSubscriptionArn=True,
                )
            else:
                await sns.set_subscription_attributes(
                    SubscriptionArn=subscription,
                    AttributeName="RawMessageDelivery",
                    AttributeValue="true",
                )
        # Types this consumer no longer handles: stop the fan-out to its queue (only from
        # this deployment's topics; anything else subscribed by hand is left alone).
        for topic_arn, subscription in existing.items():
            if topic_arn.rsplit(":", 1)[-1].startswith(f"{self._prefix}-"):
                await sns.unsubscribe(SubscriptionArn=subscription)
                self._log.info("bus.subscription.removed", consumer=consumer, topic=topic_arn)

        self._queues[consumer] = _Queues(url=url, arn=arn, dlq_url=dlq_url)
        self._log.info(
            "bus.consumer.provisioned",
            consumer=consumer,
            queue=self.queue_name(consumer),
            event_types=sorted(event_types),
        )

    async def _attach(self, consumer: str) -> None:
        """Managed topology: use the queues the stack created (subscriptions, redrive and
        policies are the stack's too); a missing queue is an outage that says so."""
        queues = await self._lookup_queues(consumer)
        if queues is None:
            raise ComponentUnavailable(
                COMPONENT,
                f"queue {self.queue_name(consumer)!r} or its dead-letter queue does not exist; "
                "with REGISTRY_BUS_PROVISION=false the deployment stack must create them",
            )
        _, sqs = await self._clients()
        response = await sqs.get_queue_attributes(QueueUrl=queues.url, AttributeNames=["QueueArn"])
        self._queues[consumer] = _Queues(
            url=queues.url, arn=str(response["Attributes"]["QueueArn"]), dlq_url=queues.dlq_url
        )
        self._log.info("bus.consumer.attached", consumer=consumer, queue=self.queue_name(consumer))

    async def _lookup_queues(self, consumer: str) -> _Queues | None:
        _, sqs = await self._clients()
        urls: list[str] = []
        for name in (self.queue_name(consumer), self.dlq_name(consumer)):
            try:
                urls.append(str((await sqs.get_queue_url(QueueName=name))["QueueUrl"]))
            except ClientError as exc:
                if "NonExistentQueue" in _reason(exc) or "QueueDoesNotExist" in _reason(exc):
                    return None
                raise
        return _Queues(url=urls[0], arn="", dlq_url=urls[1])

    async def _counts(self, url: str, names: tuple[str, ...]) -> list[int]:
        _, sqs = await self._clients()
        response = await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(names))
        attributes = response.get("Attributes", {})
        return [int(attributes.get(name, 0)) for name in names]

    async def _count(self, url: str, name: str) -> int:
        return (await self._counts(url, (name,)))[0]

    async def _find_queues(self, consumer: str) -> _Queues | None:
        """This process's queues, or another consumer's looked up once (names are fixed)."""
        queues = self._queues.get(consumer) or self._others.get(consumer)
        if queues is None:
            queues = await self._lookup_queues(consumer)
            if queues is not None:
                self._others[consumer] = queues
        return queues

    async def _queues_of(self, consumer: str) -> _Queues:
        """Any consumer's queues under this prefix (the health service reads the others')."""
        if not _CONSUMER_NAME.match(consumer):
            raise BadRequest(
                f"{consumer!r} is not a consumer name (lower-case letters, digits and dashes)."
            )
        queues = await self._find_queues(consumer)
        if queues is None:
            raise NotFound(
                f"No event consumer {consumer!r}: queue {self.queue_name(consumer)!r} or its "
                "dead-letter queue does not exist."
            )
        return queues

    async def _receive_all(self, url: str, visibility: int) -> AsyncIterator[list[dict[str, Any]]]:
        """Batches of every message currently visible in `url`, each hidden for
        `visibility` seconds once received; stops after two empty short polls (a short
        poll samples only some of SQS's servers)."""
        _, sqs = await self._clients()
        empty = 0
        while empty < 2:
            response = await sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=0,
                VisibilityTimeout=visibility,
                MessageAttributeNames=["All"],
                MessageSystemAttributeNames=["ApproximateReceiveCount", "SentTimestamp"],
            )
            messages = list(response.get("Messages", []))
            empty = 0 if messages else empty + 1
            if messages:
                yield messages

    async def _release(self, consumer: str, url: str, receipts: list[str]) -> None:
        _, sqs = await self._clients()
        for receipt in receipts:
            await self._best_effort(
                consumer,
                "release",
                sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=receipt, VisibilityTimeout=0
                ),
            )

    # ------------------------------------------------------------ consuming

    async def _poll(self, consumer: str) -> None:
        queues = self._queues[consumer]
        log = self._log.bind(consumer=consumer, queue=self.queue_name(consumer))
        failures = 0
        while not self._stopping.is_set():
            try:
                messages = await self._receive(queues.url)
                failures = 0
                if messages:
                    # Finish the whole batch even when asked to stop (stop() bounds the wait).
                    await asyncio.gather(*(self._handle(consumer, queues, m) for m in messages))
            except Exception as exc:  # an outage, or a bug: keep polling, never die silently
                failures += 1
                delay = min(2 ** (failures - 1), 10)
                log.warning(
                    "bus.poll.failed",
                    error=_reason(exc),
                    retry_in_s=delay,
                    exc_info=not isinstance(exc, _AWS_ERRORS),
                )
                await self._sleep_unless_stopping(delay)

    async def _receive(self, url: str) -> list[dict[str, Any]]:
        _, sqs = await self._clients()
        receive = asyncio.ensure_future(
            sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=self._wait,
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
            )
        )
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            done, _ = await asyncio.wait({receive, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if receive not in done:
            # Stopping: anything this receive would have returned is redelivered later.
            receive.cancel()
            await asyncio.gather(receive, return_exceptions=True)
            return []
        return list(receive.result().get("Messages", []))

    async def _sleep_unless_stopping(self, seconds: float) -> None:
        try:
            async with asyncio.timeout(seconds):
                await self._stopping.wait()
        except TimeoutError:
            pass

    async def _handle(self, consumer: str, queues: _Queues, message: dict[str, Any]) -> None:
        dispatcher = self._dispatchers[consumer]
        receipt = str(message["ReceiptHandle"])
        body = str(message.get("Body", ""))
        attempt = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
        self._in_flight += 1
        heartbeat = asyncio.create_task(self._keep_invisible(consumer, queues.url, receipt))
        try:
            try:
                result = await dispatcher.dispatch(
                    body, attempt=attempt, max_attempts=self._max_receive
                )
                outcome, error = result.outcome, result.error
            except Exception as exc:  # a bug in dispatching itself: treat like a failed handler
                outcome, error = Outcome.FAILED, f"{type(exc).__name__}: {exc}"
            finally:
                heartbeat.cancel()
            _, sqs = await self._clients()
            if outcome.acknowledge:
                await self._best_effort(
                    consumer,
                    "delete",
                    sqs.delete_message(QueueUrl=queues.url, ReceiptHandle=receipt),
                )
            elif outcome is Outcome.POISON:
                await self._dead_letter(
                    consumer, queues, receipt, body, error or "unparseable", attempts=attempt
                )
            else:
                final = attempt >= self._max_receive
                if final and await self._dead_letter(
                    consumer, queues, receipt, body, error or "failed", attempts=attempt
                ):
                    return
                # Retry after a backoff; when the copy to the DLQ failed, at once: SQS's
                # redrive policy moves the message at that next receive.
                delay = (
                    0
                    if final
                    else int(retry_delay(self._retry_delay, attempt, self._max_retry_delay))
                )
                await self._best_effort(
                    consumer,
                    "retry",
                    sqs.change_message_visibility(
                        QueueUrl=queues.url,
                        ReceiptHandle=receipt,
                        VisibilityTimeout=min(delay, _MAX_VISIBILITY),
                    ),
                )
        finally:
            self._in_flight -= 1

    async def _dead_letter(
        self,
        consumer: str,
        queues: _Queues,
        receipt: str,
        body: str,
        reason: str,
        *,
        attempts: int = 1,
    ) -> bool:
        """Copy to the DLQ with why, how often and when, then delete (a poison message must
        not be retried; a failed one has had its attempts). False when the copy failed."""
        _, sqs = await self._clients()
        copied = await self._best_effort(
            consumer,
            "dead_letter",
            sqs.send_message(
                QueueUrl=queues.dlq_url,
                MessageBody=body or "(empty)",
                MessageAttributes={
                    "dead_letter_reason": {"DataType": "String", "StringValue": reason[:1000]},
                    "consumer": {"DataType": "String", "StringValue": consumer},
                    "receive_count": {"DataType": "Number", "StringValue": str(attempts)},
                    "dead_lettered_at": {
                        "DataType": "String",
                        "StringValue": datetime.now(UTC).isoformat(),
                    },
                },
            ),
        )
        if copied:
            await self._best_effort(
                consumer, "delete", sqs.delete_message(QueueUrl=queues.url, ReceiptHandle=receipt)
            )
            self._log.error(
                "bus.event.dead_lettered", consumer=consumer, reason=reason, attempts=attempts
            )
        return copied

    async def _best_effort(self, consumer: str, action: str, call: Awaitable[Any]) -> bool:
        """An acknowledgement-side call; if it fails the message is simply redelivered."""
        try:
            async with asyncio.timeout(self._publish_timeout):
                await call
        except _AWS_ERRORS as exc:
            self._log.warning(
                "bus.ack.failed", consumer=consumer, action=action, error=_reason(exc)
            )
            return False
        return True

    async def _keep_invisible(self, consumer: str, url: str, receipt: str) -> None:
        """Extend the visibility of a message whose handler runs long."""
        interval = max(self._visibility / 2, 1)
        _, sqs = await self._clients()
        while True:
            await asyncio.sleep(interval)
            await self._best_effort(
                consumer,
                "extend_visibility",
                sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=receipt, VisibilityTimeout=self._visibility
                ),
            )


def _letter(consumer: str, message: dict[str, Any]) -> DeadLetterInfo:
    """A DLQ message as the port describes it: our attributes when we dead-lettered it,
    what SQS knows when its redrive policy did (no reason; the receive count includes
    earlier listings)."""
    attributes = {
        name: value.get("StringValue")
        for name, value in message.get("MessageAttributes", {}).items()
    }
    system = message.get("Attributes", {})
    event_type, event_id = identify(str(message.get("Body", "")))
    at: datetime | None = None
    if attributes.get("dead_lettered_at"):
        try:
            at = datetime.fromisoformat(str(attributes["dead_lettered_at"]))
        except ValueError:
            at = None
    if at is None and system.get("SentTimestamp"):
        at = datetime.fromtimestamp(int(system["SentTimestamp"]) / 1000, UTC)
    count = attributes.get("receive_count") or system.get("ApproximateReceiveCount") or 0
    return DeadLetterInfo(
        id=str(message["MessageId"]),
        consumer=consumer,
        event_type=event_type,
        event_id=event_id,
        reason=attributes.get("dead_letter_reason"),
        receive_count=int(count),
        dead_lettered_at=at,
    )
