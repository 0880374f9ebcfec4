"""Extension `/health/load-tests` (R21): an admin starts a download load test against this
registry's own gateway, watches it, cancels it, and compares past runs. The run executes in
the health service (`registry_health.loadtest`); these routes check the caller and forward.

The target is never part of a request: the health service downloads from the gateway its
settings name (loopback in development, the deployment's own load balancer in AWS). The
admin's token travels to the health service for one call only, the `POST /users` that
creates the run's own user; it is not kept.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field, StringConstraints

from registry_common.http import StrictJSONRoute
from registry_gateway.security import AuthHeader, Caller, require
from registry_gateway.service import GatewayService

RunStatus = Literal["preparing", "running", "completed", "cancelled", "failed", "interrupted"]
ArtifactId = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9\-]+$", max_length=100)]
RunIdPath = Annotated[
    str, Path(pattern=r"^[0-9a-f\-]{36}$", description="The load test's id (a UUID).")
]


class LoadTestRequest(BaseModel):
    clients: int = Field(
        ge=1, description="Concurrent clients, each with its own token (at most max_clients)."
    )
    duration_seconds: int = Field(
        ge=1, description="How long they download, in seconds (at most max_duration_seconds)."
    )
    models: list[ArtifactId] | None = Field(
        default=None,
        max_length=500,
        description="The models to download, by id; or leave out and give model_count.",
    )
    model_count: int | None = Field(
        default=None, ge=1, description="Download the first N registered models instead."
    )


class LoadTestModel(BaseModel):
    id: str
    name: str
    size: int = Field(description="Bytes of its full bundle: a correct download has exactly these.")


class LatencyFigures(BaseModel):
    mean: float | None
    min: float | None
    max: float | None
    p50: float | None = Field(description="The median.")
    p90: float | None
    p95: float | None
    p99: float | None


class LoadTestSummary(BaseModel):
    elapsed_seconds: float
    downloads: int = Field(description="Correct downloads: status 200 and the expected size.")
    errors: int
    error_kinds: dict[str, int] = Field(description="Errors by kind, e.g. 'HTTP 404'.")
    token_renewals: int = Field(description="Clients that signed in again (token used up).")
    bytes_received: int
    downloads_per_second: float
    megabytes_per_second: float = Field(
        description="Every body byte received, per second (1 MB = 10^6 bytes)."
    )
    latency_ms: LatencyFigures


class HistogramBucket(BaseModel):
    low_ms: float
    high_ms: float | None = Field(description="None: the open last bucket.")
    count: int


class TimelinePoint(BaseModel):
    second: int = Field(description="Whole seconds since the clients started.")
    downloads: int
    errors: int
    megabytes: float
    p50_ms: float | None
    p99_ms: float | None


class LoadTestRunListed(BaseModel):
    id: str
    status: RunStatus
    requested_by: str
    created_at: str | None
    finished_at: str | None
    clients: int
    duration_seconds: int
    target: str = Field(description="The gateway the clients downloaded from (from settings).")
    models: list[LoadTestModel]
    message: str | None = Field(description="Why it failed, or what needs attention.")
    clients_ready: int = Field(description="Clients signed in so far.")
    summary: LoadTestSummary | None


class LoadTestRun(LoadTestRunListed):
    histogram: list[HistogramBucket] = Field(default_factory=list)
    timeline: list[TimelinePoint] = Field(default_factory=list)


class LoadTestLimits(BaseModel):
    max_clients: int
    max_duration_seconds: int
    max_models: int


class LoadTestRuns(BaseModel):
    runs: list[LoadTestRunListed] = Field(description="Newest first.")
    active: str | None = Field(description="The id of the run in progress, if any.")
    limits: LoadTestLimits
    target: str


_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "A field is out of range; the body says which."},
    401: {"description": "The caller is not an admin."},
    403: {"description": "Missing or invalid token."},
}


def build_load_test_router(service: GatewayService) -> APIRouter:
    router = APIRouter(route_class=StrictJSONRoute)

    @router.post(
        "/health/load-tests",
        status_code=202,
        response_model=LoadTestRun,
        summary="Start a download load test against this registry (extension; admin).",
        description=(
            "The clients download the chosen models back to back through the registry's own "
            "gateway until the duration is over. Each client signs in as the run's own user "
            "and holds its own token; per-request accounting (token calls, download audit, "
            "popularity) applies to these downloads as to any other. One run at a time."
        ),
        responses={
            **_RESPONSES,
            404: {"description": "A model id names no registered model."},
            409: {"description": "A run is in progress, or load tests are not configured."},
        },
    )
    async def start(
        caller: Annotated[Caller, require("admin")],
        token: AuthHeader,
        body: LoadTestRequest,
    ) -> Any:
        return await service.health_action(
            "/internal/load-tests",
            {
                **body.model_dump(exclude_none=True),
                "admin_token": token or "",
                "requested_by": caller.name,
            },
        )

    @router.get(
        "/health/load-tests",
        response_model=LoadTestRuns,
        summary="Past and current load tests, newest first, with the limits (extension; admin).",
        responses=_RESPONSES,
    )
    async def runs(
        caller: Annotated[Caller, require("admin")],
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> Any:
        return await service.health_document("/internal/load-tests", {"limit": limit})

    @router.get(
        "/health/load-tests/{run_id}",
        response_model=LoadTestRun,
        summary="One load test: live figures while it runs, the results after (extension; admin).",
        responses={**_RESPONSES, 404: {"description": "No such load test."}},
    )
    async def run(caller: Annotated[Caller, require("admin")], run_id: RunIdPath) -> Any:
        return await service.health_document(f"/internal/load-tests/{quote(run_id, safe='')}", {})

    @router.post(
        "/health/load-tests/{run_id}/cancel",
        response_model=LoadTestRun,
        summary="Stop a load test in progress (extension; admin).",
        responses={
            **_RESPONSES,
            404: {"description": "No such load test."},
            409: {"description": "It is not running any more."},
        },
    )
    async def cancel(caller: Annotated[Caller, require("admin")], run_id: RunIdPath) -> Any:
        return await service.health_action(
            f"/internal/load-tests/{quote(run_id, safe='')}/cancel", {}
        )

    return router
