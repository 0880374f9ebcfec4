"""What an artifact says about its ancestry, read from structured metadata only.

Parents come from the model card's `base_model` (with `base_model_relation`) and from
config.json (`_name_or_path` and the parent fields adapters and some architectures carry);
datasets from the card's `datasets`; code from GitHub links in the card. Each reference is
a canonical key (`hf:model:google-bert/bert-base-uncased`, `hf:dataset:stanfordnlp/imdb`,
`github:openai/whisper`) that binds to a registered artifact whenever one carries that key,
whichever was registered first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
_GITHUB = re.compile(r"github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?(?:[/#?].*)?$", re.IGNORECASE)
_HF_DATASET_URL = re.compile(r"huggingface\.co/datasets/([\w.-]+(?:/[\w.-]+)?)", re.IGNORECASE)
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


def model_key(repo_id: str) -> str:
    return f"hf:model:{repo_id.strip().lower()}"


def dataset_key(repo_id: str) -> str:
    return f"hf:dataset:{repo_id.strip().lower()}"


def github_key(owner: str, repo: str) -> str:
    return f"github:{owner.lower()}/{repo.lower()}"


def own_keys(source_kind: str, repo_id: str | None, github: dict[str, Any] | None) -> list[str]:
    """The keys under which other artifacts may refer to this one."""
    keys: list[str] = []
    if repo_id and source_kind == "huggingface_model":
        keys.append(model_key(repo_id))
        if "/" in repo_id:  # legacy one-segment ids ("bert-base-uncased") name the same model
            keys.append(model_key(repo_id.split("/", 1)[1]))
    elif repo_id and source_kind == "huggingface_dataset":
        keys.append(dataset_key(repo_id))
        if "/" in repo_id:
            keys.append(dataset_key(repo_id.split("/", 1)[1]))
    elif source_kind == "github" and repo_id and "/" in repo_id:
        owner, repo = repo_id.split("/", 1)
        keys.append(github_key(owner, repo))
    return keys


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _looks_like_repo_id(value: str) -> bool:
    return bool(_REPO_ID.match(value)) and not value.startswith((".", "/"))


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
        match = _HF_DATASET_URL.search(url)
        if match:
            add(
                Reference(
                    dataset_key(match.group(1)),
                    match.group(1),
                    "dataset",
                    "fine_tuning_dataset",
                    "card_links",
                )
            )
    for url in _as_list(metadata.get("linked_code")):
        match = _GITHUB.search(url)
        if match:
            owner, repo = match.groups()
            add(
                Reference(
                    github_key(owner, repo),
                    f"{owner}/{repo}",
                    "code",
                    "code_repository",
                    "card_links",
                )
            )
    return list(found.values())
