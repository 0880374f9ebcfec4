"""Internal load-test routes; the gateway exposes them as `/health/load-tests` (admins only)
and forwards the admin's token for the one call that creates the run's user."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field, StringConstraints

from registry_health.loadtest.service import LoadTestService, RunRequest

ArtifactId = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9\-]+$", max_length=100)]
RunId = Annotated[str, Path(pattern=r"^[0-9a-f\-]{36}$", description="A load test's id.")]


class StartLoadTest(BaseModel):
    clients: int = Field(description="Concurrent clients, each with its own token.")
    duration_seconds: int = Field(description="How long the clients download.")
    models: list[ArtifactId] | None = Field(default=None, max_length=500)
    model_count: int | None = None
    admin_token: str = Field(min_length=1, max_length=4096)
    requested_by: str = Field(min_length=1, max_length=255)


def build_loadtest_router(service: LoadTestService) -> APIRouter:
    router = APIRouter(prefix="/internal/load-tests")

    @router.post("", status_code=202)
    async def start(body: StartLoadTest) -> dict[str, Any]:
        request = RunRequest(
            clients=body.clients,
            duration_seconds=body.duration_seconds,
            models=body.models,
            model_count=body.model_count,
        )
        return await service.start(request, body.admin_token, body.requested_by)

    @router.get("")
    async def runs(limit: int = 50) -> dict[str, Any]:
        return await service.runs(limit)

    @router.get("/{run_id}")
    async def run(run_id: RunId) -> dict[str, Any]:
        return await service.get(run_id)

    @router.post("/{run_id}/cancel")
    async def cancel(run_id: RunId) -> dict[str, Any]:
        return await service.cancel(run_id)

    return router
