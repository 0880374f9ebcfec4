"""Internal routes of the ingest service (the gateway is the only caller). The gateway
forwards the caller's name in X-Registry-User."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Header, Query, UploadFile
from pydantic import AfterValidator, BaseModel, Field

from registry_common.http import USER_HEADER, user_from_header
from registry_ingest.audit import ACTIONS, Actor
from registry_ingest.confusion.audit import MAX_PAGE, ConfusionAudit
from registry_ingest.reads import CatalogReader, describe, summary
from registry_ingest.reads import Query as ArtifactQuery
from registry_ingest.service import IngestService, Outcome

UserName = Annotated[str | None, Header(alias=USER_HEADER), AfterValidator(user_from_header)]
UserAdmin = Annotated[bool, Header(alias="X-Registry-Admin")]
UserCreated = Annotated[datetime | None, Header(alias="X-Registry-User-Created")]


def actor(
    name: UserName = None, is_admin: UserAdmin = False, created: UserCreated = None
) -> Actor | None:
    return Actor(name, is_admin, created) if name else None


User = Annotated[Actor | None, Depends(actor)]
ArtifactType = Literal["model", "dataset", "code"]


class CreateRequest(BaseModel):
    url: str
    name: str | None = None
    version: str | None = None


class UpdateRequest(BaseModel):
    id: str
    name: str
    url: str


class QueryItem(BaseModel):
    name: str
    types: list[str] | None = None
    version: str | None = None


class EnumerateRequest(BaseModel):
    queries: list[QueryItem]
    offset: str | None = None


class RegexRequest(BaseModel):
    regex: str


class ResetRequest(BaseModel):
    requested_by: str | None = None


class OutcomeBody(BaseModel):
    status: int
    artifact: dict[str, Any] = Field(default_factory=dict)


def _outcome(outcome: Outcome) -> OutcomeBody:
    return OutcomeBody(status=outcome.status, artifact=describe(outcome.row))


def build_router(service: IngestService, reader: CatalogReader) -> APIRouter:
    router = APIRouter(prefix="/internal")

    @router.post("/artifacts/{artifact_type}")
    async def create(artifact_type: ArtifactType, body: CreateRequest, user: User) -> OutcomeBody:
        return _outcome(
            await service.register(artifact_type, body.url, body.name, user, body.version)
        )

    @router.post("/artifacts/{artifact_type}/upload")
    async def upload(
        artifact_type: ArtifactType,
        file: Annotated[UploadFile, File()],
        user: User,
        name: Annotated[str | None, Form()] = None,
        version: Annotated[str | None, Form()] = None,
    ) -> OutcomeBody:
        # The spooled upload is read where it lies (no copy); its size was bounded while it
        # streamed in (the body ceiling) and is checked exactly against max_upload_bytes.
        return _outcome(
            await service.register_upload(
                artifact_type, file.file, file.filename or "upload.zip", name, user, version
            )
        )

    @router.post("/catalog/query")
    async def enumerate_(body: EnumerateRequest) -> dict[str, Any]:
        queries = [ArtifactQuery(q.name, tuple(q.types or ()), q.version) for q in body.queries]
        page = await reader.enumerate(queries, body.offset)
        return {"items": [summary(r) for r in page.items], "next_offset": page.next_offset}

    @router.get("/catalog/by-name")
    async def by_name(name: str) -> list[dict[str, str]]:
        return [summary(r) for r in await reader.by_name(name)]

    @router.post("/catalog/regex")
    async def regex(body: RegexRequest) -> list[dict[str, str]]:
        return [summary(r) for r in await reader.regex(body.regex)]

    @router.get("/artifacts/{artifact_type}/{artifact_id}")
    async def get(artifact_type: ArtifactType, artifact_id: str) -> dict[str, Any]:
        return describe(await reader.get(artifact_type, artifact_id))

    @router.put("/artifacts/{artifact_type}/{artifact_id}")
    async def update(
        artifact_type: ArtifactType, artifact_id: str, body: UpdateRequest, user: User
    ) -> OutcomeBody:
        if body.id != artifact_id:
            from registry_common.errors import BadRequest

            raise BadRequest(
                f"metadata.id {body.id!r} does not match the id in the path {artifact_id!r}."
            )
        return _outcome(await service.update(artifact_type, artifact_id, body.name, body.url, user))

    @router.delete("/artifacts/{artifact_type}/{artifact_id}")
    async def delete(artifact_type: ArtifactType, artifact_id: str) -> dict[str, str]:
        await service.delete(artifact_type, artifact_id)
        return {"status": "deleted"}

    @router.get("/artifacts/{artifact_type}/{artifact_id}/cost")
    async def cost(artifact_type: ArtifactType, artifact_id: str) -> dict[str, float]:
        return {"standalone_mb": await reader.cost(artifact_type, artifact_id)}

    @router.get("/artifacts/{artifact_type}/{artifact_id}/download")
    async def download(
        artifact_type: ArtifactType,
        artifact_id: str,
        user: User,
        part: Annotated[str, Query()] = "full",
        client: Annotated[str | None, Query()] = None,
    ) -> dict[str, Any]:
        return await reader.download(artifact_type, artifact_id, part, user, client)

    @router.get("/artifacts/{artifact_type}/{artifact_id}/audit")
    async def audit(
        artifact_type: ArtifactType, artifact_id: str, user: User
    ) -> list[dict[str, Any]]:
        return await reader.audit(artifact_type, artifact_id, user)

    @router.post("/artifacts/{artifact_type}/{artifact_id}/audit/{action}")
    async def record(
        artifact_type: ArtifactType, artifact_id: str, action: str, user: User
    ) -> dict[str, str]:
        if action not in ACTIONS:
            from registry_common.errors import BadRequest

            raise BadRequest(f"Unknown audit action {action!r}.")
        await reader.record(artifact_type, artifact_id, action, user)
        return {"status": "recorded"}

    @router.post("/reset")
    async def reset(body: ResetRequest) -> dict[str, str]:
        await service.reset(body.requested_by)
        return {"status": "reset"}

    return router


def build_confusion_router(audit: ConfusionAudit) -> APIRouter:
    router = APIRouter(prefix="/internal")

    @router.get("/audit/package-confusion")
    async def package_confusion(
        offset: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    ) -> dict[str, Any]:
        return await audit.page(offset, limit)

    return router
