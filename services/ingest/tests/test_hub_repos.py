"""The Hub-compatible read side (registry_ingest.hub) as a use case against small in-memory
ports: how a repository id and a revision resolve to one artifact revision, and the refusals
a Hub client sees (their sentences and the Hub error codes the gateway renders)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest

from registry_common.blobs import BlobNotFound, BlobStore
from registry_common.blobs.port import BlobInfo
from registry_common.errors import BadRequest
from registry_common.settings import RuntimeSettings
from registry_ingest.audit import Actor
from registry_ingest.bundle_index import BundleIndexes, IndexEntry
from registry_ingest.catalog import CatalogStore
from registry_ingest.config import IngestSettings
from registry_ingest.hub import HubError, HubRepos, canonical_repo_id, commit_id, hub_repo_id
from registry_ingest.reads import CatalogReader
from registry_ingest.storage import part_key
from registry_ingest.tables import ArtifactHistoryRow, ArtifactRow

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2026, 2, 1, tzinfo=UTC)
HUB_SHA = "a" * 40


def _row(
    artifact_id: str,
    name: str,
    *,
    seq: int,
    artifact_type: str = "model",
    revision: int = 1,
    source_url: str = "https://example.com/model.zip",
    source_kind: str = "url",
    version: str | None = None,
    details: dict[str, Any] | None = None,
) -> ArtifactRow:
    return ArtifactRow(
        seq=seq,
        id=artifact_id,
        name=name,
        type=artifact_type,
        status="ready",
        revision=revision,
        source_url=source_url,
        source_kind=source_kind,
        version=version,
        versions=[],
        readme=None,
        details=details or {"files": []},
        content_bytes=0,
        bundle_bytes=0,
        uploader="alice",
        vetted=True,
        weights_scan=None,
        net_score=0.5,
        sensitive=False,
        created_at=T0,
        updated_at=T1,
    )


def _entry(path: str, size: int = 10) -> IndexEntry:
    return IndexEntry(path, 0, size, size, "stored", 0, "0" * 64, "1" * 40, False)


@dataclass
class Catalog:
    rows: list[ArtifactRow]
    old: dict[str, list[ArtifactHistoryRow]] = field(default_factory=dict)

    async def by_name(self, name: str, limit: int) -> list[ArtifactRow]:
        return [r for r in self.rows if r.name == name][:limit]

    async def get(self, artifact_id: str) -> ArtifactRow | None:
        return next((r for r in self.rows if r.id == artifact_id), None)

    async def history(self, artifact_id: str) -> list[ArtifactHistoryRow]:
        return self.old.get(artifact_id, [])


@dataclass
class Indexes:
    files: dict[tuple[str, int], list[IndexEntry]]
    asked: list[str] = field(default_factory=list)

    async def get(
        self, artifact_id: str, revision: int, key: str, files: list[dict[str, Any]]
    ) -> list[IndexEntry]:
        self.asked.append(key)
        if (artifact_id, revision) not in self.files:
            raise BlobNotFound(key)
        return self.files[(artifact_id, revision)]


class Blobs:
    async def stat(self, key: str) -> BlobInfo:
        return BlobInfo(key=key, size=1234, sha256="f" * 64)


@dataclass
class Reader:
    admitted: list[tuple[str, str, int, str | None, int | None]] = field(default_factory=list)

    async def admit_download(
        self,
        row: ArtifactRow,
        part: str,
        blob: BlobInfo,
        actor: Actor | None,
        client: str | None,
        *,
        bytes_served: int | None = None,
    ) -> None:
        self.admitted.append((row.id, part, blob.size, client, bytes_served))


def _repos(tmp_path: Path, catalog: Catalog, indexes: Indexes, reader: Reader) -> HubRepos:
    settings = IngestSettings(runtime=RuntimeSettings(data_dir=tmp_path, telemetry_exporter="none"))
    return HubRepos(
        settings,
        cast(CatalogStore, catalog),
        cast(BlobStore, Blobs()),
        cast(BundleIndexes, indexes),
        cast(CatalogReader, reader),
    )


@pytest.fixture
def world(tmp_path: Path) -> tuple[HubRepos, Catalog, Indexes, Reader]:
    older = _row("100", "bert", seq=1, version="1.0.0")
    newer = _row(
        "200",
        "bert",
        seq=2,
        revision=2,
        source_url="https://huggingface.co/acme/bert",
        source_kind="huggingface_model",
        version="2.0.0",
        details={"files": [], "revision": HUB_SHA, "license": "mit"},
    )
    data = _row("300", "bert", seq=3, artifact_type="dataset")
    catalog = Catalog(
        [older, newer, data],
        old={
            "200": [
                ArtifactHistoryRow(
                    artifact_id="200",
                    revision=1,
                    source_url="https://huggingface.co/acme/bert",
                    details={"files": [], "revision": "b" * 40},
                    replaced_at=T0,
                    replaced_by="alice",
                )
            ]
        },
    )
    indexes = Indexes(
        {
            ("100", 1): [_entry("config.json")],
            ("200", 2): [_entry("config.json"), _entry("model.safetensors", 999)],
        }
    )
    reader = Reader()
    return _repos(tmp_path, catalog, indexes, reader), catalog, indexes, reader


World = tuple[HubRepos, Catalog, Indexes, Reader]


async def test_main_is_the_newest_match_and_lists_its_files(world: World) -> None:
    repos, _, _, _ = world
    snap = await repos.snapshot("model", "bert", None, None)
    assert snap["artifact"] == {"name": "bert", "id": "200", "type": "model"}
    assert snap["repo_id"] == "acme/bert"  # from the Hub: its Hub id
    assert snap["commit"] == commit_id("200", 2)
    assert snap["source_revision"] == HUB_SHA
    assert snap["license"] == "mit"
    assert [f["path"] for f in snap["files"]] == ["config.json", "model.safetensors"]
    # The Hub id resolves to the same artifact.
    assert (await repos.snapshot("model", "acme/bert", "HEAD", None))["artifact"]["id"] == "200"


async def test_revisions_resolve_by_commit_stored_number_and_version(world: World) -> None:
    repos, _, _, _ = world
    by_commit = await repos.resolve("model", "bert", commit_id("100", 1))
    assert (by_commit.row.id, by_commit.revision) == ("100", 1)
    by_source_sha = await repos.resolve("model", "bert", HUB_SHA)
    assert (by_source_sha.row.id, by_source_sha.revision) == ("200", 2)
    by_version = await repos.resolve("model", "bert", "v1.0")
    assert by_version.row.id == "100"
    # An older revision of the newest match, kept in its history.
    old = await repos.resolve("model", "bert", "r1")
    assert (old.row.id, old.revision, old.modified) == ("200", 1, T0)
    old_by_sha = await repos.resolve("model", "bert", "b" * 40)
    assert (old_by_sha.row.id, old_by_sha.revision) == ("200", 1)


async def test_an_artifact_id_is_an_alias_of_its_repository(world: World) -> None:
    repos, _, _, _ = world
    resolved = await repos.resolve("dataset", "300", None)
    assert resolved.row.id == "300"
    with pytest.raises(HubError) as missing:
        await repos.resolve("model", "300", None)  # a dataset's id is no model
    assert missing.value.code == "RepoNotFound"


async def test_an_unknown_repository_type_is_a_400(world: World) -> None:
    repos, _, _, _ = world
    with pytest.raises(
        BadRequest, match=r"Unknown repository type 'space'; use model or dataset\."
    ):
        await repos.resolve("space", "bert", None)


async def test_an_unknown_repository_says_what_to_check(world: World) -> None:
    repos, _, _, _ = world
    with pytest.raises(HubError) as refused:
        await repos.snapshot("model", "ghost", None, None)
    assert str(refused.value) == (
        "No ready model in the registry is named 'ghost' or came from the Hugging Face "
        "repository 'ghost'; check the id and the repo_type, and whether it is still being "
        "rated."
    )
    assert refused.value.code == "RepoNotFound"


async def test_an_unknown_revision_lists_the_versions_to_use(world: World) -> None:
    repos, _, _, _ = world
    with pytest.raises(HubError) as refused:
        await repos.resolve("model", "bert", "r7")
    assert str(refused.value) == (
        "'bert' has no revision 'r7'; use main, a commit id, r<N> or a version (1.0.0, 2.0.0)."
    )
    assert refused.value.code == "RevisionNotFound"
    with pytest.raises(HubError, match=r"has no revision 'feature'; .*\(none is tagged\)\."):
        await repos.resolve("dataset", "bert", "feature")


async def test_a_revision_whose_bundle_is_gone_is_revision_not_found(world: World) -> None:
    repos, _, _, _ = world
    with pytest.raises(HubError) as refused:
        await repos.snapshot("model", "bert", "r1", None)  # 200 r1: its bundle is not stored
    assert str(refused.value) == "The bundle of revision r1 of 'bert' is no longer stored."
    assert refused.value.code == "RevisionNotFound"


async def test_a_missing_file_names_the_revision_and_its_commit(world: World) -> None:
    repos, _, _, reader = world
    with pytest.raises(HubError) as refused:
        await repos.download("model", "bert", None, "weights.bin", None, "cli")
    assert str(refused.value) == (
        "'weights.bin' is not a file of 'bert' at r2 (files the source did not let the "
        "registry mirror are not in the bundle)."
    )
    assert refused.value.code == "EntryNotFound"
    assert refused.value.details == {"commit": commit_id("200", 2)}
    assert reader.admitted == []  # a refused download is no download


async def test_a_download_passes_the_policy_and_names_the_blob(world: World) -> None:
    repos, _, _, reader = world
    answer = await repos.download("model", "bert", None, "model.safetensors", None, "cli")
    assert answer["key"] == part_key("200", 2, "full")
    assert answer["blob_size"] == 1234
    assert [f["path"] for f in answer["files"]] == ["model.safetensors"]
    assert reader.admitted == [("200", "file", 1234, "cli", 999)]
    one = await repos.snapshot("model", "bert", None, "config.json")
    assert [f["path"] for f in one["files"]] == ["config.json"]


def test_canonical_ids() -> None:
    plain = _row("1", "my-model", seq=1)
    assert hub_repo_id(plain) is None
    assert canonical_repo_id(plain) == "my-model"
    odd = _row("2", "a/b/c", seq=2)  # not a Hub repository id: the artifact id
    assert canonical_repo_id(odd) == "2"
    broken = _row("3", "x", seq=3, source_kind="huggingface_model", source_url="not a url")
    assert hub_repo_id(broken) is None
