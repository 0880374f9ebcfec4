"""Internal routes of the lineage service (the gateway is the only caller)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from registry_lineage.service import LineageService


class LicenseCheckRequest(BaseModel):
    github_url: str


def build_router(service: LineageService) -> APIRouter:
    router = APIRouter(prefix="/internal")

    @router.get("/lineage/{artifact_id}")
    async def lineage(artifact_id: str) -> dict[str, Any]:
        return await service.graph(artifact_id)

    @router.get("/cost/{artifact_id}")
    async def cost(artifact_id: str) -> dict[str, dict[str, float]]:
        return await service.cost(artifact_id)

    @router.post("/license-check/{artifact_id}")
    async def license_check(artifact_id: str, body: LicenseCheckRequest) -> dict[str, Any]:
        return await service.license_check(artifact_id, body.github_url)

    return router
