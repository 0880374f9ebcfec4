"""The event bus port: publish facts, subscribe a named consumer to event types.

Delivery is at-least-once. Each consumer (one per service) has its own queue; a message is
acknowledged only after its handler succeeded, de-duplicated by `event_id`, and a message
that keeps failing goes to the consumer's dead-letter queue instead of blocking the rest.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from registry_common.events import Event

E = TypeVar("E", bound=Event)
Handler = Callable[[E], Awaitable[None]]


@dataclass(frozen=True)
class BusStats:
    """What the health service reports per consumer queue."""

    queue_depth: dict[str, int] = field(default_factory=dict)
    dead_letters: dict[str, int] = field(default_factory=dict)


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

    async def stats(self) -> BusStats: ...

    async def drain(self, timeout: float = 10) -> None:
        """Wait until this process's consumer queues are empty and no handler is running.

        For graceful shutdown in embedded mode and for tests; raises TimeoutError when the
        queues are still busy after `timeout` seconds.
        """
        ...
