"""Extension GET /artifacts/{type}/{id}/details: what the catalog knows about an artifact
beyond the spec's Artifact (version, license, sizes, uploader, dates, the rating's verdict,
the unsafe-weights scan).

The web UI's detail page shows it next to the spec's metadata; the catalog already holds every
field (ingest's describe()), the spec's Artifact just has no place for them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from registry_common.http import StrictJSONRoute
from registry_gateway.schemas import ArtifactType
from registry_gateway.security import Caller, require
from registry_gateway.service import GatewayService


class RatingVerdict(BaseModel):
    vetted: bool | None = Field(None, description="Every metric at least 0.5 (the gate's rule).")
    failing_metrics: list[str] = Field(default_factory=list)
    error: str | None = Field(None, description="Why the rating could not be computed.")
    rated_at: str | None = Field(None, description="ISO 8601, UTC.")


class ScannedFile(BaseModel):
    path: str = Field(description="The file's path in the bundle.")
    status: Literal["safe", "unsafe", "not_scanned"]
    imports: list[str] = Field(
        default_factory=list,
        description="Imports outside the allow-list, e.g. os.system ('?' if unresolvable).",
    )
    dangerous: list[str] = Field(
        default_factory=list, description="Those of `imports` known to run code or commands."
    )
    reason: str | None = Field(None, description="Why the file was not scanned.")


class ScannerInfo(BaseModel):
    name: str
    version: str


class WeightsScanVerdict(BaseModel):
    verdict: Literal["safe", "unsafe", "not_scanned"] = Field(
        description="unsafe: a pickle-based file imports outside the allow-list; safe: every "
        "pickle-based file was scanned clean; not_scanned: none, or not all, could be scanned."
    )
    reason: str | None = Field(None, description="The verdict in a sentence.")
    scanner: ScannerInfo
    scanned_at: str | None = Field(None, description="ISO 8601, UTC.")
    files: list[ScannedFile] = Field(
        default_factory=list, description="Every pickle-based file of the bundle."
    )


class ArtifactDetails(BaseModel):
    id: str
    name: str
    type: ArtifactType
    version: str | None = Field(None, description="The registered version (upload or git tag).")
    versions: list[str] = Field(default_factory=list, description="Every version tag found.")
    revision: int | None = Field(None, description="Content revision (1, then +1 per update).")
    source_kind: str | None = Field(None, description="e.g. huggingface_model, github, upload.")
    license: str | None = None
    content_bytes: int | None = Field(None, description="Size of the stored files.")
    bundle_bytes: int | None = Field(None, description="Size of the full download (zip).")
    complete: bool | None = Field(None, description="False: weights too large to mirror.")
    notes: list[str] = Field(default_factory=list)
    uploader: str | None = None
    created_at: str | None = Field(None, description="ISO 8601, UTC.")
    updated_at: str | None = Field(None, description="ISO 8601, UTC.")
    rating: RatingVerdict | None = Field(None, description="Models: the ingest gate's reading.")
    weights_scan: WeightsScanVerdict | None = Field(
        None,
        description="The unsafe-weights (pickle import) scan of the stored content; null for "
        "artifacts stored before scanning existed.",
    )


IdPath = Annotated[str, Path(pattern=r"^[a-zA-Z0-9\-]+$", description="artifact id")]


def details_from(artifact: dict[str, Any]) -> ArtifactDetails:
    meta = artifact["metadata"]
    extra: dict[str, Any] = artifact.get("extra") or {}
    rating = extra.get("rating") or None
    scan = extra.get("weights_scan") or None
    return ArtifactDetails(
        id=meta["id"],
        name=meta["name"],
        type=meta["type"],
        version=extra.get("version"),
        versions=list(extra.get("versions") or []),
        revision=extra.get("revision"),
        source_kind=extra.get("source_kind"),
        license=extra.get("license"),
        content_bytes=extra.get("content_bytes"),
        bundle_bytes=extra.get("bundle_bytes"),
        complete=extra.get("complete"),
        notes=[str(note) for note in extra.get("notes") or []],
        uploader=extra.get("uploader"),
        created_at=extra.get("created_at"),
        updated_at=extra.get("updated_at"),
        rating=RatingVerdict.model_validate(rating) if rating else None,
        weights_scan=WeightsScanVerdict.model_validate(scan) if scan else None,
    )


def build_details_router(service: GatewayService) -> APIRouter:
    router = APIRouter(route_class=StrictJSONRoute)

    @router.get(
        "/artifacts/{artifact_type}/{id}/details",
        response_model=ArtifactDetails,
        summary="What the catalog knows about the artifact beyond the spec's Artifact "
        "(extension; search).",
        responses={
            400: {"description": "Malformed id."},
            401: {"description": "The token lacks the search permission."},
            403: {"description": "Missing or invalid token."},
            404: {"description": "No such artifact."},
        },
    )
    async def artifact_details(
        caller: Annotated[Caller, require("search")],
        artifact_type: Annotated[ArtifactType, Path(description="Artifact type")],
        id: IdPath,
    ) -> Any:
        return details_from(await service.get(artifact_type, id))

    return router
