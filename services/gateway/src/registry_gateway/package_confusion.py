"""Extension GET /audit/package-confusion (R20): artifacts suspected of impersonating
popular ones, with a score, the artifact each imitates and the reasons in words.

Admin only: a listing is an unconfirmed accusation against other users' artifacts and it
describes who downloads what (how many accounts, how new they are), which is operator
business, not something every searcher should read. The audit itself lives in ingest
(`registry_ingest.confusion`), which owns the catalog, the counters and the download audit.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from registry_gateway.schemas import ArtifactType
from registry_gateway.security import Caller, require
from registry_gateway.service import GatewayService

MAX_PAGE = 500


class PopularityRef(BaseModel):
    id: str
    name: str
    type: ArtifactType
    downloads: int = Field(description="Downloads of any part, by any route, ever.")
    search_appearances: int = Field(
        description="Times it was a result of a by-name, regex or named POST /artifacts search."
    )


class NameSignal(BaseModel):
    kind: str = Field(
        description="homoglyph, scope, typo, delimiter, reorder, affix or case: the trick."
    )
    strength: float = Field(ge=0, le=1)


class TrafficSignal(BaseModel):
    strength: float = Field(ge=0, le=1, description="How much the downloads look like a bot farm.")
    concentration: float | None = Field(None, description="Downloads by the top 3 accounts.")
    new_accounts: float | None = Field(None, description="Downloads by just-created accounts.")
    uniform_timing: float | None = Field(None, description="Regularity of the arrivals.")


class Signals(BaseModel):
    name: NameSignal
    popularity_gap: float = Field(ge=0, le=1)
    traffic: TrafficSignal


class ConfusionSuspect(BaseModel):
    artifact: PopularityRef
    score: float = Field(ge=0, le=1, description="Weighted sum of the signals (docs/api.md).")
    imitates: PopularityRef
    signals: Signals
    reasons: list[str] = Field(description="Each signal in a sentence.")


class ConfusionReport(BaseModel):
    items: list[ConfusionSuspect]
    total: int = Field(description="Suspects in the whole report.")
    offset: int
    limit: int
    next_offset: int | None = Field(None, description="Send as `offset` for the next page.")
    artifacts_audited: int
    popular_compared_against: int = Field(description="The top K by popularity.")
    weights: dict[str, float]
    min_score: float
    computed_at: str = Field(description="ISO 8601: when this report was computed.")
    compute_seconds: float = Field(description="How long computing it took.")


def build_confusion_router(service: GatewayService) -> APIRouter:
    router = APIRouter()

    @router.get(
        "/audit/package-confusion",
        response_model=ConfusionReport,
        summary="Artifacts suspected of impersonating popular ones (extension; admin).",
        description=(
            "Each suspect comes with a score in [0, 1], the artifact it imitates and the "
            "reasons in words: name tricks (edits, look-alike characters, separators, added "
            "words, reordered words, another owner), how much more popular the original is, "
            "and whether its own downloads look like a bot farm. Highest score first."
        ),
        responses={
            400: {"description": "offset or limit out of range."},
            401: {"description": "The caller is not an admin."},
            403: {"description": "Missing or invalid token."},
        },
    )
    async def package_confusion(
        caller: Annotated[Caller, require("admin")],
        offset: Annotated[int, Query(ge=0, description="Suspects to skip.")] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Suspects per page.")] = 50,
    ) -> Any:
        return await service.package_confusion(offset, limit)

    return router
