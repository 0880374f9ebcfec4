"""The orphan-blob sweeper: deletes blobs that no committed row references.

Blobs are written before the row that references them commits (so a crash never leaves a
visible row without its blobs); a crash or a failed clean-up between the two leaves blobs
nobody references, and a delete whose blob removal failed after its commit leaves some too.
The sweeper collects them: it lists the store under a prefix, asks the owner which of the
listed keys are still referenced, and deletes the others, but only those older than a
grace age, so an upload whose row is about to commit is never taken away from it.

Works on every `BlobStore` (local directory and S3 alike): it needs `list` (with
`modified_at`) and `delete` only.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from registry_common.blobs.port import BlobNotFound, BlobStore

# Given listed keys, the subset that some committed row still references.
Referenced = Callable[[Collection[str]], Awaitable[set[str]]]


@dataclass(frozen=True)
class SweepResult:
    listed: int
    removed: tuple[str, ...]
    too_young: int


class OrphanSweeper:
    """`prefix`: where the owner's blobs live. `referenced`: the owner's answer to "which of
    these keys does a committed row use?". `grace_seconds`: a blob younger than this is kept
    even when unreferenced (its row may be committing). `interval_seconds`: between sweeps
    when `running()`."""

    def __init__(
        self,
        blobs: BlobStore,
        prefix: str,
        referenced: Referenced,
        log: Any,
        *,
        grace_seconds: float,
        interval_seconds: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.blobs = blobs
        self.prefix = prefix
        self.referenced = referenced
        self.log = log
        self.grace = timedelta(seconds=grace_seconds)
        self.interval_seconds = interval_seconds
        self.clock = clock

    async def sweep(self) -> SweepResult:
        listed = await self.blobs.list(self.prefix)
        keys = [info.key for info in listed]
        used = await self.referenced(keys) if keys else set()
        horizon = self.clock() - self.grace
        removed: list[str] = []
        too_young = 0
        for info in listed:
            if info.key in used:
                continue
            # Without a modification time the age is unknown: keep it (safe side).
            if info.modified_at is None or info.modified_at > horizon:
                too_young += 1
                continue
            with contextlib.suppress(BlobNotFound):
                await self.blobs.delete(info.key)
            removed.append(info.key)
        if removed:
            self.log.info(
                "blobs.orphans.removed",
                prefix=self.prefix,
                removed=len(removed),
                listed=len(keys),
                keys=removed[:20],
            )
        return SweepResult(listed=len(keys), removed=tuple(removed), too_young=too_young)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_seconds)
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # an outage: try again at the next interval
                self.log.warning("blobs.sweep.failed", prefix=self.prefix, error=type(exc).__name__)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        task = asyncio.create_task(self.run(), name="orphan-blob-sweeper")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
