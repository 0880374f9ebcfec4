"""Dead letters: each consumer queue's depth and dead-letter depth, the dead letters
themselves, and redriving them after the cause is fixed (admin extension, docs/api.md).

The health service reaches every consumer's queues through its own bus handle: in embedded
mode that is the one in-process bus all services share; in distributed mode an SNS/SQS bus
with the deployment's prefix, which finds `{prefix}-{consumer}` and its DLQ by name
(`HEALTH_BUS_CONSUMERS` lists the consumers to watch).
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from registry_common.bus.port import BusStats, DeadLetterInfo, EventBus
from registry_common.errors import BadRequest, NotFound
from registry_health.components import iso
from registry_health.telemetry_store import Clock

MAX_LIMIT = 100
MAX_IDS = 100


@dataclass
class DeadLetterDesk:
    bus: EventBus
    consumers: Collection[str] = ()
    """Consumers of other processes to watch (distributed mode); the bus adds its own."""
    clock: Clock = time.time
    log: Any = None

    async def stats(self) -> BusStats:
        return await self.bus.stats(self.consumers)

    async def queues(self, consumer: str | None = None, limit: int = 20) -> dict[str, Any]:
        """Every queue with its depth and dead-letter depth, and up to `limit` dead letters
        of each queue holding some (or of `consumer` only)."""
        if not 1 <= limit <= MAX_LIMIT:
            raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}; got {limit}.")
        stats = await self.stats()
        names = self._known(stats)
        if consumer is not None:
            names = [self._check(consumer, names)]
        queues = []
        for name in names:
            held = stats.dead_letters.get(name, 0)
            letters = await self.bus.dead_letters(name, limit) if held else []
            queues.append(
                {
                    "consumer": name,
                    "queue_depth": stats.queue_depth.get(name, 0),
                    "dead_letters": held,
                    "letters": [_letter(letter) for letter in letters],
                }
            )
        return {"queues": queues, "generated_at": iso(self.clock())}

    async def redrive(self, consumer: str, ids: list[str] | None = None) -> dict[str, Any]:
        """Send `consumer`'s dead letters (all, or the ones named) back to its queue."""
        if ids is not None and not 1 <= len(ids) <= MAX_IDS:
            raise BadRequest(
                f"ids must name 1 to {MAX_IDS} dead letters (leave it out to redrive all); "
                f"got {len(ids)}."
            )
        self._check(consumer, self._known(await self.stats()))
        result = await self.bus.redrive(consumer, ids)
        if self.log is not None:
            self.log.warning(
                "health.dead_letters.redriven",
                consumer=consumer,
                moved=result.moved,
                requested=len(ids) if ids is not None else "all",
                not_found=list(result.not_found),
            )
        return {
            "consumer": result.consumer,
            "moved": result.moved,
            "not_found": list(result.not_found),
        }

    @staticmethod
    def _known(stats: BusStats) -> list[str]:
        return sorted(set(stats.queue_depth) | set(stats.dead_letters))

    @staticmethod
    def _check(consumer: str, known: list[str]) -> str:
        if consumer not in known:
            raise NotFound(
                f"No event consumer queue is called {consumer!r}; the queues are: "
                f"{', '.join(known) or 'none'}."
            )
        return consumer


def _letter(letter: DeadLetterInfo) -> dict[str, Any]:
    return {
        "id": letter.id,
        "event_type": letter.event_type,
        "event_id": letter.event_id,
        "reason": letter.reason,
        "receive_count": letter.receive_count,
        "dead_lettered_at": (
            iso(letter.dead_lettered_at.timestamp()) if letter.dead_lettered_at else None
        ),
    }
