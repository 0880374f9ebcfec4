"""Extensions for choosing an artifact (issue 18.4): users' star ratings and short reviews
(one per user per artifact), and the browse listing that sorts and filters the catalog by
what helps choose (net score and vetted mark, average stars, license, size, last update,
downloads), one page at a time.

The rules (who may write or delete which review, the bounds, the audit entries) are ingest's
(`registry_ingest.reviews`, `registry_ingest.browse`); here are the permission and the shapes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from registry_common.http import StrictJSONRoute
from registry_gateway.clients import ServiceClients
from registry_gateway.schemas import ArtifactType
from registry_gateway.security import Caller, require
from registry_gateway.service import _seg, caller_headers

MAX_REVIEW_CHARS = 2000  # ingest's bound (registry_ingest.reviews), stated in the document


class ReviewUpdate(BaseModel):
    stars: int = Field(ge=1, le=5, description="Whole stars, 1 to 5.")
    text: str = Field(
        "",
        max_length=MAX_REVIEW_CHARS,
        description="A short review (trimmed; no control characters other than newlines).",
    )


class Review(BaseModel):
    user: str = Field(description="The author (a review is one per user per artifact).")
    stars: int = Field(ge=1, le=5)
    text: str
    created_at: str = Field(description="ISO 8601, UTC.")
    updated_at: str = Field(description="ISO 8601, UTC: the last edit.")


class ReviewPage(BaseModel):
    items: list[Review] = Field(description="Newest change first.")
    count: int = Field(description="Reviews of the artifact in all.")
    average_stars: float | None = Field(description="Over every review; null: none yet.")
    offset: int
    limit: int
    next_offset: int | None = Field(None, description="The offset of the next page, if any.")


class Deleted(BaseModel):
    status: Literal["deleted"]


SortKey = Literal["name", "score", "stars", "license", "size", "updated", "downloads"]
LicenseFamily = Literal["permissive", "copyleft", "restricted", "unknown"]


class BrowseEntry(BaseModel):
    id: str
    name: str
    type: ArtifactType
    net_score: float | None = Field(description="The rating's net score; null: not rated.")
    vetted: bool | None = Field(description="Every metric at least 0.5 (the gate's rule).")
    average_stars: float | None = Field(description="Users' average stars; null: no review.")
    review_count: int
    license: str | None
    license_family: LicenseFamily
    size_bytes: int = Field(description="Size of the full download (zip).")
    updated_at: str = Field(description="ISO 8601, UTC: the last content or rating change.")
    downloads: int = Field(description="Full and partial downloads so far.")


class BrowsePage(BaseModel):
    items: list[BrowseEntry]
    total: int = Field(description="Artifacts matching the filters.")
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` for the next page; null: this is the last."
    )


IdPath = Annotated[str, Path(pattern=r"^[a-zA-Z0-9\-]+$", description="artifact id")]
TypePath = Annotated[ArtifactType, Path(description="Artifact type")]
AuthorPath = Annotated[
    str, Path(min_length=1, max_length=255, description="The review's author (a user name).")
]
Searcher = Annotated[Caller, require("search")]
_COMMON: dict[int | str, dict[str, Any]] = {
    400: {"description": "Malformed id, query or body (the message says what to change)."},
    401: {"description": "The token lacks the search permission."},
    403: {"description": "Missing or invalid token."},
    404: {"description": "No such artifact (or no such review)."},
}


def build_reviews_router(clients: ServiceClients) -> APIRouter:
    router = APIRouter(tags=["reviews and browsing (extension)"], route_class=StrictJSONRoute)
    ingest = clients.ingest

    def path(artifact_type: str, artifact_id: str, author: str | None = None) -> str:
        base = f"/internal/artifacts/{artifact_type}/{_seg(artifact_id)}/reviews"
        return base if author is None else f"{base}/{_seg(author)}"

    @router.get(
        "/artifacts/{artifact_type}/{id}/reviews",
        response_model=ReviewPage,
        summary="Users' reviews of an artifact, with their count and average (extension).",
        responses=_COMMON,
    )
    async def list_reviews(
        caller: Searcher,
        artifact_type: TypePath,
        id: IdPath,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> Any:
        response = await ingest.get(
            path(artifact_type, id),
            params={"offset": offset, "limit": limit},
            headers=caller_headers(caller),
        )
        return response.json()

    @router.get(
        "/artifacts/{artifact_type}/{id}/reviews/{user}",
        response_model=Review,
        summary="One user's review of an artifact (extension).",
        responses=_COMMON,
    )
    async def get_review(
        caller: Searcher, artifact_type: TypePath, id: IdPath, user: AuthorPath
    ) -> Any:
        response = await ingest.get(path(artifact_type, id, user), headers=caller_headers(caller))
        return response.json()

    @router.put(
        "/artifacts/{artifact_type}/{id}/reviews/{user}",
        response_model=Review,
        summary="Write or edit your own review of an artifact (extension).",
        description=(
            "`user` must be the caller (401 otherwise): one review per user per artifact, "
            "a second PUT replaces it. Every change is a RATE entry of the artifact's audit "
            "trail naming the caller."
        ),
        responses={**_COMMON, 401: {"description": "Not your review, or no search permission."}},
    )
    async def put_review(
        caller: Searcher,
        artifact_type: TypePath,
        id: IdPath,
        user: AuthorPath,
        body: ReviewUpdate,
    ) -> Any:
        response = await ingest.request(
            "PUT",
            path(artifact_type, id, user),
            json=body.model_dump(),
            headers=caller_headers(caller),
        )
        return response.json()

    @router.delete(
        "/artifacts/{artifact_type}/{id}/reviews/{user}",
        response_model=Deleted,
        summary="Delete a review: your own, or anyone's as an admin (extension).",
        description="A RATE entry of the artifact's audit trail names who deleted it.",
        responses={
            **_COMMON,
            401: {"description": "Neither the author nor an admin, or no search permission."},
        },
    )
    async def delete_review(
        caller: Searcher, artifact_type: TypePath, id: IdPath, user: AuthorPath
    ) -> Any:
        response = await ingest.request(
            "DELETE", path(artifact_type, id, user), headers=caller_headers(caller)
        )
        return response.json()

    @router.get(
        "/browse",
        response_model=BrowsePage,
        summary="Browse the catalog: sorted, filtered, one page at a time (extension).",
        description=(
            "Missing values (not rated, no reviews, no license) sort last in either order; "
            "ties keep a stable order, so following `next_cursor` neither repeats nor skips."
        ),
        responses=_COMMON,
    )
    async def browse(
        caller: Searcher,
        sort: Annotated[SortKey, Query(description="What to sort by.")] = "score",
        order: Annotated[Literal["asc", "desc"], Query()] = "desc",
        vetted: Annotated[bool | None, Query(description="Only vetted, or only not.")] = None,
        license_family: Annotated[LicenseFamily | None, Query()] = None,
        type: Annotated[ArtifactType | None, Query(description="Only this type.")] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        cursor: Annotated[
            str | None,
            Query(max_length=9, pattern=r"^[0-9]+$", description="next_cursor of the last page."),
        ] = None,
    ) -> Any:
        params: dict[str, Any] = {"sort": sort, "order": order, "limit": limit}
        for key, value in (
            ("vetted", None if vetted is None else str(vetted).lower()),
            ("license_family", license_family),
            ("type", type),
            ("cursor", cursor),
        ):
            if value is not None:
                params[key] = value
        response = await ingest.get("/internal/browse", params=params)
        return response.json()

    return router
