"""Lineage's reactions to other services' events."""

from __future__ import annotations

from typing import Any

from registry_common.events import ArtifactDeleted, ArtifactUpdated, ArtifactUploaded, RegistryReset
from registry_lineage.service import LineageService


def build_handlers(service: LineageService, log: Any) -> dict[type, Any]:
    async def on_uploaded(event: ArtifactUploaded) -> None:
        await service.index(event)

    async def on_updated(event: ArtifactUpdated) -> None:
        await service.index(event)

    async def on_deleted(event: ArtifactDeleted) -> None:
        await service.forget(event.artifact.id)

    async def on_reset(event: RegistryReset) -> None:
        await service.reset()
        log.info("lineage.reset.applied", event_id=str(event.event_id))

    return {
        ArtifactUploaded: on_uploaded,
        ArtifactUpdated: on_updated,
        ArtifactDeleted: on_deleted,
        RegistryReset: on_reset,
    }
