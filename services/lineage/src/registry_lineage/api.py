"""Internal routes of the lineage service (the gateway is the only caller)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from registry_lineage.service import LineageService


def build_router(service: LineageService) -> APIRouter:
    router = APIRouter(prefix="/internal")

    @router.get("/lineage/{artifact_id}")
    async def lineage(artifact_id: str) -> dict[str, Any]:
        return await service.graph(artifact_id)

    @router.get("/cost/{artifact_id}")
    async def cost(artifact_id: str) -> dict[str, dict[str, float]]:
        return await service.cost(artifact_id)

    return router
