"""The health service's internal routes; the gateway exposes them publicly (admins only).

`base_url` is the gateway's public base URL: log references in the documents point at
`<base_url>/health/logs?...`, which must be absolute (the spec's `format: uri`).
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from registry_common.errors import BadRequest
from registry_health.dead_letters import DeadLetterDesk
from registry_health.feed import HealthFeed
from registry_health.otlp import TelemetryReceiver

WindowMinutes = Annotated[
    int, Query(alias="windowMinutes", description="Trailing window in minutes, 5-1440.")
]
BaseUrl = Annotated[
    str | None,
    Query(description="Public base URL for log links; the service's setting when absent."),
]


class RedriveRequest(BaseModel):
    consumer: str = Field(description="The consumer whose dead letters go back to its queue.")
    ids: list[str] | None = Field(
        default=None, description="Dead letters to redrive, by id; absent: all of them."
    )


def build_router(feed: HealthFeed, desk: DeadLetterDesk) -> APIRouter:
    router = APIRouter(prefix="/internal")

    @router.get("/dead-letters")
    async def dead_letters(consumer: str | None = None, limit: int = 20) -> dict[str, Any]:
        return await desk.queues(consumer or None, limit)

    @router.post("/dead-letters/redrive")
    async def redrive(body: RedriveRequest) -> dict[str, Any]:
        return await desk.redrive(body.consumer, body.ids)

    @router.get("/components")
    async def components(
        window_minutes: WindowMinutes = 60,
        include_timeline: Annotated[bool, Query(alias="includeTimeline")] = False,
        base_url: BaseUrl = None,
    ) -> dict[str, Any]:
        return await feed.components(window_minutes, include_timeline, base_url)

    @router.get("/summary")
    async def summary(window_minutes: WindowMinutes = 60, base_url: BaseUrl = None) -> Any:
        return await feed.summary(window_minutes, base_url)

    @router.get("/traces/{trace_id}")
    async def trace(
        trace_id: str,
        asgi_events: Annotated[
            bool, Query(alias="asgiEvents", description="Also the per-message ASGI spans.")
        ] = False,
    ) -> dict[str, Any]:
        return feed.trace(trace_id, include_asgi_events=asgi_events)

    @router.get("/logs")
    async def logs(
        service: str | None = None,
        level: str | None = None,
        trace_id: str | None = None,
        contains: Annotated[str | None, Query(max_length=200)] = None,
        limit: int = 200,
        since_minutes: Annotated[int | None, Query(alias="sinceMinutes")] = None,
        format: Annotated[str, Query(description="json, or ndjson: one record a line")] = "json",
    ) -> Any:
        if format not in ("json", "ndjson"):
            raise BadRequest(f"format must be json or ndjson; got {format!r}.")
        body = feed.logs(service, level, trace_id, contains, limit, since_minutes)
        if format == "ndjson":
            lines = b"".join(orjson.dumps(r) + b"\n" for r in body["records"])
            return Response(lines, media_type="application/x-ndjson")
        return body

    @router.get("/requests")
    async def requests(
        service: str | None = None,
        min_status: Annotated[int, Query(alias="minStatus", ge=0, le=599)] = 0,
        limit: int = 50,
    ) -> dict[str, Any]:
        return feed.recent_requests(service, min_status, limit)

    return router


def build_receiver_router(receiver: TelemetryReceiver) -> APIRouter:
    """OTLP/HTTP: the other services export their spans and logs here (distributed mode).
    Decoding takes ~10 ms per 500 spans: off the event loop, so the feed stays responsive."""
    router = APIRouter(prefix="/internal/otlp/v1", include_in_schema=False)

    @router.post("/traces")
    async def traces(request: Request) -> Response:
        body, media = await run_in_threadpool(
            receiver.traces,
            await request.body(),
            request.headers.get("content-type", ""),
            request.headers.get("content-encoding", ""),
        )
        return Response(body, media_type=media)

    @router.post("/logs")
    async def logs(request: Request) -> Response:
        body, media = await run_in_threadpool(
            receiver.logs,
            await request.body(),
            request.headers.get("content-type", ""),
            request.headers.get("content-encoding", ""),
        )
        return Response(body, media_type=media)

    return router
