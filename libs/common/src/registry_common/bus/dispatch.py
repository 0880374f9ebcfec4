"""What every bus implementation does with one delivered message, on the consumer side.

parse → de-duplicate → CONSUMER span (parent: the trace context carried in the event) →
handler → outcome. The transport (asyncio queue, SQS) only decides what the outcome means
for the message: acknowledge it, retry it later, or dead-letter it.

De-duplication is by `event_id` in a bounded LRU per consumer, recorded only after the
handler succeeded. It catches the common duplicates (a publisher retrying, SQS delivering
twice, an acknowledgement that got lost) within one process; it forgets after `capacity`
events and is not shared between replicas, so handlers must still be idempotent.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode, TracerProvider

from registry_common.bus.port import Handler
from registry_common.events import Event, event_from_message
from registry_common.telemetry import extract_trace_context, get_logger, inject_trace_context

TRACER_NAME = "registry_common.bus"

#: A fixed provider for every consumer, or one chosen by consumer name (embedded mode runs
#: several services, each with its own provider, on one bus). None: the global provider.
TracerProviderChoice = TracerProvider | Callable[[str], TracerProvider | None] | None


def resolve_tracer_provider(choice: TracerProviderChoice, consumer: str) -> TracerProvider | None:
    if choice is None or isinstance(choice, TracerProvider):
        return choice
    return choice(consumer)


def with_trace_context(event: Event) -> Event:
    """The event carrying the current trace context, unless it already carries one."""
    if event.trace_context:
        return event
    carrier = inject_trace_context()
    if not carrier:
        return event
    return event.model_copy(update={"trace_context": carrier})


def encode(event: Event) -> str:
    """The message body on the wire (and on the in-process queues)."""
    return json.dumps(event.to_message(), separators=(",", ":"))


def decode(body: str | bytes) -> Event:
    """Validate a message body into its event model; raises ValueError on anything malformed."""
    try:
        message = json.loads(body)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    if not isinstance(message, dict):
        raise ValueError(f"not a JSON object but {type(message).__name__}")
    return event_from_message(message)


def identify(body: str | bytes) -> tuple[str | None, str | None]:
    """Event type and event id of a message body as far as they can be read, without
    validating it (a dead letter may be poison): (None, None) when unreadable."""
    try:
        message = json.loads(body)
    except (ValueError, TypeError):
        return None, None
    if not isinstance(message, dict):
        return None, None
    event_type, event_id = message.get("event_type"), message.get("event_id")
    return (
        event_type if isinstance(event_type, str) else None,
        event_id if isinstance(event_id, str) else None,
    )


class Outcome(StrEnum):
    HANDLED = "handled"
    """The handler succeeded: acknowledge."""
    DUPLICATE = "duplicate"
    """This consumer already handled this event_id: acknowledge without running the handler."""
    IGNORED = "ignored"
    """A valid event this consumer has no handler for (a stale subscription): acknowledge."""
    FAILED = "failed"
    """The handler raised: leave for redelivery (dead-lettered after the maximum attempts)."""
    POISON = "poison"
    """Cannot be parsed at all: dead-letter now, retrying cannot help."""

    @property
    def acknowledge(self) -> bool:
        return self in (Outcome.HANDLED, Outcome.DUPLICATE, Outcome.IGNORED)


@dataclass(frozen=True)
class DispatchResult:
    outcome: Outcome
    event: Event | None = None
    error: str | None = None


class SeenEvents:
    """A bounded LRU set of event ids."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._ids: OrderedDict[uuid.UUID, None] = OrderedDict()
        self._capacity = capacity

    def __contains__(self, event_id: object) -> bool:
        if not isinstance(event_id, uuid.UUID) or event_id not in self._ids:
            return False
        self._ids.move_to_end(event_id)
        return True

    def add(self, event_id: uuid.UUID) -> None:
        self._ids[event_id] = None
        self._ids.move_to_end(event_id)
        while len(self._ids) > self._capacity:
            self._ids.popitem(last=False)

    def __len__(self) -> int:
        return len(self._ids)


