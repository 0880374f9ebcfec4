"""Internal routes of atomic groups (R25). The gateway authenticates the caller, checks its
permissions and forwards its name in X-Registry-User."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from pydantic import BaseModel, Field

from registry_common.errors import AuthenticationFailed
from registry_ingest.api import User
from registry_ingest.audit import Actor
from registry_ingest.group_commands import CommandSpec
from registry_ingest.groups import GroupService
from registry_ingest.reads import CatalogReader, describe


class CommandBody(BaseModel):
    op: str = Field(description="ingest, update or delete (an upload is a multipart form).")
    type: str
    url: str | None = None
    name: str | None = None
    version: str | None = None
    id: str | None = None


def _known(user: Actor | None) -> Actor:
    if user is None:  # the gateway always names the caller; a bare internal call does not
        raise AuthenticationFailed("A group request belongs to an authenticated user.")
    return user


def build_group_router(groups: GroupService, reader: CatalogReader) -> APIRouter:
    router = APIRouter(prefix="/internal/groups")

    @router.post("")
    async def create(user: User) -> dict[str, Any]:
        return await groups.create(_known(user))

    @router.get("")
    async def listing(user: User) -> list[dict[str, Any]]:
        return await groups.listing(_known(user))

    @router.get("/{group_id}")
    async def get(group_id: str, user: User) -> dict[str, Any]:
        return await groups.get(group_id, _known(user))

    @router.post("/{group_id}/commands")
    async def add(group_id: str, body: CommandBody, user: User) -> dict[str, Any]:
        spec = CommandSpec(body.op, body.type, body.url, body.name, body.version, body.id)
        return await groups.add(group_id, _known(user), spec)

    @router.post("/{group_id}/commands/upload")
    async def add_upload(
        group_id: str,
        user: User,
        file: Annotated[UploadFile, File()],
        type: Annotated[str, Form()],
        name: Annotated[str | None, Form()] = None,
        version: Annotated[str | None, Form()] = None,
    ) -> dict[str, Any]:
        return await groups.add_upload(
            group_id,
            _known(user),
            type,
            file.file,
            file.filename or "upload.zip",
            name,
            version,
        )

    @router.post("/{group_id}/execute")
    async def execute(group_id: str, user: User) -> dict[str, Any]:
        actor = _known(user)
        outcome = await groups.execute(group_id, actor)
        rows = await groups.snapshot(group_id, actor)
        return {**outcome, "artifacts": [describe(row) for row in rows]}

    @router.get("/{group_id}/download")
    async def download(
        group_id: str, user: User, client: Annotated[str | None, Query()] = None
    ) -> dict[str, Any]:
        """Where each member's bundle is, as of one read of the catalog: the gateway zips
        these revision-addressed blobs (which no later update overwrites)."""
        actor = _known(user)
        taken = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        rows = await groups.snapshot(group_id, actor)
        items = []
        for row in rows:
            info = await reader.download_row(row, "full", actor, client)
            items.append({**info, "id": row.id, "name": row.name, "type": row.type})
        return {"group": group_id, "snapshot_at": taken, "items": items}

    return router
