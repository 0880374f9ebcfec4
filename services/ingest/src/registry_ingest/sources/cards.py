"""Model cards and config.json: parsed without ever raising, plus facts found in them.

Front matter is read with ``huggingface_hub.repocard`` (which brings PyYAML with it), so the
registry reads cards exactly as the Hub does; a malformed block becomes ``card_error``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from huggingface_hub.repocard import metadata_load

from registry_common.sourcerefs import references_in
from registry_ingest.sources.model import FetchedFile

MAX_CARD_CHARS: Final = 2 * 1024 * 1024
MAX_CONFIG_BYTES: Final = 16 * 1024 * 1024


def read_card(path: Path | None) -> tuple[str | None, dict[str, Any], str | None]:
    """``(full README text, front-matter metadata, error sentence)`` of a local README."""
    if path is None or not path.is_file():
        return None, {}, None
    raw = path.read_bytes()[: MAX_CARD_CHARS * 4]
    text = raw.decode("utf-8-sig", errors="replace")[:MAX_CARD_CHARS]
    try:
        data = metadata_load(path)
    except UnicodeDecodeError:
        return text, {}, "The model card is not valid UTF-8, so its metadata could not be read."
    except ValueError as exc:
        if "should be a dict" in str(exc):
            return text, {}, "The model card's metadata block is not a mapping of keys to values."
        return text, {}, f"The model card's metadata block could not be parsed: {_first(exc)}."
    except Exception as exc:  # YAML errors of every kind: recorded, never raised
        return text, {}, f"The model card's metadata block is not valid YAML: {_first(exc)}."
    return text, json_dict(data or {}), None


def read_config(path: Path | None) -> tuple[dict[str, Any] | None, str | None]:
    """``(parsed config.json, error sentence)``; ``(None, None)`` when there is none."""
    if path is None or not path.is_file():
        return None, None
    if path.stat().st_size > MAX_CONFIG_BYTES:
        return None, "config.json is larger than 16 MiB and was not parsed."
    try:
        value = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        return None, "config.json is not valid UTF-8."
    except (json.JSONDecodeError, RecursionError) as exc:
        return None, f"config.json is not valid JSON: {_first(exc)}."
    if not isinstance(value, dict):
        return None, "config.json does not hold a JSON object."
    return json_dict(value), None


def json_safe(value: Any, depth: int = 0) -> Any:
    """A copy of YAML/JSON data that ``json.dumps`` accepts (dates as ISO strings ...)."""
    if depth > 64:
        return None
    if isinstance(value, Mapping):
        return {str(k): json_safe(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v, depth + 1) for v in value]
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def json_dict(value: Mapping[str, Any]) -> dict[str, Any]:
    """`json_safe` for a mapping, typed as the dict it returns."""
    result = json_safe(value)
    return result if isinstance(result, dict) else {}


def find_card(files: Iterable[FetchedFile]) -> FetchedFile | None:
    """The root README (``README.md`` preferred), fetched or not."""
    root = [f for f in files if "/" not in f.path and f.kind == "card"]
    for preferred in ("readme.md", "readme", "model_card.md", "readme.markdown"):
        for item in root:
            if item.path.lower() == preferred:
                return item
    return root[0] if root else None


def find_root_file(files: Iterable[FetchedFile], name: str) -> FetchedFile | None:
    return next((f for f in files if f.path == name), None)


def as_list(value: Any) -> list[str]:
    """A card field that may be a string or a list, as a list of non-empty strings."""
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if isinstance(v, str | int) and str(v).strip()]
    return []


def licenses_of(card_data: Mapping[str, Any], tags: Iterable[str] = ()) -> list[str]:
    """License ids from the card (``license``), else from hub tags ``license:<id>``."""
    found = [v.lower() for v in as_list(card_data.get("license"))]
    if not found:
        found = [t.split(":", 1)[1].lower() for t in tags if t.lower().startswith("license:")]
    return list(dict.fromkeys(found))


def github_links(*sources: Any, exclude: str | None = None) -> list[str]:
    """``https://github.com/owner/repo`` links in texts and metadata, normalized, in order
    (`registry_common.sourcerefs` decides what is a repository)."""
    links: list[str] = []
    keys: set[str] = set()
    excluded = exclude.lower() if exclude else None
    for ref in references_in(_strings(sources)):
        if ref.kind != "github" or ref.repo_id is None or ref.repo_id.lower() == excluded:
            continue
        if ref.key not in keys:
            keys.add(ref.key)
            links.append(f"https://github.com/{ref.repo_id}")
    return links


def hf_dataset_links(*sources: Any) -> list[str]:
    """``https://huggingface.co/datasets/<id>`` links in texts and metadata, normalized."""
    links: list[str] = []
    for ref in references_in(_strings(sources)):
        if ref.kind == "huggingface_dataset" and ref.repo_id is not None:
            link = f"https://huggingface.co/datasets/{ref.repo_id}"
            if link not in links:
                links.append(link)
    return links


def card_facts(
    card_data: Mapping[str, Any],
    card_text: str | None,
    *,
    tags: Iterable[str] = (),
    exclude_github: str | None = None,
) -> dict[str, Any]:
    """Facts for metrics and lineage found in a card (shared by every source kind)."""
    card_tags = as_list(card_data.get("tags"))
    licenses = licenses_of(card_data, [*tags, *card_tags])
    return {
        "license": licenses[0] if licenses else None,
        "licenses": licenses,
        "license_name": card_data.get("license_name"),
        "base_models": as_list(card_data.get("base_model")),
        "base_model_relation": card_data.get("base_model_relation"),
        "datasets": as_list(card_data.get("datasets")),
        "linked_code": github_links(card_text, card_data, exclude=exclude_github),
        "linked_datasets": _dataset_urls(card_text, card_data),
        "pipeline_tag": card_data.get("pipeline_tag"),
        "library_name": card_data.get("library_name"),
        "tags": list(tags) or card_tags,
    }


def _dataset_urls(card_text: str | None, card_data: Mapping[str, Any]) -> list[str]:
    """Dataset links in the card, then the card's ``datasets`` ids as Hub dataset URLs."""
    links = hf_dataset_links(card_text, card_data)
    for dataset_id in as_list(card_data.get("datasets")):
        if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)?", dataset_id):
            link = f"https://huggingface.co/datasets/{dataset_id}"
            if link not in links:
                links.append(link)
    return links


def _strings(sources: Iterable[Any]) -> Iterable[str]:
    for source in sources:
        if source is None:
            continue
        if isinstance(source, str):
            yield source
        else:
            yield from _walk(source, 0)


def _walk(value: Any, depth: int) -> Iterable[str]:
    if depth > 32:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _walk(item, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _walk(item, depth + 1)


def _first(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = "; ".join(lines[:2]) if lines else type(exc).__name__
    return text.rstrip(".")[:300]
