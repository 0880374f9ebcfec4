"""Ingest's reactions to other services' events."""

from __future__ import annotations

from typing import Any

from registry_common.events import ArtifactScored
from registry_ingest.service import IngestService


def build_handlers(service: IngestService) -> dict[type, Any]:
    async def on_scored(event: ArtifactScored) -> None:
        await service.record_rating(event)

    return {ArtifactScored: on_scored}
