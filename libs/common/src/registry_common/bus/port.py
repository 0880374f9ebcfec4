"""The event bus port: publish facts, subscribe a named consumer to event types.

Delivery is at-least-once. Each consumer (one per service) has its own queue; a message is
acknowledged only after its handler succeeded, de-duplicated by `event_id`, and a message
that keeps failing goes to the consumer's dead-letter queue instead of blocking the rest.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar

from registry_common.events import Event

E = TypeVar("E", bound=Event)
Handler = Callable[[E], Awaitable[None]]


@dataclass(frozen=True)
class BusStats:
    """What the health service reports per consumer queue."""

    queue_depth: dict[str, int] = field(default_factory=dict)
    dead_letters: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class DeadLetterInfo:
    """One dead-lettered message, as an operator sees it before redriving it.

    `id` names the message for `redrive` (an SQS message id, or the in-process bus's own);
    `event_type` and `event_id` are None when the body is not a valid event (a poison
    message); `reason` is the failure of the delivery that dead-lettered it, None when the
    queue itself moved it (SQS's redrive policy after a crash) and nobody recorded why.
    """

    id: str
    consumer: str
    event_type: str | None
    event_id: str | None
    reason: str | None
    receive_count: int
    dead_lettered_at: datetime | None


@dataclass(frozen=True)
class RedriveResult:
    consumer: str
    moved: int
    """Messages put back on the consumer's queue (and removed from its dead letters)."""
    not_found: tuple[str, ...] = ()
    """Ids asked for that are not (or no longer) dead letters: already redriven, or wrong."""


class EventBus(Protocol):
    async def publish(self, event: Event) -> None:
        """Publish after the publisher's own state is committed; raises ComponentUnavailable."""
        ...

    def subscribe(self, consumer: str, event_cls: type[E], handler: Handler[E]) -> None:
        """Register `handler` for `event_cls` on `consumer`'s queue; call before `start`."""
        ...

    async def start(self) -> None:
        """Create what is missing (topics, queues) and start consuming."""
        ...

    async def stop(self) -> None:
        """Stop consuming; messages in flight are finished or left for redelivery."""
        ...

    async def check(self) -> None:
        """Raise ComponentUnavailable when the bus cannot be reached."""
        ...

    async def stats(self, consumers: Collection[str] = ()) -> BusStats:
        """Queue and dead-letter depth of this process's consumers and of `consumers`
        (other processes' queues, for the health service in distributed mode); a named
        consumer whose queues do not exist is left out."""
        ...

    async def dead_letters(self, consumer: str, limit: int = 50) -> list[DeadLetterInfo]:
        """Up to `limit` of `consumer`'s dead letters, oldest first where the transport
        knows the order; reading them does not remove them. Raises `NotFound` for a
        consumer without queues."""
        ...

    async def redrive(self, consumer: str, ids: Collection[str] | None = None) -> RedriveResult:
        """Put dead letters back on `consumer`'s queue for another round of deliveries:
        all of them (`ids` None) or the named ones. Safe to repeat: a message redriven twice
        is one event delivered twice, which the consumer de-duplicates by `event_id`."""
        ...

    async def drain(self, timeout: float = 10) -> None:
        """Wait until this process's consumer queues are empty and no handler is running.

        For graceful shutdown in embedded mode and for tests; raises TimeoutError when the
        queues are still busy after `timeout` seconds.
        """
        ...
