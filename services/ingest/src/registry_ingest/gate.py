"""The ingest gate (R2): which ratings qualify a public Hugging Face model.

Every non-latency metric must be at least 0.5. Two readings make that rule usable:
- reviewedness -1 means "no linked repository", which is not a failure;
- size_score is one score per device; a model qualifies when it fits at least one device
  (requiring all four would refuse every model too big for a Raspberry Pi).
"""

from __future__ import annotations

from typing import Any

from registry_common.rating import SCALAR_METRICS

THRESHOLD = 0.5


def failing_metrics(rating: dict[str, Any]) -> list[str]:
    """Names of the metrics that disqualify `rating` (empty: it qualifies)."""
    failing = []
    for metric in SCALAR_METRICS:
        value = rating.get(metric)
        if metric == "reviewedness" and value == -1:
            continue
        if not isinstance(value, int | float) or value < THRESHOLD:
            failing.append(metric)
    sizes = rating.get("size_score")
    if not isinstance(sizes, dict) or not any(
        isinstance(v, int | float) and v >= THRESHOLD for v in sizes.values()
    ):
        failing.append("size_score")
    return failing
