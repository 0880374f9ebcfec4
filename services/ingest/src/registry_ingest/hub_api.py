"""Internal routes behind the gateway's Hub-compatible API (registry_ingest.hub)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from registry_ingest.api import User
from registry_ingest.hub import HubRepos

RepoType = Literal["model", "dataset"]


def build_hub_router(repos: HubRepos) -> APIRouter:
    router = APIRouter(prefix="/internal/hub")

    @router.get("/{repo_type}/snapshot")
    async def snapshot(
        repo_type: RepoType,
        repo: Annotated[str, Query(min_length=1, max_length=512)],
        revision: Annotated[str | None, Query(max_length=256)] = None,
        path: Annotated[str | None, Query(max_length=4096)] = None,
    ) -> dict[str, Any]:
        return await repos.snapshot(repo_type, repo, revision, path)

    @router.get("/{repo_type}/download")
    async def download(
        repo_type: RepoType,
        user: User,
        repo: Annotated[str, Query(min_length=1, max_length=512)],
        path: Annotated[str, Query(min_length=1, max_length=4096)],
        revision: Annotated[str | None, Query(max_length=256)] = None,
        client: Annotated[str | None, Query()] = None,
    ) -> dict[str, Any]:
        return await repos.download(repo_type, repo, revision, path, user, client)

    return router