@dataclass
class _Claim:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class Dispatcher:
    """One consumer's handlers, de-duplication memory and telemetry."""

    def __init__(
        self,
        consumer: str,
        *,
        tracer_provider: TracerProviderChoice = None,
        logger: Any | None = None,
        messaging_system: str = "inprocess",
        destination: str | None = None,
        dedupe_capacity: int = 10_000,
    ) -> None:
        self.consumer = consumer
        self.destination = destination or consumer
        self._tracer_provider = tracer_provider
        self._log = (logger if logger is not None else get_logger(consumer)).bind(consumer=consumer)
        self._system = messaging_system
        self._handlers: dict[str, Handler[Any]] = {}
        self._seen = SeenEvents(dedupe_capacity)
        self._claims: dict[uuid.UUID, _Claim] = {}

    def add_handler(self, event_cls: type[Event], handler: Handler[Any]) -> None:
        event_type = event_cls.event_type
        if event_type in self._handlers:
            raise ValueError(f"consumer {self.consumer!r} already handles {event_type}")
        self._handlers[event_type] = handler

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(self._handlers)

    def _tracer(self) -> trace.Tracer:
        # Resolved per message, not at subscribe time: in embedded mode a consumer's provider
        # is registered only after every service (and its subscriptions) has been built.
        provider = (
            resolve_tracer_provider(self._tracer_provider, self.consumer)
            or trace.get_tracer_provider()
        )
        return provider.get_tracer(TRACER_NAME)

    async def dispatch(
        self, body: str | bytes, *, attempt: int = 1, max_attempts: int | None = None
    ) -> DispatchResult:
        """Handle one message body; never raises except on cancellation."""
        try:
            event = decode(body)
        except ValueError as exc:
            reason = str(exc).splitlines()[0][:500]
            self._log.error(
                "bus.event.rejected",
                reason=reason,
                attempt=attempt,
                body_preview=_preview(body),
            )
            return DispatchResult(Outcome.POISON, error=reason)

        handler = self._handlers.get(event.event_type)
        if handler is None:
            self._log.warning(
                "bus.event.ignored",
                event_type=event.event_type,
                event_id=str(event.event_id),
                reason="no handler for this event type",
            )
            return DispatchResult(Outcome.IGNORED, event)

        claim = self._claims.get(event.event_id)
        if claim is None:
            claim = self._claims[event.event_id] = _Claim()
        claim.users += 1
        try:
            # Two copies of one event in flight at once: the second waits for the first.
            async with claim.lock:
                if event.event_id in self._seen:
                    self._log.info(
                        "bus.event.duplicate",
                        event_type=event.event_type,
                        event_id=str(event.event_id),
                        attempt=attempt,
                    )
                    return DispatchResult(Outcome.DUPLICATE, event)
                return await self._run(event, handler, attempt, max_attempts)
        finally:
            claim.users -= 1
            if claim.users == 0:
                self._claims.pop(event.event_id, None)

    async def _run(
        self, event: Event, handler: Handler[Any], attempt: int, max_attempts: int | None
    ) -> DispatchResult:
        parent = extract_trace_context(event.trace_context)
        attributes: dict[str, str | int] = {
            "messaging.system": self._system,
            "messaging.operation.type": "process",
            "messaging.operation.name": "process",
            "messaging.destination.name": self.destination,
            "messaging.consumer.group.name": self.consumer,
            "messaging.message.id": str(event.event_id),
            "registry.event.type": event.event_type,
            "registry.event.source": event.source,
            "registry.delivery.attempt": attempt,
        }
        fields: dict[str, Any] = {
            "event_type": event.event_type,
            "event_id": str(event.event_id),
            "source": event.source,
            "attempt": attempt,
        }
        with self._tracer().start_as_current_span(
            f"process {event.event_type}",
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            started = time.perf_counter()
            try:
                await handler(event)
            except Exception as exc:
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
                final = max_attempts is not None and attempt >= max_attempts
                log = self._log.error if final else self._log.warning
                log(
                    "bus.event.failed",
                    **fields,
                    error=f"{type(exc).__name__}: {exc}",
                    will_retry=not final,
                    duration_ms=_ms_since(started),
                    exc_info=True,
                )
                return DispatchResult(Outcome.FAILED, event, error=f"{type(exc).__name__}: {exc}")
            self._seen.add(event.event_id)
            self._log.info("bus.event.handled", **fields, duration_ms=_ms_since(started))
            return DispatchResult(Outcome.HANDLED, event)


def retry_delay(base: float, attempt: int, cap: float) -> float:
    """Exponential backoff: base, 2·base, 4·base, ... capped."""
    return float(min(base * 2 ** max(attempt - 1, 0), cap))


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _preview(body: str | bytes, limit: int = 200) -> str:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return text[:limit]
