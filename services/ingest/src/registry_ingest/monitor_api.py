"""Internal routes of sensitive models (R18, R19): the monitor and the download history.
The gateway authenticates the caller and forwards the name in X-Registry-User."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from registry_common.errors import AuthenticationFailed
from registry_ingest.api import User
from registry_ingest.audit import Actor
from registry_ingest.monitors import SensitiveModels
from registry_ingest.reads import CatalogReader


class MonitorBody(BaseModel):
    sensitive: bool = True
    program: str | None = None


def _known(user: Actor | None) -> Actor:
    if user is None:  # the gateway always names the caller; a bare internal call does not
        raise AuthenticationFailed("A monitor change needs an authenticated user.")
    return user


def build_monitor_router(reader: CatalogReader, sensitive: SensitiveModels) -> APIRouter:
    router = APIRouter(prefix="/internal/artifacts/model/{artifact_id}")

    @router.get("/monitor")
    async def get_monitor(artifact_id: str, user: User) -> dict[str, Any]:
        row = await reader.get("model", artifact_id)
        return await sensitive.describe(row, _known(user))

    @router.put("/monitor")
    async def put_monitor(artifact_id: str, body: MonitorBody, user: User) -> dict[str, Any]:
        row = await reader.get("model", artifact_id)
        return await sensitive.set(row, body.sensitive, body.program, _known(user))

    @router.delete("/monitor")
    async def delete_monitor(artifact_id: str, user: User) -> dict[str, Any]:
        row = await reader.get("model", artifact_id)
        return await sensitive.remove_program(row, _known(user))

    @router.get("/downloads")
    async def downloads(
        artifact_id: str,
        user: User,
        offset: Annotated[int, Query()] = 0,
        limit: Annotated[int, Query()] = 20,
    ) -> dict[str, Any]:
        row = await reader.get("model", artifact_id)
        return await sensitive.history(row, _known(user), offset, limit)

    return router
