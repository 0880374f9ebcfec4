"""Rating metrics of the registry (R3): one module per metric, combined by `rating.rate`.

Public API:
- `ModelFacts` (input, built with `ModelFacts.from_event`), `FileEntry`;
- `MetricContext` (shared clients), `GitHubClient`, `HubClient`;
- `MetricResult`, `MetricUnavailable`, `RatingFailed`, `ParentsNetScores`;
- `rate(facts, ctx, reproducibility)` -> the spec's ModelRating dict; `rate_detailed`.

Formulas, inputs and calibration: docs/metrics.md.
"""

from registry_scoring.metrics.base import (
    MetricResult,
    MetricUnavailable,
    ParentsNetScores,
    RatingFailed,
    no_rated_parents,
)
from registry_scoring.metrics.context import MetricContext
from registry_scoring.metrics.facts import FileEntry, ModelFacts
from registry_scoring.metrics.github_client import GitHubClient, GitHubNotFound
from registry_scoring.metrics.hub_client import HubClient
from registry_scoring.metrics.rating import FIELDS, Rating, rate, rate_detailed

__all__ = [
    "FIELDS",
    "FileEntry",
    "GitHubClient",
    "GitHubNotFound",
    "HubClient",
    "MetricContext",
    "MetricResult",
    "MetricUnavailable",
    "ModelFacts",
    "ParentsNetScores",
    "Rating",
    "RatingFailed",
    "no_rated_parents",
    "rate",
    "rate_detailed",
]
