"""Extensions for sensitive models (R18, R19): a model's sensitive flag and JavaScript
download monitor, and its download history.

The monitor itself runs in ingest, on every download (GET /artifacts/model/{id}/download
asks ingest first, for any part, streamed or redirected): docs/security/monitors.md.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from registry_gateway.clients import ServiceClients
from registry_gateway.security import Caller, current_caller
from registry_gateway.service import caller_headers

Verdict = Literal["allowed", "refused", "failed", "timed_out"]


class MonitorUpdate(BaseModel):
    sensitive: bool = Field(
        True, description="Run the program before every download (and record each one)."
    )
    program: str | None = Field(
        None,
        description=(
            "JavaScript run under Node.js 24 as `node monitor.js MODEL_NAME UPLOADER_USERNAME "
            "DOWNLOADER_USERNAME ZIP_FILE_PATH`; exit 0 allows the download. At most 64 KiB "
            "by default (413 beyond). null: no program (downloads are recorded, not checked)."
        ),
    )


class DownloadAttempt(BaseModel):
    user: str = Field(description="Who asked for the download.")
    date: str = Field(description="When, ISO 8601 UTC.")
    part: str = Field(description="full, weights, config or card.")
    client: str | None = Field(None, description="The client address the gateway saw.")
    verdict: Verdict
    monitored: bool = Field(description="False: the model had no program (allowed unchecked).")
    exit_code: int | None = None
    output: str = Field("", description="The program's stdout (capped).")
    message: str = Field("", description="How the run ended, in a sentence.")
    duration_seconds: float | None = None


class Monitor(BaseModel):
    sensitive: bool
    program: str | None
    updated_by: str | None = Field(None, description="Who last changed the flag or program.")
    updated_at: str | None = None
    last_outcome: DownloadAttempt | None = Field(
        None,
        description=(
            "The newest monitored download attempt; shown only to the uploader and admins "
            "(it names a downloader), null for others."
        ),
    )


class DownloadHistory(BaseModel):
    items: list[DownloadAttempt] = Field(description="Newest first.")
    offset: int
    limit: int
    total: int
    next_offset: int | None = Field(None, description="The offset of the next page, if any.")


IdPath = Annotated[str, Path(pattern=r"^[a-zA-Z0-9\-]+$", description="model id")]
Authenticated = Annotated[Caller, Depends(current_caller)]
_COMMON: dict[int | str, dict[str, Any]] = {
    400: {"description": "Malformed id or body."},
    403: {"description": "Missing or invalid token."},
    404: {"description": "No such model."},
}


def build_sensitive_router(clients: ServiceClients) -> APIRouter:
    router = APIRouter(tags=["sensitive models (extension)"])

    def path(model_id: str, leaf: str) -> str:
        return f"/internal/artifacts/model/{model_id}/{leaf}"

    @router.get(
        "/artifacts/model/{id}/monitor",
        response_model=Monitor,
        summary="Read a model's sensitive flag and monitor program (extension; any user).",
        responses=_COMMON,
    )
    async def get_monitor(caller: Authenticated, id: IdPath) -> Any:
        response = await clients.ingest.get(path(id, "monitor"), headers=caller_headers(caller))
        return response.json()

    @router.put(
        "/artifacts/model/{id}/monitor",
        response_model=Monitor,
        summary="Mark a model sensitive and set or replace its monitor (extension; any user).",
        description=(
            "Any authenticated user may, as R18 asks; the change is an UPDATE entry of the "
            "artifact's audit trail naming the user."
        ),
        responses={**_COMMON, 413: {"description": "The program is too large."}},
    )
    async def put_monitor(caller: Authenticated, id: IdPath, body: MonitorUpdate) -> Any:
        response = await clients.ingest.request(
            "PUT",
            path(id, "monitor"),
            json=body.model_dump(),
            headers=caller_headers(caller),
        )
        return response.json()

    @router.delete(
        "/artifacts/model/{id}/monitor",
        response_model=Monitor,
        summary="Delete a model's monitor program (extension; any user).",
        description="The sensitive flag stays; PUT `sensitive: false` clears it.",
        responses=_COMMON,
    )
    async def delete_monitor(caller: Authenticated, id: IdPath) -> Any:
        response = await clients.ingest.request(
            "DELETE", path(id, "monitor"), headers=caller_headers(caller)
        )
        return response.json()

    @router.get(
        "/artifacts/model/{id}/downloads",
        response_model=DownloadHistory,
        summary="Download history of a sensitive model, newest first (extension; R19).",
        description="Only the model's uploader and admins may read it (403 for others).",
        responses={
            **_COMMON,
            403: {"description": "Missing or invalid token, or not the uploader nor an admin."},
        },
    )
    async def downloads(
        caller: Authenticated,
        id: IdPath,
        offset: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> Any:
        response = await clients.ingest.get(
            path(id, "downloads"),
            params={"offset": offset, "limit": limit},
            headers=caller_headers(caller),
        )
        return response.json()

    return router
