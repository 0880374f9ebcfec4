"""Registry artifacts as Hugging Face Hub repositories (the read side of the Hub-compatible API
the gateway serves under ``/hf``; docs/hub-api.md).

Mapping rule. A repository id names the ready artifacts of the repository's type (``model``
for ``/api/models``, ``dataset`` for ``/api/datasets``) whose name is the id, or that were
ingested from the Hugging Face repository with that id (``owner/name``, registered under its
default name). Several artifacts may share a name: ``main`` is the newest of them, and every
other revision pins one artifact. An artifact id is an alias: it resolves to that artifact,
and the gateway redirects to its canonical repository id.

Revisions. ``main`` (or ``HEAD``): the current revision of the newest match. A commit id
(40 hex digits): the registry's commit of one artifact revision (``commit_id``), or the
source's own commit (a Hub sha) that revision was fetched at. ``r<N>``: stored revision N.
A version (``1.2.0``, ``v1.2``): the newest match carrying that version or version tag.
Older revisions stay served while their bundles are stored (an update keeps them).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from registry_common.blobs import BlobNotFound, BlobStore
from registry_common.errors import BadRequest, NotFound
from registry_ingest.audit import Actor
from registry_ingest.bundle_index import BundleIndexes, IndexEntry
from registry_ingest.catalog import CatalogStore
from registry_ingest.config import IngestSettings
from registry_ingest.reads import CatalogReader, summary
from registry_ingest.sources.urls import parse_source_url
from registry_ingest.storage import part_key
from registry_ingest.tables import ArtifactRow
from registry_ingest.versions import normalize_tag

REPO_TYPES: Final = {"model": "model", "dataset": "dataset"}
DEFAULT_REVISIONS: Final = frozenset({"main", "HEAD"})
# The part a Hub file download is recorded under (audit event, download history).
HUB_PART: Final = "file"
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_STORED_REVISION = re.compile(r"^r([1-9][0-9]{0,8})$")
# What huggingface_hub accepts as a repository id (validate_repo_id): one or two segments.
_HUB_REPO_ID = re.compile(r"^(?:[\w\-.]{1,96}/)?[\w\-.]{1,96}$")


def commit_id(artifact_id: str, revision: int) -> str:
    """The 40-hex commit id of one artifact revision: stable, unique, and what clients cache
    snapshots under (a registry revision never changes: an update makes a new one)."""
    return hashlib.sha1(f"registry\x1f{artifact_id}\x1fr{revision}".encode()).hexdigest()  # noqa: S324


class HubError(NotFound):
    """A 404 with the Hub's error code in `code` (the gateway renders X-Error-Code)."""

    def __init__(self, message: str, code: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.details = details or {}


@dataclass(frozen=True)
class RepoRevision:
    row: ArtifactRow  # the artifact as it is now
    revision: int
    details: dict[str, Any]  # of that revision
    source_url: str
    modified: datetime

    @property
    def commit(self) -> str:
        return commit_id(self.row.id, self.revision)

    @property
    def key(self) -> str:
        return part_key(self.row.id, self.revision, "full", self.details)


def hub_repo_id(row: ArtifactRow) -> str | None:
    """`owner/name` of the Hugging Face repository an artifact was ingested from."""
    if not row.source_kind.startswith("huggingface"):
        return None
    try:
        return parse_source_url(row.source_url, row.type).repo_id
    except BadRequest:
        return None


def canonical_repo_id(row: ArtifactRow) -> str:
    """The id the API answers with: the Hub id for artifacts from the Hub, else the name when
    clients accept it as a repository id, else the artifact id."""
    hub = hub_repo_id(row)
    if hub:
        return hub
    return row.name if _HUB_REPO_ID.match(row.name) and ".." not in row.name else row.id


class HubRepos:
    def __init__(
        self,
        settings: IngestSettings,
        catalog: CatalogStore,
        blobs: BlobStore,
        indexes: BundleIndexes,
        reader: CatalogReader,
    ) -> None:
        self._settings = settings
        self._catalog = catalog
        self._blobs = blobs
        self._indexes = indexes
        self._reader = reader

    async def snapshot(
        self, repo_type: str, repo_id: str, revision: str | None, path: str | None
    ) -> dict[str, Any]:
        """The repository at a revision: its facts and files (or only `path`'s entry)."""
        resolved = await self.resolve(repo_type, repo_id, revision)
        entries = await self._entries(resolved)
        if path is not None:
            entries = [_entry_named(entries, path, resolved)]
        return _describe(resolved, entries)

    async def download(
        self,
        repo_type: str,
        repo_id: str,
        revision: str | None,
        path: str,
        actor: Actor | None,
        client: str | None,
    ) -> dict[str, Any]:
        """One file's place in the blob store, after the registry's download policy (the
        monitor of a sensitive model, the audit entry, the ArtifactDownloaded event)."""
        resolved = await self.resolve(repo_type, repo_id, revision)
        entry = _entry_named(await self._entries(resolved), path, resolved)
        blob = await self._blobs.stat(resolved.key)
        await self._reader.admit_download(
            resolved.row, HUB_PART, blob, actor, client, bytes_served=entry.size
        )
        return {**_describe(resolved, [entry]), "key": resolved.key, "blob_size": blob.size}

    async def resolve(self, repo_type: str, repo_id: str, revision: str | None) -> RepoRevision:
        artifact_type = REPO_TYPES.get(repo_type)
        if artifact_type is None:
            raise BadRequest(f"Unknown repository type {repo_type!r}; use model or dataset.")
        rows = await self._matches(artifact_type, repo_id)
        if not rows:
            raise HubError(
                f"No ready {artifact_type} in the registry is named {repo_id!r} or came from "
                f"the Hugging Face repository {repo_id!r}; check the id and the repo_type, and "
                "whether it is still being rated.",
                "RepoNotFound",
            )
        wanted = revision or "main"
        found = await self._revision(rows, wanted)
        if found is None:
            raise HubError(
                f"{repo_id!r} has no revision {wanted!r}; use main, a commit id, r<N> or a "
                f"version ({', '.join(_versions(rows)) or 'none is tagged'}).",
                "RevisionNotFound",
            )
        return found

    async def _matches(self, artifact_type: str, repo_id: str) -> list[ArtifactRow]:
        names = {repo_id, repo_id.rsplit("/", 1)[-1]}
        rows: dict[str, ArtifactRow] = {}
        for name in names:
            for row in await self._catalog.by_name(name, limit=self._settings.max_name_matches):
                if row.type == artifact_type and (
                    row.name == repo_id or hub_repo_id(row) == repo_id
                ):
                    rows[row.id] = row
        if not rows and repo_id.isascii() and repo_id.isdigit():
            alias = await self._catalog.get(repo_id)  # an artifact id: the alias
            if alias is not None and alias.type == artifact_type:
                rows[alias.id] = alias
        return sorted(rows.values(), key=lambda r: r.seq, reverse=True)

    async def _revision(self, rows: list[ArtifactRow], wanted: str) -> RepoRevision | None:
        if wanted in DEFAULT_REVISIONS:
            return _current(rows[0])
        stored = _STORED_REVISION.match(wanted)
        commit = wanted if _COMMIT.match(wanted) else None
        for row in rows:
            if (stored and int(stored.group(1)) == row.revision) or (
                commit and commit in (commit_id(row.id, row.revision), row.details.get("revision"))
            ):
                return _current(row)
            if stored or commit:
                for old in await self._catalog.history(row.id):
                    if (stored and int(stored.group(1)) == old.revision) or (
                        commit
                        and commit in (commit_id(row.id, old.revision), old.details.get("revision"))
                    ):
                        return RepoRevision(
                            row, old.revision, old.details, old.source_url, old.replaced_at
                        )
        version = normalize_tag(wanted)
        if version is not None:
            for row in rows:
                if version in {normalize_tag(v) for v in (row.version, *row.versions) if v}:
                    return _current(row)
        return None

    async def _entries(self, resolved: RepoRevision) -> list[IndexEntry]:
        try:
            return await self._indexes.get(
                resolved.row.id, resolved.revision, resolved.key, resolved.details.get("files", [])
            )
        except BlobNotFound as exc:
            raise HubError(
                f"The bundle of revision r{resolved.revision} of {resolved.row.name!r} is no "
                "longer stored.",
                "RevisionNotFound",
            ) from exc


def _current(row: ArtifactRow) -> RepoRevision:
    return RepoRevision(row, row.revision, row.details, row.source_url, row.updated_at)


def _versions(rows: list[ArtifactRow]) -> list[str]:
    return sorted({v for r in rows for v in (r.version, *r.versions) if v})[:10]


def _entry_named(entries: list[IndexEntry], path: str, resolved: RepoRevision) -> IndexEntry:
    for entry in entries:
        if entry.path == path:
            return entry
    raise HubError(
        f"{path!r} is not a file of {resolved.row.name!r} at r{resolved.revision} (files the "
        "source did not let the registry mirror are not in the bundle).",
        "EntryNotFound",
        {"commit": resolved.commit},
    )


def _describe(resolved: RepoRevision, entries: list[IndexEntry]) -> dict[str, Any]:
    row, details = resolved.row, resolved.details
    return {
        "repo_id": canonical_repo_id(row),
        "artifact": summary(row),
        "commit": resolved.commit,
        "revision": resolved.revision,
        "source_url": resolved.source_url,
        "source_revision": details.get("revision"),
        "uploader": row.uploader,
        "created_at": row.created_at.isoformat(),
        "last_modified": resolved.modified.isoformat(),
        "version": row.version,
        "versions": row.versions,
        "vetted": row.vetted,
        "net_score": row.net_score,
        "license": details.get("license"),
        "card_data": details.get("card_data") or None,
        "config": details.get("config"),
        "complete": bool(details.get("complete", True)),
        "files": [e.as_json() for e in entries],
    }
