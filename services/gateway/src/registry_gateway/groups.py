"""Extension: atomic groups (R25). Create an empty request, append commands (upload a zip,
ingest from a URL, update, delete), execute: every change of the group becomes visible at
once, or none does and the answer names the member that failed. A committed group downloads
as one zip of its artifacts as of one moment. The use cases live in ingest
(`registry_ingest.groups`); here are the permissions and the snapshot's zip.

Permissions are the single-artifact routes': `upload` to create, fill, execute and read a
request (a group uploads, updates and deletes), `download` to download it; every call spends
a token like any other. A request is its owner's: others get 404, admins see every one.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import zipfile
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from registry_common.blobs import BlobStore
from registry_common.blobs.port import BlobNotFound
from registry_common.errors import BadRequest, Conflict
from registry_gateway.api import public_artifact
from registry_gateway.clients import ServiceClients
from registry_gateway.schemas import ArtifactType
from registry_gateway.security import Caller, ClientAddress, require
from registry_gateway.service import _seg, caller_headers

GroupPath = Annotated[
    str, Path(pattern=r"^[0-9a-f\-]{36}$", description="The group request's id (a UUID).")
]


class GroupCommand(BaseModel):
    op: Literal["ingest", "update", "delete"] = Field(
        description="ingest: register from `url`; update: give artifact `id` (named `name`) "
        "the content at `url`; delete: remove artifact `id`. Uploads: .../commands/upload."
    )
    type: ArtifactType
    url: str | None = Field(None, max_length=2048, description="ingest and update: the source.")
    name: str | None = Field(
        None, max_length=512, description="ingest: the name (else the URL's); update: required."
    )
    version: str | None = Field(None, max_length=128)
    id: str | None = Field(
        None, pattern=r"^[a-zA-Z0-9\-]+$", max_length=64, description="update and delete."
    )


class GroupCommandView(BaseModel):
    position: int = Field(description="0-based, in the order the commands were added.")
    op: str
    type: str
    id: str | None = Field(None, description="The target; a new artifact's once committed.")
    name: str | None = None
    url: str | None = None
    version: str | None = None
    filename: str | None = Field(None, description="An upload's zip.")


class GroupFailure(BaseModel):
    position: int | None = Field(description="The member that failed (None: not one member).")
    status: int | None = Field(description="The HTTP status the execute answered.")
    reason: str


class GroupRequest(BaseModel):
    id: str
    owner: str
    state: Literal["open", "executing", "committed", "failed", "expired"]
    created_at: str
    expires_at: str = Field(description="After it the request is expired (INGEST_GROUP_TTL).")
    executed_at: str | None = None
    commands: list[GroupCommandView]
    failure: GroupFailure | None = None


class GroupOutcome(GroupRequest):
    artifacts: list[dict[str, Any]] = Field(
        default_factory=list, description="The group's artifacts as committed (spec Artifact)."
    )


UPLOAD_COMMAND_FORM: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "type"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "The zip."},
                        "type": {"type": "string", "enum": ["model", "dataset", "code"]},
                        "name": {"type": "string", "description": "The artifact's name."},
                        "version": {"type": "string", "description": "Its version."},
                    },
                }
            }
        },
    }
}

_COMMON: dict[int | str, dict[str, Any]] = {
    400: {"description": "Malformed id or body; the body says what to fix."},
    401: {"description": "The caller lacks the permission."},
    403: {"description": "Missing or invalid token."},
    404: {"description": "No such group request (or not yours)."},
}
_STATE: dict[int | str, dict[str, Any]] = {
    409: {"description": "The group was already executed (or is executing)."},
    410: {"description": "The request expired."},
}


def build_groups_router(clients: ServiceClients) -> APIRouter:
    router = APIRouter(tags=["atomic groups (extension)"])
    ingest = clients.ingest

    def path(group_id: str, leaf: str = "") -> str:
        return f"/internal/groups/{_seg(group_id)}{leaf}"

    @router.post(
        "/groups",
        status_code=201,
        response_model=GroupRequest,
        summary="Create an empty atomic group request (extension; R25).",
        description="The caller owns it; it is open for commands until `expires_at`.",
        responses=_COMMON,
    )
    async def create_group(caller: Annotated[Caller, require("upload")]) -> Any:
        response = await ingest.post("/internal/groups", headers=caller_headers(caller))
        return JSONResponse(response.json(), status_code=201)

    @router.get(
        "/groups",
        response_model=list[GroupRequest],
        summary="List your group requests, newest first (extension; admins: everyone's).",
        responses=_COMMON,
    )
    async def list_groups(caller: Annotated[Caller, require("upload")]) -> Any:
        return (await ingest.get("/internal/groups", headers=caller_headers(caller))).json()

    @router.get(
        "/groups/{group_id}",
        response_model=GroupRequest,
        summary="Read a group request: its commands, state and outcome (extension).",
        responses=_COMMON,
    )
    async def get_group(caller: Annotated[Caller, require("upload")], group_id: GroupPath) -> Any:
        return (await ingest.get(path(group_id), headers=caller_headers(caller))).json()

    @router.post(
        "/groups/{group_id}/commands",
        status_code=201,
        response_model=GroupCommandView,
        summary="Append an ingest, update or delete command (extension).",
        description="Checked now as far as it can be (a malformed URL is a 400 here); the "
        "rest (fetching, the gates, the target's existence) at execute.",
        responses={**_COMMON, **_STATE, 413: {"description": "The group is full."}},
    )
    async def add_command(
        caller: Annotated[Caller, require("upload")], group_id: GroupPath, body: GroupCommand
    ) -> Any:
        response = await ingest.post(
            path(group_id, "/commands"), json=body.model_dump(), headers=caller_headers(caller)
        )
        return JSONResponse(response.json(), status_code=201)

    @router.post(
        "/groups/{group_id}/commands/upload",
        status_code=201,
        response_model=GroupCommandView,
        summary="Append an upload command: a zip to register (extension).",
        description="Multipart form: `file` (a zip laid out like a Hugging Face repository), "
        "`type`, optional `name` and `version`. The zip waits, unread, until execute.",
        responses={**_COMMON, **_STATE, 413: {"description": "Too large, or the group is full."}},
        openapi_extra=UPLOAD_COMMAND_FORM,
    )
    async def add_upload(
        caller: Annotated[Caller, require("upload", limit="ingest")],
        request: Request,
        group_id: GroupPath,
    ) -> Any:
        content_type = request.headers.get("content-type", "")
        if not content_type.lower().startswith("multipart/form-data"):
            raise BadRequest(
                "Send the zip as a multipart/form-data form with `file` and `type` fields (and "
                "optional `name` and `version`)."
            )
        # Streamed on unparsed, like POST /artifact/{type}/upload (ingest parses it once).
        response = await ingest.request(
            "POST",
            path(group_id, "/commands/upload"),
            content=request.stream(),
            headers={**caller_headers(caller), "Content-Type": content_type},
        )
        return JSONResponse(response.json(), status_code=201)

    @router.post(
        "/groups/{group_id}/execute",
        response_model=GroupOutcome,
        summary="Execute a group: all of it becomes visible at once, or none (extension).",
        description=(
            "Stages every member (fetch or unpack, the unsafe-weights scan, the rating gate), "
            "then applies every catalog change in one transaction. A failing member rolls the "
            "whole group back: the answer has its status (4xx for bad input or a gate "
            "refusal, 5xx naming the component for an outage) and `details.failed_member` "
            "(position, op, reason)."
        ),
        responses={
            **_COMMON,
            **_STATE,
            424: {"description": "The rating gate refused a member; nothing was applied."},
            502: {"description": "A source failed; nothing was applied."},
            503: {"description": "A component is down; nothing was applied."},
        },
    )
    async def execute_group(
        caller: Annotated[Caller, require("upload", limit="ingest")],
        request: Request,
        group_id: GroupPath,
    ) -> Any:
        outcome: dict[str, Any] = (
            await ingest.post(path(group_id, "/execute"), headers=caller_headers(caller))
        ).json()
        outcome["artifacts"] = [public_artifact(request, a) for a in outcome.get("artifacts", [])]
        return outcome

    @router.get(
        "/groups/{group_id}/download",
        summary="Download a committed group as one zip: a consistent snapshot (extension).",
        description=(
            "Each artifact's full bundle (`<type>/<id>-<name>.zip`) at the revision one read "
            "of the catalog saw, plus `manifest.json` (the snapshot's time, each member's "
            "sha256). Sensitive models' monitors run as for single downloads."
        ),
        responses={
            **_COMMON,
            409: {"description": "The group is not committed, or changed while read."},
        },
    )
    async def download_group(
        caller: Annotated[Caller, require("download")],
        request: Request,
        client: ClientAddress,
        group_id: GroupPath,
    ) -> Any:
        response = await ingest.get(
            path(group_id, "/download"),
            params={"client": client} if client else None,
            headers=caller_headers(caller),
        )
        snapshot: dict[str, Any] = response.json()
        archive = await _zip_snapshot(request.app.state.blobs, snapshot)
        return FileResponse(
            archive,
            media_type="application/zip",
            filename=f"group-{group_id}.zip",
            background=BackgroundTask(os.unlink, archive),
        )

    return router


async def _zip_snapshot(blobs: BlobStore, snapshot: dict[str, Any]) -> str:
    """One zip of the snapshot's blobs (stored, not recompressed: each is a zip already).
    The keys name revisions, which updates never overwrite; a member deleted after the read
    is a 409 (download again)."""
    handle, archive = tempfile.mkstemp(prefix="group-", suffix=".zip")
    os.close(handle)
    manifest = {"group": snapshot["group"], "snapshot_at": snapshot["snapshot_at"], "items": []}
    try:
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as bundle:
            for item in snapshot["items"]:
                entry = f"{item['type']}/{item['id']}-{item['filename']}"
                with bundle.open(entry, "w", force_zip64=True) as out:
                    try:
                        async for chunk in blobs.open(item["key"]):
                            await asyncio.to_thread(out.write, chunk)
                    except BlobNotFound as exc:
                        raise Conflict(
                            f"The {item['type']} {item['id']!r} was deleted while the group "
                            "was being read; download the group again."
                        ) from exc
                manifest["items"].append(
                    {
                        "id": item["id"],
                        "name": item["name"],
                        "type": item["type"],
                        "file": entry,
                        "size": item["size"],
                        "sha256": item["sha256"],
                    }
                )
            bundle.writestr("manifest.json", json.dumps(manifest, indent=2))
    except BaseException:
        os.unlink(archive)
        raise
    return archive
