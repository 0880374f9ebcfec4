"""The names of a model rating: one list the gate, the scorer and the tests share.

The spec's `ModelRating` is the contract: `name`, `category`, then each metric followed by its
`<metric>_latency` in seconds. Keeping the order here means the scorer's output, the ingest
gate's checks and the test doubles cannot drift apart when a metric is added.
"""

from __future__ import annotations

from typing import Final

# Every metric that is a single number in [0, 1] (reviewedness may also be -1: no repository).
SCALAR_METRICS: Final = (
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
# One score per device class.
SIZE_SCORE: Final = "size_score"
SIZE_DEVICES: Final = ("raspberry_pi", "jetson_nano", "desktop_pc", "aws_server")
METRICS: Final = (*SCALAR_METRICS, SIZE_SCORE)

# The spec's ModelRating, in its order.
FIELDS: Final = (
    "name",
    "category",
    *(field for metric in METRICS for field in (metric, f"{metric}_latency")),
)
