"""Metadata facts of a source, as later metrics and lineage read them (JSON-serializable)."""

from __future__ import annotations

from typing import Any

from registry_ingest.sources.cards import card_facts, json_dict
from registry_ingest.sources.model import FetchedSource
from registry_ingest.sources.urls import SourceRef


def hub_metadata(ref: SourceRef, info: Any, source: FetchedSource) -> dict[str, Any]:
    """Facts of a Hugging Face repository from its API answer (None when unreadable)."""
    tags = list(getattr(info, "tags", None) or [])
    facts = card_facts(source.card_data or hub_card_data(info), source.card_text, tags=tags)
    last_modified = getattr(info, "last_modified", None)
    safetensors = getattr(info, "safetensors", None)
    return json_dict(
        {
            **facts,
            "source_kind": ref.kind,
            "repo_id": getattr(info, "id", None) or ref.repo_id,
            "author": getattr(info, "author", None),
            "downloads": getattr(info, "downloads", None),
            "likes": getattr(info, "likes", None),
            "last_modified": last_modified.isoformat() if last_modified else None,
            "pipeline_tag": getattr(info, "pipeline_tag", None) or facts["pipeline_tag"],
            "library_name": getattr(info, "library_name", None) or facts["library_name"],
            "gated": getattr(info, "gated", None),
            "private": getattr(info, "private", None),
            "hub_used_storage": getattr(info, "used_storage", None),
            "parameters": getattr(safetensors, "total", None),
            "description": getattr(info, "description", None),
            "fetched_bytes": source.fetched_bytes,
            "declared_bytes": source.declared_bytes,
        }
    )


def hub_card_data(info: Any) -> dict[str, Any]:
    """The API's ``cardData`` (the parsed front matter) as plain JSON data."""
    card = getattr(info, "card_data", None)
    if card is None:
        return {}
    data = card.to_dict() if hasattr(card, "to_dict") else dict(card)
    return json_dict(data) if isinstance(data, dict) else {}


def github_metadata(repo: dict[str, Any], rev: str) -> dict[str, Any]:
    """Facts of a GitHub repository from ``GET /repos/{owner}/{repo}``."""
    license_info = repo.get("license") or {}
    spdx = license_info.get("spdx_id") if isinstance(license_info, dict) else None
    license_id = None if not spdx else ("other" if spdx == "NOASSERTION" else spdx.lower())
    owner = repo.get("owner") or {}
    return json_dict(
        {
            "source_kind": "github",
            "repo_id": repo.get("full_name"),
            "author": owner.get("login") if isinstance(owner, dict) else None,
            "license": license_id,
            "licenses": [license_id] if license_id else [],
            "description": repo.get("description"),
            "tags": list(repo.get("topics") or []),
            "likes": repo.get("stargazers_count"),
            "last_modified": repo.get("pushed_at"),
            "github": {
                "full_name": repo.get("full_name"),
                "html_url": repo.get("html_url"),
                "stars": repo.get("stargazers_count"),
                "forks": repo.get("forks_count"),
                "open_issues": repo.get("open_issues_count"),
                "watchers": repo.get("subscribers_count"),
                "default_branch": repo.get("default_branch"),
                "ref": rev,
                "license_spdx": spdx,
                "pushed_at": repo.get("pushed_at"),
                "created_at": repo.get("created_at"),
                "archived": repo.get("archived"),
                "fork": repo.get("fork"),
                "size_kb": repo.get("size"),
                "topics": list(repo.get("topics") or []),
            },
        }
    )
