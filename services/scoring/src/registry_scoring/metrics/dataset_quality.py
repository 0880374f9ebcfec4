"""dataset_quality: how good and how well documented is the data the model was trained on?

Inputs: the model's declared datasets (see `ModelFacts.dataset_ids`), each dataset's Hub
facts (``HfApi.dataset_info``: card metadata, description, citation, license, downloads,
files) and the model card's own "Training data" section.

For each declared dataset (at most 8; legacy ids resolve to one canonical dataset):

    dataset = 0.25 * described             (a description, or a pretty_name plus card metadata)
            + 0.20 * structured metadata   (share of task_categories, size_categories,
                                            language, annotations_creators/source_datasets)
            + 0.15 * license               (1 known license, 0.5 "other", 0 unknown/missing)
            + 0.15 * provenance            (citation, paperswithcode id or arXiv tag)
            + 0.15 * adoption              (min(1, log10(downloads + 1) / 4): 10k downloads)
            + 0.10 * data files in a standard format (parquet, csv, json, arrow, ...)
    A dataset the Hub does not know (or hides as private) scores 0: nobody can inspect it.

    dataset_quality = 0.4 * training data documented in the model card (a "Training data"
                            section with content: 1; datasets declared without one: 0.5)
                    + 0.6 * mean(dataset scores)

No declared dataset at all: 0 (there is nothing whose quality could be judged; prose about
"data from the internet" cannot be checked).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping
from typing import Any, Final

from registry_scoring.metrics.base import MetricResult, clamp, timed
from registry_scoring.metrics.card import Card
from registry_scoring.metrics.context import MetricContext
from registry_scoring.metrics.facts import ModelFacts

NAME = "dataset_quality"
MAX_DATASETS: Final = 8
_DATA_SUFFIXES: Final = (
    ".parquet", ".csv", ".tsv", ".json", ".jsonl", ".arrow", ".txt", ".tar", ".zip", ".gz",
    ".tfrecord", ".npy", ".npz", ".wav", ".flac", ".mp3", ".jpg", ".png", ".xml", ".feather",
)  # fmt: skip
_STRUCTURE_KEYS: Final = (
    ("task_categories",),
    ("size_categories",),
    ("language",),
    ("annotations_creators", "source_datasets"),
)


def dataset_score(info: Mapping[str, Any] | None) -> tuple[float, dict[str, Any]]:
    """Score of one dataset from its Hub facts (None: not available)."""
    if info is None:
        return 0.0, {"available": False}
    card = info.get("card_data") or {}
    card = card if isinstance(card, Mapping) else {}
    tags = [str(t) for t in info.get("tags") or []]
    description = str(info.get("description") or "").strip()
    described = 1.0 if len(description.split()) >= 3 else 0.5 if card.get("pretty_name") else 0.0
    structure = sum(any(card.get(k) for k in keys) for keys in _STRUCTURE_KEYS) / len(
        _STRUCTURE_KEYS
    )
    licenses = card.get("license")
    licenses = [licenses] if isinstance(licenses, str) else list(licenses or [])
    licenses = [str(x).lower() for x in licenses] or [
        t.split(":", 1)[1].lower() for t in tags if t.lower().startswith("license:")
    ]
    known = [x for x in licenses if x not in ("unknown", "other")]
    license_value = 1.0 if known else 0.5 if "other" in licenses else 0.0
    provenance = bool(
        info.get("citation")
        or info.get("paperswithcode_id")
        or card.get("paperswithcode_id")
        or any(t.lower().startswith("arxiv:") for t in tags)
    )
    downloads = info.get("downloads")
    downloads = downloads if isinstance(downloads, int | float) and downloads > 0 else 0
    files = [str(f).lower() for f in info.get("files") or []]
    standard_files = any(f.endswith(_DATA_SUFFIXES) for f in files) or any(
        t.startswith("format:") for t in tags
    )
    terms = {
        "described": 0.25 * described,
        "structure": 0.20 * structure,
        "license": 0.15 * license_value,
        "provenance": 0.15 * provenance,
        "adoption": 0.15 * min(1.0, math.log10(downloads + 1) / 4),
        "data_files": 0.10 * standard_files,
    }
    detail = {"available": True, "id": info.get("id"), "terms": _rounded(terms)}
    return clamp(sum(terms.values())), detail


def _rounded(terms: Mapping[str, float]) -> dict[str, float]:
    return {k: round(v, 4) for k, v in terms.items()}


async def compute(facts: ModelFacts, ctx: MetricContext) -> MetricResult:
    async def run() -> tuple[float, dict[str, Any]]:
        declared = facts.dataset_ids[:MAX_DATASETS]
        if not declared:
            return 0.0, {"datasets": [], "reason": "the model declares no training dataset"}
        infos = await asyncio.gather(*(ctx.hub.dataset(d) for d in declared))
        per_dataset: dict[str, tuple[float, dict[str, Any]]] = {}
        for declared_id, info in zip(declared, infos, strict=True):
            key = str(info.get("id") if info else declared_id).lower()
            if key not in per_dataset:  # legacy alias and canonical id are one dataset
                per_dataset[key] = dataset_score(info)
        mean = sum(v for v, _ in per_dataset.values()) / len(per_dataset)
        card_documented = 1.0 if Card(facts.readme).find("training data", "dataset") else 0.5
        value = 0.4 * card_documented + 0.6 * mean
        detail = {
            "datasets": {k: {"score": round(v, 4), **d} for k, (v, d) in per_dataset.items()},
            "card_training_data": card_documented,
            "mean_dataset_score": round(mean, 4),
        }
        return clamp(value), detail

    return await timed(run)
