"""net_score: one number for "should ACME trust and adopt this model?".

A weighted mean of the other metrics (weights sum to 1). The license weighs most: an
incompatible license makes every other quality moot for ACME. Substantiated claims and
ramp-up (can we trust it, can we use it) follow; then size, data and code quality. The bus
factor weighs less than for a software package: a released model is a frozen artifact that
keeps working when its authors leave. The three newer metrics (reproducibility, reviewedness,
tree_score) weigh little, because each is often unknowable for perfectly good models (no
demo code in the card, no linked repository, no registered parent) and the customer's
reference ratings were made without them.

| metric                 | weight |
|------------------------|--------|
| license                | 0.20   |
| performance_claims     | 0.15   |
| ramp_up_time           | 0.15   |
| size_score (mean of 4) | 0.10   |
| dataset_quality        | 0.10   |
| code_quality           | 0.10   |
| bus_factor             | 0.05   |
| dataset_and_code_score | 0.05   |
| reproducibility        | 0.05   |
| reviewedness           | 0.00   |
| tree_score             | 0.05   |

reviewedness is reported and gated on (R2) but not weighted: a linked repository's review
culture says more about the code than about the model, and -1 ("no repository") must not
move the score either way. A metric without a value (reviewedness -1) would be left out and
the remaining weights renormalised.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from registry_scoring.metrics.base import clamp

WEIGHTS: Final[dict[str, float]] = {
    "license": 0.20,
    "performance_claims": 0.15,
    "ramp_up_time": 0.15,
    "size_score": 0.10,
    "dataset_quality": 0.10,
    "code_quality": 0.10,
    "bus_factor": 0.05,
    "dataset_and_code_score": 0.05,
    "reproducibility": 0.05,
    "reviewedness": 0.00,
    "tree_score": 0.05,
}
assert abs(sum(WEIGHTS.values()) - 1.0) < 1e-9


def combine(values: Mapping[str, float], *, exclude: tuple[str, ...] = ()) -> float:
    """Weighted mean of ``values`` (size_score as its device mean); metrics in ``exclude``,
    missing, or negative (reviewedness -1) are left out and the weights renormalised."""
    total = 0.0
    weight_sum = 0.0
    for metric, weight in WEIGHTS.items():
        value = values.get(metric)
        if metric in exclude or value is None or value < 0 or weight <= 0:
            continue
        total += weight * value
        weight_sum += weight
    return clamp(total / weight_sum) if weight_sum > 0 else 0.0
