"""The public routes: exactly the spec's paths, methods and shapes. Thin: each route checks
the caller's permission and hands over to a use case or an internal service.

Routes whose feature belongs to a later issue answer 501 naming it, after the same
authentication every caller gets, so clients see the final contract's 403s already.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import (
    APIRouter,
    Body,
    Depends,
    Path,
    Query,
    Request,
    Response,
)
from fastapi.responses import JSONResponse
from pydantic import BeforeValidator

from registry_common.errors import BadRequest, PayloadTooLarge
from registry_common.http import StrictJSONRoute
from registry_gateway.downloads import serve_blob
from registry_gateway.extensions import (
    DeadLetterQueues,
    PasswordChange,
    RedriveRequest,
    RedriveResult,
    UserInfo,
    UserPermissions,
    UserRegistration,
)
from registry_gateway.schemas import (
    Artifact,
    ArtifactAuditEntry,
    ArtifactCost,
    ArtifactData,
    ArtifactLineageGraph,
    ArtifactMetadata,
    ArtifactQuery,
    ArtifactRegEx,
    ArtifactType,
    AuthenticationRequest,
    HealthComponentCollection,
    HealthSummaryResponse,
    ModelRating,
    SimpleLicenseCheckRequest,
    TracksResponse,
)
from registry_gateway.security import Caller, ClientAddress, current_caller, require
from registry_gateway.service import GatewayService

_DESCRIPTIONS = {
    400: "The request is missing fields or is malformed; the body says what to fix.",
    401: "The caller lacks the permission this action needs.",
    403: "Authentication failed due to invalid or missing AuthenticationToken.",
    404: "The artifact does not exist.",
    409: "Artifact exists already.",
    413: "Too many artifacts returned.",
    424: "Artifact is not registered due to the disqualified rating.",
    429: "Too many requests: wait the seconds in the Retry-After header (extension).",
    500: "The registry encountered an error while computing the result.",
    501: "This system does not support the operation.",
    502: "External information could not be retrieved.",
}


def responses(*codes: int, **extra: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    declared: dict[int | str, dict[str, Any]] = {
        code: {"description": _DESCRIPTIONS[code]} for code in codes
    }
    for code, spec in extra.items():
        declared[int(code.lstrip("_"))] = spec
    return declared


IdPath = Annotated[str, Path(pattern=r"^[a-zA-Z0-9\-]+$", description="artifact id")]
TypePath = Annotated[ArtifactType, Path(description="Artifact type")]
TraceIdPath = Annotated[
    str, Path(pattern=r"^[0-9a-f]{32}$", description="A trace id: 32 lowercase hex digits.")
]


ENUMERATE_OK: dict[str, Any] = {
    "description": "List of artifacts",
    "headers": {
        "offset": {
            "description": "Offset to send for the next page.",
            "schema": {"$ref": "#/components/schemas/EnumerateOffset"},
        }
    },
}


# How many queries one POST /artifacts may hold before any is validated: far above what the
# catalog answers (INGEST_MAX_QUERIES, 413 there), low enough that a body of tiny queries at the
# size ceiling is refused before tens of thousands of them are validated and forwarded.
MAX_QUERIES_PARSED = 1000


def _few_queries(value: Any) -> Any:
    if isinstance(value, list) and len(value) > MAX_QUERIES_PARSED:
        raise PayloadTooLarge(
            f"The body holds {len(value)} queries; at most {MAX_QUERIES_PARSED} are read in "
            "one request. Split it."
        )
    return value


# POST /artifact/{type}/upload's body as the document shows it (the route reads the raw stream).
UPLOAD_FORM: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "The zip."},
                        "name": {"type": "string", "description": "The artifact's name."},
                        "version": {"type": "string", "description": "Its version."},
                    },
                }
            }
        },
    }
}


def public_artifact(request: Request, artifact: dict[str, Any]) -> dict[str, Any]:
    """The spec's Artifact: metadata and data, with our absolute download URL."""
    meta = artifact["metadata"]
    download_url = str(request.url_for("download", artifact_type=meta["type"], id=meta["id"]))
    return {
        "metadata": meta,
        "data": {"url": artifact["data"]["url"], "download_url": download_url},
    }


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def build_router(service: GatewayService) -> APIRouter:
    router = APIRouter(route_class=StrictJSONRoute)

    # ------------------------------------------------------------------ health and tracks
    @router.get(
        "/health",
        summary="Heartbeat check (BASELINE)",
        operation_id="RegistryHealthHeartbeat",
        responses={200: {"description": "Service reachable."}},
    )
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/health/components",
        operation_id="RegistryHealthComponents",
        summary="Get component health details (NON-BASELINE)",
        response_model=HealthComponentCollection,
    )
    async def health_components(
        request: Request,
        windowMinutes: Annotated[int, Query(ge=5, le=1440)] = 60,
        includeTimeline: bool = False,
    ) -> Any:
        return await service.health_document(
            "/internal/components",
            {
                "windowMinutes": windowMinutes,
                "includeTimeline": str(includeTimeline).lower(),
                "base_url": _base(request),
            },
        )

    @router.get(
        "/health/summary",
        response_model=HealthSummaryResponse,
        summary="Registry health at a glance (extension; admin).",
        responses=responses(400, 401, 403),
    )
    async def health_summary(
        caller: Annotated[Caller, require("admin")],
        request: Request,
        windowMinutes: Annotated[int, Query(ge=5, le=1440)] = 60,
    ) -> Any:
        return await service.health_document(
            "/internal/summary", {"windowMinutes": windowMinutes, "base_url": _base(request)}
        )

    @router.get(
        "/health/traces/{trace_id}",
        summary="One request's spans across every service, as a tree (extension; admin).",
        responses=responses(400, 401, 403, 404),
    )
    async def health_trace(
        caller: Annotated[Caller, require("admin")], trace_id: TraceIdPath
    ) -> Any:
        return await service.trace(trace_id)

    @router.get(
        "/health/logs",
        summary="Recent log lines by service, level, trace id or text (extension; admin).",
        responses=responses(400, 401, 403),
    )
    async def health_logs(
        caller: Annotated[Caller, require("admin")],
        service_name: Annotated[str | None, Query(alias="service")] = None,
        level: str | None = None,
        trace_id: str | None = None,
        contains: str | None = None,
        limit: Annotated[int, Query(ge=1, le=5000)] = 200,
        sinceMinutes: Annotated[int | None, Query(ge=1, le=1440)] = None,
    ) -> Any:
        params = {
            "service": service_name,
            "level": level,
            "trace_id": trace_id,
            "contains": contains,
            "limit": limit,
            "sinceMinutes": sinceMinutes,
        }
        return await service.health_document(
            "/internal/logs", {k: v for k, v in params.items() if v is not None}
        )

    @router.get(
        "/health/requests",
        summary="The newest requests with status, latency and trace id (extension; admin).",
        responses=responses(400, 401, 403),
    )
    async def health_requests(
        caller: Annotated[Caller, require("admin")],
        service_name: Annotated[str | None, Query(alias="service")] = None,
        minStatus: Annotated[int, Query(ge=0, le=599)] = 0,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> Any:
        params: dict[str, Any] = {"minStatus": minStatus, "limit": limit}
        if service_name is not None:
            params["service"] = service_name
        return await service.health_document("/internal/requests", params)

    @router.get(
        "/health/dead-letters",
        response_model=DeadLetterQueues,
        summary="Each event queue's depth and dead letters (extension; admin).",
        responses=responses(400, 401, 403, 404),
    )
    async def health_dead_letters(
        caller: Annotated[Caller, require("admin")],
        consumer: str | None = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> Any:
        params: dict[str, Any] = {"limit": limit}
        if consumer:
            params["consumer"] = consumer
        return await service.health_document("/internal/dead-letters", params)

    @router.post(
        "/health/dead-letters/redrive",
        response_model=RedriveResult,
        summary="Send dead letters back to their consumer's queue (extension; admin).",
        description="Fix the cause first: a redriven event that fails again is dead-lettered "
        "again after the same number of attempts. Repeating a redrive is safe.",
        responses=responses(400, 401, 403, 404),
    )
    async def health_redrive(
        caller: Annotated[Caller, require("admin")], body: RedriveRequest
    ) -> Any:
        return await service.health_action(
            "/internal/dead-letters/redrive", body.model_dump(exclude_none=True)
        )

    @router.get(
        "/tracks",
        summary="Get the list of tracks a student has planned to implement",
        response_model=TracksResponse,
        responses=responses(500),
    )
    async def tracks(request: Request) -> TracksResponse:
        return TracksResponse(plannedTracks=list(request.app.state.settings.planned_tracks))

    # ------------------------------------------------------------------ authentication
    @router.put(
        "/authenticate",
        operation_id="CreateAuthToken",
        summary="(NON-BASELINE)",
        response_model=str,
        responses=responses(400, 401, 429, 501),
    )
    async def authenticate(body: AuthenticationRequest, client: ClientAddress) -> JSONResponse:
        token = await service.authenticate(body.user.name, body.secret.password, client)
        return JSONResponse(token)

    # ------------------------------------------------------------------ users (extension)
    @router.get(
        "/users",
        response_model=list[UserInfo],
        summary="List users (extension; admin).",
        responses=responses(401, 403),
    )
    async def list_users(caller: Annotated[Caller, require("admin")]) -> Any:
        return await service.users()

    @router.get(
        "/users/me",
        response_model=UserInfo,
        summary="Who the token belongs to, and what it may do (extension; any user).",
        description=(
            "The web UI asks this once after signing in to show only what the user may do. "
            "Like every authenticated call it spends one call of the token."
        ),
        responses=responses(403),
    )
    async def who_am_i(caller: Annotated[Caller, Depends(current_caller)]) -> Any:
        return UserInfo(
            name=caller.name, is_admin=caller.is_admin, permissions=sorted(caller.permissions)
        )

    @router.post(
        "/users",
        status_code=201,
        response_model=UserInfo,
        summary="Register a user with permissions (extension; admin).",
        responses=responses(400, 401, 403, 409),
    )
    async def create_user(
        caller: Annotated[Caller, require("admin")], body: UserRegistration
    ) -> Any:
        return await service.create_user(
            body.user.name, body.secret.password, list(body.permissions), body.user.is_admin
        )

    @router.delete(
        "/users/{name}",
        summary="Delete a user (extension): yourself, or anyone if you are an admin.",
        responses=responses(400, 401, 403, 404),
    )
    async def delete_user(caller: Annotated[Caller, Depends(current_caller)], name: str) -> Any:
        await service.delete_user(name, caller)
        return {"status": "deleted", "name": name}

    @router.put(
        "/users/{name}/password",
        summary="Change a password (extension): your own (with the current one), or anyone's "
        "if you are an admin. Revokes the user's tokens.",
        responses=responses(400, 401, 403, 404),
    )
    async def change_password(
        caller: Annotated[Caller, Depends(current_caller)], name: str, body: PasswordChange
    ) -> Any:
        await service.change_password(name, body.password, body.current_password, caller)
        return {"status": "changed", "name": name}

    @router.put(
        "/users/{name}/permissions",
        response_model=UserInfo,
        summary="Change a user's permissions (extension; admin). Revokes the user's tokens.",
        responses=responses(400, 401, 403, 404),
    )
    async def set_permissions(
        caller: Annotated[Caller, require("admin")], name: str, body: UserPermissions
    ) -> Any:
        return await service.set_permissions(name, list(body.permissions), body.is_admin)

    # ------------------------------------------------------------------ registry
    @router.delete(
        "/reset",
        operation_id="RegistryReset",
        summary="Reset the registry. (BASELINE)",
        responses=responses(401, 403, _200={"description": "Registry is reset."}),
    )
    async def reset(caller: Annotated[Caller, require("admin")]) -> dict[str, str]:
        await service.reset(caller)
        return {"status": "reset"}

    @router.post(
        "/artifacts",
        operation_id="ArtifactsList",
        response_model=list[ArtifactMetadata],
        summary="Get the artifacts from the registry. (BASELINE)",
        responses=responses(400, 403, 413, _200=ENUMERATE_OK),
    )
    async def list_artifacts(
        caller: Annotated[Caller, require("search")],
        queries: Annotated[list[ArtifactQuery], BeforeValidator(_few_queries), Body()],
        response: Response,
        offset: Annotated[str | None, Query(description="Pagination offset.")] = None,
    ) -> Any:
        items, next_offset = await service.enumerate(
            [q.model_dump(mode="json", exclude_none=True) for q in queries], offset
        )
        if next_offset is not None:
            response.headers["offset"] = next_offset
        return items

    @router.get(
        "/artifacts/{artifact_type}/{id}",
        operation_id="ArtifactRetrieve",
        response_model=Artifact,
        summary="Interact with the artifact with this id. (BASELINE)",
        responses=responses(400, 403, 404),
    )
    async def get_artifact(
        caller: Annotated[Caller, require("search")],
        request: Request,
        artifact_type: TypePath,
        id: IdPath,
    ) -> Any:
        return public_artifact(request, await service.get(artifact_type, id))

    @router.put(
        "/artifacts/{artifact_type}/{id}",
        operation_id="ArtifactUpdate",
        summary="Update this content of the artifact. (BASELINE)",
        responses=responses(
            400,
            403,
            404,
            429,
            _200={"description": "Artifact is updated."},
            _202={"description": "Artifact ingest accepted; rating deferred."},
        ),
    )
    async def update_artifact(
        caller: Annotated[Caller, require("upload", limit="ingest")],
        request: Request,
        artifact_type: TypePath,
        id: IdPath,
        body: Artifact,
    ) -> Any:
        if body.metadata.type != artifact_type:
            raise BadRequest(
                f"metadata.type {body.metadata.type!s} does not match the path's {artifact_type!s}."
            )
        status, artifact = await service.update(
            artifact_type, id, body.metadata.id, body.metadata.name, body.data.url, caller
        )
        return JSONResponse(public_artifact(request, artifact), status_code=status)

    @router.delete(
        "/artifacts/{artifact_type}/{id}",
        operation_id="ArtifactDelete",
        summary="Delete this artifact. (NON-BASELINE)",
        responses=responses(400, 403, 404, _200={"description": "Artifact is deleted."}),
    )
    async def delete_artifact(
        caller: Annotated[Caller, require("upload")], artifact_type: TypePath, id: IdPath
    ) -> Any:
        await service.delete(artifact_type, id)
        return {"status": "deleted", "id": id}

    # Declared before POST /artifact/{artifact_type}, which would otherwise claim it.
    @router.post(
        "/artifact/byRegEx",
        operation_id="ArtifactByRegExGet",
        response_model=list[ArtifactMetadata],
        responses=responses(400, 403, 404, 429),
        summary="Get any artifacts fitting the regular expression (BASELINE).",
    )
    async def by_regex(
        caller: Annotated[Caller, require("search", limit="regex")], body: ArtifactRegEx
    ) -> Any:
        return await service.regex(body.regex)

    @router.post(
        "/artifact/{artifact_type}",
        operation_id="ArtifactCreate",
        status_code=201,
        response_model=Artifact,
        summary="Register a new artifact. (BASELINE)",
        responses=responses(
            400,
            403,
            409,
            424,
            429,
            _202={"description": "Artifact ingest accepted; rating deferred."},
        ),
    )
    async def create_artifact(
        caller: Annotated[Caller, require("upload", limit="ingest")],
        request: Request,
        artifact_type: TypePath,
        body: ArtifactData,
    ) -> Any:
        status, artifact = await service.create(
            artifact_type, body.url, body.name, body.version, caller
        )
        return JSONResponse(public_artifact(request, artifact), status_code=status)

    @router.post(
        "/artifact/{artifact_type}/upload",
        status_code=201,
        response_model=Artifact,
        summary="Register an artifact from a zip you upload (extension).",
        description=(
            "Multipart form: `file` (a zip laid out like a Hugging Face repository), optional "
            "`name` and `version`. Same outcomes as registering from a URL."
        ),
        responses=responses(400, 403, 413, 424, 429),
        openapi_extra=UPLOAD_FORM,
    )
    async def upload_artifact(
        caller: Annotated[Caller, require("upload", limit="ingest")],
        request: Request,
        artifact_type: TypePath,
    ) -> Any:
        # The form is not parsed here: its bytes stream on to ingest as they arrive (counted
        # against the upload ceiling), after the caller was authenticated. Parsing it here
        # would spool the whole zip to disk once more, before any check, for every caller.
        content_type = request.headers.get("content-type", "")
        if not content_type.lower().startswith("multipart/form-data"):
            raise BadRequest(
                "Send the zip as a multipart/form-data form with a `file` field (and optional "
                "`name` and `version` fields)."
            )
        status, artifact = await service.upload(
            artifact_type, content_type, request.stream(), caller
        )
        return JSONResponse(public_artifact(request, artifact), status_code=status)

    @router.get(
        "/artifacts/{artifact_type}/{id}/download",
        summary="Download the artifact's bundle or a part of it (extension; R4).",
        description=(
            "`part`: `full` (default: the whole bundle), `weights`, `config` (config and "
            "tokenizer files) or `card` (the model card). Every zip holds `manifest.json` with "
            "each file's sha256. Supports Range requests (resumable downloads) and ETag."
        ),
        responses=responses(400, 403, 404),
    )
    async def download(
        caller: Annotated[Caller, require("download")],
        request: Request,
        client: ClientAddress,
        artifact_type: TypePath,
        id: IdPath,
        part: Annotated[str, Query(description="full, weights, config or card")] = "full",
    ) -> Response:
        info = await service.download_info(artifact_type, id, part, caller, client)
        return await serve_blob(
            request,
            request.app.state.blobs,
            info,
            redirect=request.app.state.settings.download_redirect,
        )

    @router.get(
        "/artifact/model/{id}/rate",
        operation_id="ModelArtifactRate",
        response_model=ModelRating,
        summary="Get ratings for this model artifact. (BASELINE)",
        responses=responses(400, 403, 404, 500),
    )
    async def rate(caller: Annotated[Caller, require("search")], id: IdPath) -> Any:
        return await service.rating(id, caller)

    @router.get(
        "/artifact/{artifact_type}/{id}/cost",
        response_model=ArtifactCost,
        summary="Get the cost of an artifact (BASELINE)",
        responses=responses(400, 403, 404, 500),
    )
    async def cost(
        caller: Annotated[Caller, require("search")],
        artifact_type: TypePath,
        id: IdPath,
        dependency: bool = False,
    ) -> Any:
        if dependency:
            return await service.cost_with_dependencies(artifact_type, id)
        return {id: {"total_cost": await service.cost(artifact_type, id)}}

    @router.get(
        "/artifact/byName/{name}",
        operation_id="ArtifactByNameGet",
        response_model=list[ArtifactMetadata],
        summary="List artifact metadata for this name. (NON-BASELINE)",
        responses=responses(400, 403, 404),
    )
    async def by_name(
        caller: Annotated[Caller, require("search")], name: Annotated[str, Path()]
    ) -> Any:
        return await service.by_name(name)

    @router.get(
        "/artifact/{artifact_type}/{id}/audit",
        operation_id="ArtifactAuditGet",
        response_model=list[ArtifactAuditEntry],
        summary="Retrieve audit entries for this artifact. (NON-BASELINE)",
        responses=responses(400, 403, 404),
    )
    async def audit(
        caller: Annotated[Caller, require("search")], artifact_type: TypePath, id: IdPath
    ) -> Any:
        return await service.audit(artifact_type, id, caller)

    @router.get(
        "/artifact/model/{id}/lineage",
        operation_id="ArtifactLineageGet",
        response_model=ArtifactLineageGraph,
        summary="Retrieve the lineage graph for this artifact. (BASELINE)",
        responses=responses(400, 403, 404),
    )
    async def lineage(caller: Annotated[Caller, require("search")], id: IdPath) -> Any:
        return await service.lineage(id)

    @router.post(
        "/artifact/model/{id}/license-check",
        operation_id="ArtifactLicenseCheck",
        response_model=bool,
        responses=responses(400, 403, 404, 502),
        summary="Assess license compatibility for fine-tune and inference usage. (BASELINE)",
    )
    async def license_check(
        caller: Annotated[Caller, require("search")], id: IdPath, body: SimpleLicenseCheckRequest
    ) -> Any:
        verdict = await service.license_check(id, body.github_url)
        return bool(verdict["compatible"])

    return router
