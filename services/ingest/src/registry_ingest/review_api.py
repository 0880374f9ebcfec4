"""Internal routes of reviews and the browse listing (issue 18.4). The gateway authenticates
the caller, checks its permission and forwards its name in X-Registry-User."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from registry_ingest.api import ArtifactType, User
from registry_ingest.browse import BrowseQuery, Browser
from registry_ingest.reads import CatalogReader
from registry_ingest.reviews import Reviews


class ReviewBody(BaseModel):
    stars: int
    text: str = ""


def build_review_router(reader: CatalogReader, reviews: Reviews, browser: Browser) -> APIRouter:
    router = APIRouter(prefix="/internal")
    base = "/artifacts/{artifact_type}/{artifact_id}/reviews"

    @router.get(base)
    async def listing(
        artifact_type: ArtifactType,
        artifact_id: str,
        offset: Annotated[int, Query()] = 0,
        limit: Annotated[int, Query()] = 20,
    ) -> dict[str, Any]:
        row = await reader.get(artifact_type, artifact_id)
        return await reviews.listing(row, offset, limit)

    @router.get(base + "/{author}")
    async def get(artifact_type: ArtifactType, artifact_id: str, author: str) -> dict[str, Any]:
        row = await reader.get(artifact_type, artifact_id)
        return await reviews.get(row, author)

    @router.put(base + "/{author}")
    async def put(
        artifact_type: ArtifactType, artifact_id: str, author: str, body: ReviewBody, user: User
    ) -> dict[str, Any]:
        row = await reader.get(artifact_type, artifact_id)
        return await reviews.put(row, author, user, body.stars, body.text)

    @router.delete(base + "/{author}")
    async def delete(
        artifact_type: ArtifactType, artifact_id: str, author: str, user: User
    ) -> dict[str, str]:
        row = await reader.get(artifact_type, artifact_id)
        await reviews.remove(row, author, user)
        return {"status": "deleted"}

    @router.get("/browse")
    async def browse(
        sort: str = "score",
        order: str = "desc",
        vetted: bool | None = None,
        license_family: str | None = None,
        type: str | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        return await browser.page(
            BrowseQuery(sort, order, vetted, license_family, type, limit, cursor)
        )

    return router
