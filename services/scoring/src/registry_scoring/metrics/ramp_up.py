"""ramp_up_time: how quickly an engineer can go from finding the model to a first result.

Adoption is easy when (a) a standard library loads the model in one call, and (b) the card
tells you how to call it, what it is for and where it fails. Inputs: the event metadata
(library_name, pipeline_tag, config, files, downloads) and the README.

    ramp_up = 0.15 * library declared          (from_pretrained / pipeline() know the model)
            + 0.10 * task declared (pipeline_tag)
            + 0.10 * config present             (config.json / adapter_config.json)
            + 0.25 * usage example              (a fenced code block in the card)
            + 0.15 * min(1, prose words / 400)  (substantive description, template text excluded)
            + 0.15 * uses & limitations section with content
            + 0.10 * min(1, log10(downloads + 1) / 6)   (1M monthly downloads: tutorials exist)

No README: only the loadability and community terms can score (at most 0.45).
"""

from __future__ import annotations

import math
import re
from typing import Any

from registry_scoring.metrics.base import MetricResult, clamp, timed
from registry_scoring.metrics.card import Card
from registry_scoring.metrics.context import MetricContext
from registry_scoring.metrics.facts import ModelFacts

NAME = "ramp_up_time"
FULL_CREDIT_WORDS = 400
_LOAD_CALL = re.compile(r"from_pretrained|pipeline\(|import |load_model|hf_hub_download")


def score(facts: ModelFacts) -> tuple[float, dict[str, Any]]:
    card = Card(facts.readme)
    config_present = bool(facts.config) or facts.has_file("config.json", "adapter_config.json")
    blocks = card.code_blocks
    usage = 1.0 if any(_LOAD_CALL.search(code) for _, code in blocks) else 0.5 if blocks else 0.0
    uses = bool(card.find("intended use", "uses", "limitation", "bias", "out-of-scope", "risk"))
    downloads = facts.get("downloads", 0)
    downloads = downloads if isinstance(downloads, int | float) and downloads > 0 else 0
    terms = {
        "library": 0.15 * bool(facts.get("library_name")),
        "task": 0.10 * bool(facts.get("pipeline_tag")),
        "config": 0.10 * config_present,
        "usage_example": 0.25 * usage,
        "description": 0.15 * min(1.0, card.words / FULL_CREDIT_WORDS),
        "uses_and_limitations": 0.15 * uses,
        "community": 0.10 * min(1.0, math.log10(downloads + 1) / 6),
    }
    detail = {
        "terms": {k: round(v, 4) for k, v in terms.items()},
        "readme": card.present,
        "card_words": card.words,
        "code_blocks": len(blocks),
    }
    return clamp(sum(terms.values())), detail


async def compute(facts: ModelFacts, ctx: MetricContext) -> MetricResult:
    async def run() -> tuple[float, dict[str, Any]]:
        return score(facts)

    return await timed(run)
