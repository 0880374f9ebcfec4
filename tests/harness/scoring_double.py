"""A test double for the scoring service: answers ArtifactUploaded with an ArtifactScored.

Used until the scoring service computes real ratings (issue #4); it lives only in tests and is
subscribed to the bus from outside, so production code has no branch for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from registry_common.events import ArtifactScored, ArtifactUploaded

METRICS = (
    "net_score",
    "ramp_up_time",
    "bus_factor",
    "performance_claims",
    "license",
    "dataset_and_code_score",
    "dataset_quality",
    "code_quality",
    "reproducibility",
    "reviewedness",
    "tree_score",
)


def rating(value: float = 0.8, **overrides: Any) -> dict[str, Any]:
    """A complete ModelRating with every metric at `value` (latencies 0.01 s)."""
    body: dict[str, Any] = {"name": "double", "category": "MODEL"}
    for metric in METRICS:
        body[metric] = value
        body[f"{metric}_latency"] = 0.01
    body["size_score"] = dict.fromkeys(
        ("raspberry_pi", "jetson_nano", "desktop_pc", "aws_server"), value
    )
    body["size_score_latency"] = 0.01
    body.update(overrides)
    return body


def install_scoring_double(
    app: FastAPI, rate: Callable[[ArtifactUploaded], dict[str, Any] | None] = lambda _: rating()
) -> list[ArtifactUploaded]:
    """Subscribe the double to the embedded registry's bus; returns the events it saw.
    `rate` returning None leaves the artifact unrated (its create answers 202)."""
    bus = app.state.bus
    seen: list[ArtifactUploaded] = []

    async def on_uploaded(event: ArtifactUploaded) -> None:
        seen.append(event)
        result = rate(event)
        if result is None:
            return
        await bus.publish(
            ArtifactScored(
                source="scoring-double",
                artifact=event.artifact,
                rating=result,
                trace_context=event.trace_context,
            )
        )

    bus.subscribe("scoring-double", ArtifactUploaded, on_uploaded)
    return seen
