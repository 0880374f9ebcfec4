"""Ingest use cases. The catalog (register, enumerate, search, download) is issue 3's;
the foundation holds reset, which every later feature's data must honour."""

from __future__ import annotations

from typing import Any

from registry_common.blobs import BlobStore
from registry_common.bus import EventBus
from registry_common.events import RegistryReset
from registry_common.telemetry import inject_trace_context

ARTIFACTS_PREFIX = "artifacts/"


class IngestService:
    def __init__(self, blobs: BlobStore, bus: EventBus, log: Any) -> None:
        self._blobs = blobs
        self._bus = bus
        self._log = log

    async def reset(self, requested_by: str | None) -> None:
        """Remove every stored artifact, then tell the other services to clear theirs."""
        removed = await self._blobs.delete_prefix(ARTIFACTS_PREFIX)
        self._log.info("ingest.reset.blobs_removed", count=removed)
        await self._bus.publish(
            RegistryReset(
                source="ingest", requested_by=requested_by, trace_context=inject_trace_context()
            )
        )
