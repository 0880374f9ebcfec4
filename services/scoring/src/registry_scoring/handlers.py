"""Scoring's reactions to other services' events."""

from __future__ import annotations

from typing import Any

from registry_common.events import ArtifactDeleted, ArtifactUpdated, ArtifactUploaded, RegistryReset
from registry_scoring.service import ScoringService


def build_handlers(service: ScoringService, log: Any) -> dict[type, Any]:
    async def on_uploaded(event: ArtifactUploaded) -> None:
        await service.rate_artifact(event)

    async def on_updated(event: ArtifactUpdated) -> None:
        await service.rate_artifact(event)  # new content, new rating

    async def on_deleted(event: ArtifactDeleted) -> None:
        await service.forget(event.artifact.id)

    async def on_reset(event: RegistryReset) -> None:
        await service.reset()
        log.info("scoring.reset.applied", event_id=str(event.event_id))

    return {
        ArtifactUploaded: on_uploaded,
        ArtifactUpdated: on_updated,
        ArtifactDeleted: on_deleted,
        RegistryReset: on_reset,
    }
