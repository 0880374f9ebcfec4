"""What an artifact says about its ancestry, read from structured metadata only.

Parents come from the model card's `base_model` (with `base_model_relation`) and from
config.json (`_name_or_path` and the parent fields adapters and some architectures carry);
datasets from the card's `datasets`; code from GitHub links in the card. Each reference is
a canonical key (`hf:model:google-bert/bert-base-uncased`, `hf:dataset:stanfordnlp/imdb`,
`github:openai/whisper`) that binds to a registered artifact whenever one carries that key,
whichever was registered first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from registry_common import sourcerefs
from registry_common.sourcerefs import (
    dataset_key,
    github_key,
    github_repo_of,
    hf_dataset_of,
    is_hub_repo_id,
    model_key,
)

__all__ = ["Reference", "dataset_key", "github_key", "model_key", "own_keys", "references"]

# config.json fields that name a parent model (adapters, encoder-decoder pairs, distillation).
_CONFIG_PARENT_FIELDS = (
    "_name_or_path",
    "base_model_name_or_path",
    "base_model",
    "teacher_model_name_or_path",
)
_RELATIONS = {"finetune", "adapter", "quantized", "merge"}


@dataclass(frozen=True)
class Reference:
    key: str
    name: str
    kind: str  # model | dataset | code
    relationship: str  # base_model | fine_tuning_dataset | code_repository
    source: str  # card_base_model | config_json | card_datasets | card_links
    relation: str | None = None  # finetune | adapter | quantized | merge


def own_keys(source_kind: str, repo_id: str | None, github: dict[str, Any] | None) -> list[str]:
    """The keys under which other artifacts may refer to this one (the keys ingest's parser
    gives its source, `registry_common.sourcerefs.own_keys`)."""
    return sourcerefs.own_keys(source_kind, repo_id)


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _looks_like_repo_id(value: str) -> bool:
    return is_hub_repo_id(value.strip())


def references(metadata: dict[str, Any], own: list[str]) -> list[Reference]:
    """Every ancestor reference found in `metadata` (an ArtifactUploaded payload), without
    duplicates and without the artifact itself (self-references are ignored)."""
    found: dict[tuple[str, str], Reference] = {}

    def add(ref: Reference) -> None:
        if ref.key not in own:
            found.setdefault((ref.key, ref.relationship), ref)

    raw_card = metadata.get("card_data")
    card: dict[str, Any] = raw_card if isinstance(raw_card, dict) else {}
    relation = card.get("base_model_relation")
    relation = relation if relation in _RELATIONS else None
    for parent in _as_list(metadata.get("base_models")) or _as_list(card.get("base_model")):
        if _looks_like_repo_id(parent):
            add(
                Reference(
                    model_key(parent), parent, "model", "base_model", "card_base_model", relation
                )
            )
    raw_config = metadata.get("config")
    config: dict[str, Any] = raw_config if isinstance(raw_config, dict) else {}
    for field in _CONFIG_PARENT_FIELDS:
        value = config.get(field)
        if isinstance(value, str) and _looks_like_repo_id(value):
            add(Reference(model_key(value), value, "model", "base_model", "config_json"))
    for dataset in _as_list(metadata.get("datasets")) or _as_list(card.get("datasets")):
        if _looks_like_repo_id(dataset):
            add(
                Reference(
                    dataset_key(dataset), dataset, "dataset", "fine_tuning_dataset", "card_datasets"
                )
            )
    for url in _as_list(metadata.get("linked_datasets")):
        dataset_id = hf_dataset_of(url)
        if dataset_id:
            add(
                Reference(
                    dataset_key(dataset_id),
                    dataset_id,
                    "dataset",
                    "fine_tuning_dataset",
                    "card_links",
                )
            )
    for url in _as_list(metadata.get("linked_code")):
        full_name = github_repo_of(url)
        if full_name:
            owner, repo = full_name.split("/", 1)
            add(
                Reference(
                    github_key(owner, repo),
                    full_name,
                    "code",
                    "code_repository",
                    "card_links",
                )
            )
    return list(found.values())
