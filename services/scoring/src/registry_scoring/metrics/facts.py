"""`ModelFacts`: everything the metrics read about one artifact, built from its ingest event.

The ingest service publishes `ArtifactUploaded` / `ArtifactUpdated` whose ``metadata`` carries
the fetched source's facts (license, tags, card_data, config, files, linked_code, ...). The
scoring service adds the README text read from the stored bundle. Metrics never touch the
event itself: they read these facts and, where the metadata is not enough, ask GitHub or the
Hugging Face Hub through the clients of `MetricContext`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from types import MappingProxyType
from typing import Any

from registry_common.events import ArtifactUpdated, ArtifactUploaded
from registry_common.sourcerefs import github_repo_of, hf_dataset_of, is_hub_repo_id


@dataclass(frozen=True)
class FileEntry:
    """One file of the artifact as the bundle manifest lists it (size = declared bytes)."""

    path: str
    size: int
    kind: str = "other"
    sha256: str | None = None
    fetched: bool = True

    @classmethod
    def from_manifest(cls, entry: Mapping[str, Any]) -> FileEntry | None:
        path = entry.get("path")
        if not isinstance(path, str) or not path:
            return None
        size = entry.get("size")
        return cls(
            path=path,
            size=int(size) if isinstance(size, int | float) and size >= 0 else 0,
            kind=str(entry.get("kind") or "other"),
            sha256=entry.get("sha256") if isinstance(entry.get("sha256"), str) else None,
            fetched=bool(entry.get("fetched", True)),
        )

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.path).suffix.lower()


@dataclass(frozen=True)
class ModelFacts:
    """The input of every metric (immutable; ``metadata`` is a read-only view)."""

    artifact_id: str
    name: str
    type: str
    source_url: str | None
    metadata: Mapping[str, Any]
    readme: str | None
    files: tuple[FileEntry, ...] = ()
    uploader: str | None = None
    files_truncated: bool = False

    @classmethod
    def from_event(
        cls,
        event: ArtifactUploaded | ArtifactUpdated,
        readme: str | None,
        *,
        files: Iterable[Mapping[str, Any]] | None = None,
    ) -> ModelFacts:
        """Facts of the artifact an ingest event announces.

        ``readme`` is the card text read from the stored bundle (None when there is none).
        ``files`` replaces the event's manifest entries, for callers that read the manifest
        from the bundle because the event carried only a truncation note (very large repos).
        """
        metadata = event.metadata.as_mapping()
        raw_files: Any = metadata.get("files") if files is None else list(files)
        truncated = isinstance(raw_files, Mapping) and "_truncated" in raw_files
        entries = tuple(
            entry
            for entry in (
                FileEntry.from_manifest(item)
                for item in (raw_files if isinstance(raw_files, list) else [])
                if isinstance(item, Mapping)
            )
            if entry is not None
        )
        return cls(
            artifact_id=event.artifact.id,
            name=event.artifact.name,
            type=event.artifact.type,
            source_url=event.source_url,
            metadata=MappingProxyType(metadata),
            readme=readme if readme and readme.strip() else None,
            files=entries,
            uploader=event.uploader,
            files_truncated=truncated,
        )

    # ------------------------------------------------------------------ derived facts

    def get(self, key: str, default: Any = None) -> Any:
        value = self.metadata.get(key)
        return default if value is None else value

    @property
    def source_kind(self) -> str | None:
        kind = self.metadata.get("source_kind")
        return str(kind) if kind else None

    @property
    def repo_id(self) -> str | None:
        """The source's repository id (``org/name`` on the Hub, ``owner/repo`` on GitHub)."""
        repo = self.metadata.get("repo_id")
        return str(repo) if isinstance(repo, str) and repo else None

    @property
    def hub_repo_id(self) -> str | None:
        """The Hugging Face model id when the artifact was fetched from the Hub."""
        if self.source_kind == "huggingface_model":
            return self.repo_id
        return None

    @property
    def card_data(self) -> Mapping[str, Any]:
        data = self.metadata.get("card_data")
        return data if isinstance(data, Mapping) and "_truncated" not in data else {}

    @property
    def config(self) -> Mapping[str, Any]:
        data = self.metadata.get("config")
        return data if isinstance(data, Mapping) and "_truncated" not in data else {}

    @property
    def tags(self) -> list[str]:
        return [str(t) for t in self.get("tags", []) if isinstance(t, str)]

    @property
    def licenses(self) -> list[str]:
        """License ids (lower case) from the metadata, first the primary one."""
        found: list[str] = []
        primary = self.metadata.get("license")
        if isinstance(primary, str) and primary.strip():
            found.append(primary.strip().lower())
        for item in self.get("licenses", []):
            if isinstance(item, str) and item.strip() and item.strip().lower() not in found:
                found.append(item.strip().lower())
        return found

    @property
    def github_repo(self) -> str | None:
        """``owner/repo`` of the artifact's GitHub repository: the source itself for code
        fetched from GitHub, else the first GitHub link of the card (its primary code)."""
        if self.source_kind == "github":
            github = self.metadata.get("github")
            full = github.get("full_name") if isinstance(github, Mapping) else None
            return str(full or self.repo_id) if (full or self.repo_id) else None
        for link in self.get("linked_code", []):
            full_name = github_repo_of(link)
            if full_name:
                return full_name
        return None

    @property
    def dataset_ids(self) -> list[str]:
        """Hub dataset ids the model declares, canonical ones (``dataset:`` tags) first; a
        legacy one-segment id is dropped when a listed canonical id ends with it."""
        found: list[str] = []
        seen: set[str] = set()

        def add(candidate: str) -> None:
            candidate = candidate.strip().strip("/")
            if not candidate or not is_hub_repo_id(candidate) or candidate.lower() in seen:
                return
            if "/" not in candidate and any(
                f.lower().endswith("/" + candidate.lower()) for f in found
            ):
                return  # a legacy id ("imdb") of a canonical one already listed
            seen.add(candidate.lower())
            found.append(candidate)

        for tag in self.tags:
            if tag.lower().startswith("dataset:"):
                add(tag.split(":", 1)[1])
        for dataset in self.get("datasets", []):
            if isinstance(dataset, str):
                add(dataset)
        for link in self.get("linked_datasets", []):
            dataset_id = hf_dataset_of(link)
            if dataset_id:
                add(dataset_id)
        return found

    @property
    def parent_refs(self) -> list[str]:
        """The model's parents as repo ids / names: the card's ``base_model`` entries, then
        config.json's ``_name_or_path`` (and an adapter's ``base_model_name_or_path``) when it
        names another repository (not a local path, not the model itself)."""
        own = {ref.lower() for ref in (self.repo_id, self.name) if ref}
        found: list[str] = []

        def add(candidate: Any) -> None:
            if not isinstance(candidate, str):
                return
            candidate = candidate.strip()
            if (
                candidate
                and is_hub_repo_id(candidate)
                and candidate.lower() not in own
                and candidate.lower() not in (f.lower() for f in found)
            ):
                found.append(candidate)

        for base in self.get("base_models", []):
            add(base)
        config = self.config
        add(config.get("_name_or_path"))
        add(config.get("base_model_name_or_path"))
        return found

    def weight_files(self) -> list[FileEntry]:
        return [f for f in self.files if f.kind == "weights"]

    def has_file(self, *names: str) -> bool:
        wanted = {n.lower() for n in names}
        return any(f.name.lower() in wanted for f in self.files)
