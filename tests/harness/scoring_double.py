"""A stand-in for the scoring service with ratings the test chooses: it answers
ArtifactUploaded with an ArtifactScored and serves /internal/ratings like the real one.

Built through the embedded composition root's `factories` (it replaces the real scoring
service for the test), so production code has no branch for it. Used where a test needs a
deterministic rating (the gate, an unrated model); everything else runs the real scorer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from registry_common.bus.port import EventBus
from registry_common.errors import NotFound
from registry_common.events import ArtifactScored, ArtifactUploaded
from registry_common.http import build_service_app
from registry_common.rating import SCALAR_METRICS, SIZE_DEVICES
from registry_common.settings import RuntimeSettings
from registry_common.telemetry import create_tracer_provider

METRICS = SCALAR_METRICS  # every scalar metric of the rating, as the gate reads it
Rate = Callable[[ArtifactUploaded], dict[str, Any] | None]


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


def scoring_double(
    rate: Rate = lambda _: rating(),
) -> Callable[[RuntimeSettings, EventBus], FastAPI]:
    """A factory for `create_embedded_app(factories={"scoring": ...})`. `rate` returning None
    leaves the artifact unrated (its create answers 202)."""

    def build(runtime: RuntimeSettings, bus: EventBus) -> FastAPI:
        ratings: dict[str, dict[str, Any]] = {}

        async def on_uploaded(event: ArtifactUploaded) -> None:
            if event.artifact.type != "model":
                return
            result = rate(event)
            if result is None:
                return
            ratings[event.artifact.id] = result
            await bus.publish(
                ArtifactScored(
                    source="scoring-double",
                    artifact=event.artifact,
                    rating=result,
                    trace_context=event.trace_context,
                )
            )

        bus.subscribe("scoring", ArtifactUploaded, on_uploaded)
        app = build_service_app(
            "scoring",
            tracer_provider=create_tracer_provider("scoring", "none"),
            internal_token=runtime.internal_token,
        )

        @app.get("/internal/ratings/{artifact_id}")
        async def get_rating(artifact_id: str) -> dict[str, Any]:
            if artifact_id not in ratings:
                raise NotFound(f"Model {artifact_id!r} has no rating.")
            return ratings[artifact_id]

        @app.get("/internal/health")
        async def health() -> dict[str, Any]:
            return {"service": "scoring", "status": "ok", "components": {}}

        return app

    return build
