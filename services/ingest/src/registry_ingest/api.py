"""Internal routes of the ingest service (the gateway is the only caller)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from registry_ingest.service import IngestService


class ResetRequest(BaseModel):
    requested_by: str | None = None


def build_router(service: IngestService) -> APIRouter:
    router = APIRouter(prefix="/internal")

    @router.post("/reset")
    async def reset(body: ResetRequest) -> dict[str, str]:
        await service.reset(body.requested_by)
        return {"status": "reset"}

    return router
