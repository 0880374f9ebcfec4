"""A stand-in for the scoring service with ratings the test chooses: it answers
ArtifactUploaded with an ArtifactScored, forgets its ratings on RegistryReset, and serves
/internal/ratings like the real one.

Two ways to run it, so production code has no branch for it:
- embedded: through the composition root's `factories` (`{"scoring": scoring_double(...)}`);
- distributed: as its own process, `python -m tests.harness.scoring_double`, on the real
  SNS/SQS bus adapter like every service; its ratings come from `SCORING_DOUBLE_RATINGS`
  (a JSON table, see `rate_by_url`), since a process cannot be handed a Python function.
Used where a test needs a deterministic rating (the gate, an unrated model); everything else
runs the real scorer.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import orjson
from fastapi import FastAPI

from registry_common.bus.port import EventBus
from registry_common.errors import NotFound
from registry_common.events import ArtifactScored, ArtifactUploaded, RegistryReset
from registry_common.http import build_service_app
from registry_common.rating import SCALAR_METRICS, SIZE_DEVICES
from registry_common.service import ServiceKit
from registry_common.settings import RuntimeSettings

METRICS = SCALAR_METRICS  # every scalar metric of the rating, as the gate reads it
Rate = Callable[[ArtifactUploaded], dict[str, Any] | None]
RATINGS_ENV = "SCORING_DOUBLE_RATINGS"


def rating(value: float = 0.8, **overrides: Any) -> dict[str, Any]:
    """A complete ModelRating with every metric at `value` (latencies 0.01 s)."""
    body: dict[str, Any] = {"name": "double", "category": "MODEL"}
    for metric in METRICS:
        body[metric] = value
        body[f"{metric}_latency"] = 0.01
    body["size_score"] = dict.fromkeys(SIZE_DEVICES, value)
    body["size_score_latency"] = 0.01
    body.update(overrides)
    return body


def rate_by_url(table: Mapping[str, float | None]) -> Rate:
    """Every metric at `table[key]` for the longest key found in the model's source URL
    ("" matches every URL); None leaves the model unrated; no match leaves it unrated too.
    A plain table, so a test's choice can cross into the double's own process."""
    keys = sorted(table, key=len, reverse=True)

    def rate(event: ArtifactUploaded) -> dict[str, Any] | None:
        url = event.source_url or ""
        for key in keys:
            if key in url:
                value = table[key]
                return None if value is None else rating(value)
        return None

    return rate


def scoring_double(
    rate: Rate = lambda _: rating(),
) -> Callable[[RuntimeSettings, EventBus | None], FastAPI]:
    """A factory for `create_embedded_app(factories={"scoring": ...})`. `rate` returning None
    leaves the artifact unrated (its create answers 202). Given no bus (its own process), it
    builds the one `runtime` asks for and starts it, like a real service."""

    def build(runtime: RuntimeSettings, bus: EventBus | None = None) -> FastAPI:
        kit = ServiceKit.build("scoring", runtime, bus=bus, database=False)
        ratings: dict[str, dict[str, Any]] = {}

        async def on_uploaded(event: ArtifactUploaded) -> None:
            if event.artifact.type != "model":
                return
            result = rate(event)
            if result is None:
                return
            ratings[event.artifact.id] = result
            await kit.bus.publish(
                ArtifactScored(
                    source="scoring-double",
                    artifact=event.artifact,
                    rating=result,
                    trace_context=event.trace_context,
                )
            )

        async def on_reset(event: RegistryReset) -> None:
            ratings.clear()
            # The real service's event name: whoever waits for a reset to land waits for it.
            kit.log.info("scoring.reset.applied", event_id=str(event.event_id))

        kit.bus.subscribe("scoring", ArtifactUploaded, on_uploaded)
        kit.bus.subscribe("scoring", RegistryReset, on_reset)

        @asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            async with kit.running():
                yield

        app = build_service_app(
            "scoring",
            tracer_provider=kit.tracer_provider,
            internal_token=runtime.internal_token,
            lifespan=lifespan,
        )
        app.include_router(kit.health_router())
        app.state.kit = kit

        @app.get("/internal/ratings/{artifact_id}")
        async def get_rating(artifact_id: str) -> dict[str, Any]:
            if artifact_id not in ratings:
                raise NotFound(f"Model {artifact_id!r} has no rating.")
            return ratings[artifact_id]

        return app

    return build


def _from_environment() -> FastAPI:
    table = orjson.loads(os.environ.get(RATINGS_ENV, '{"": 0.8}'))
    return scoring_double(rate_by_url(table))(RuntimeSettings(), None)


if __name__ == "__main__":
    from registry_common.serve import serve

    serve(_from_environment, "scoring")
