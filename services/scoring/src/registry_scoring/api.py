"""Internal routes of the scoring service (the gateway is the only caller)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from registry_scoring.service import ScoringService


def build_router(service: ScoringService) -> APIRouter:
    router = APIRouter(prefix="/internal")

    @router.get("/ratings/{artifact_id}")
    async def rating(artifact_id: str) -> dict[str, Any]:
        # Served from storage: computed once at ingest, so /rate stays fast under load.
        return await service.rating(artifact_id)

    return router
