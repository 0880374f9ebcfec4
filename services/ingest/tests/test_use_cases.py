"""Ingest's write use cases against fake repositories and a fake unit of work: what they
commit, which events they raise (the outbox), and what a failure at each step leaves."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from registry_common.blobs.local import LocalBlobStore
from registry_common.blobs.sweeper import OrphanSweeper
from registry_common.errors import ComponentUnavailable, NotFound, RegistryError
from registry_common.events import ArtifactDeleted, ArtifactUpdated, ArtifactUploaded, RegistryReset
from registry_common.settings import RuntimeSettings
from registry_ingest.audit import Actor
from registry_ingest.catalog import PENDING, READY
from registry_ingest.config import IngestSettings
from registry_ingest.service import IngestService
from registry_ingest.sources.fetcher import SourceFetcher
from registry_ingest.sources.model import FetchedSource
from registry_ingest.sources.urls import SourceRef
from registry_ingest.storage import referenced_keys
from registry_ingest.tables import ArtifactRow
from services.ingest.tests.fakes import Fakes

ALICE = Actor("alice")


def _zip(**files: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


FIRST = _zip(**{"README.md": "# tool\nfirst", "main.py": "print(1)\n"})
SECOND = _zip(**{"README.md": "# tool\nsecond", "main.py": "print(2)\n"})


class ZipFetcher:
    """Uploads go through the real zip checks; a URL "fetch" unpacks `next_zip` the same way."""

    def __init__(self) -> None:
        self.real = SourceFetcher()
        self.next_zip = SECOND
        self.during_fetch: Any = None

    async def from_upload(self, *args: Any, **kwargs: Any) -> FetchedSource:
        return await self.real.from_upload(*args, **kwargs)

    async def fetch(self, ref: SourceRef, workdir: Path) -> FetchedSource:
        if self.during_fetch is not None:
            self.during_fetch()
        return await self.real.from_upload(
            io.BytesIO(self.next_zip), workdir, filename="src.zip", artifact_type="code"
        )


class FailingDeletes(LocalBlobStore):
    """The local store, whose deletes fail while `down` (the blob store went away)."""

    down = False

    async def delete_prefix(self, prefix: str) -> int:
        if self.down:
            raise ComponentUnavailable("blob store", "OSError")
        return await super().delete_prefix(prefix)


class FakePopularity:
    forgotten = 0

    def forget(self) -> None:
        self.forgotten += 1


@pytest.fixture
async def blobs(tmp_path: Path) -> AsyncIterator[FailingDeletes]:
    store = FailingDeletes(tmp_path / "blobs")
    await store.start()
    yield store
    await store.close()


@pytest.fixture
def fakes() -> Fakes:
    return Fakes()


@pytest.fixture
def fetcher() -> ZipFetcher:
    return ZipFetcher()


@pytest.fixture
def service(
    fakes: Fakes, blobs: FailingDeletes, fetcher: ZipFetcher, tmp_path: Path
) -> IngestService:
    settings = IngestSettings(
        runtime=RuntimeSettings(data_dir=tmp_path / "data"), rating_wait_seconds=0
    )
    return IngestService(
        settings,
        fakes.catalog,  # type: ignore[arg-type]
        blobs,
        fakes.unit_of_work,  # type: ignore[arg-type]
        fetcher,  # type: ignore[arg-type]
        structlog.get_logger(),
        FakePopularity(),  # type: ignore[arg-type]
    )


async def upload(service: IngestService, artifact_type: str = "code", data: bytes = FIRST) -> Any:
    return await service.register_upload(artifact_type, io.BytesIO(data), "tool.zip", "tool", ALICE)


async def keys(blobs: LocalBlobStore) -> list[str]:
    return [info.key for info in await blobs.list("artifacts/")]


# ---------------------------------------------------------------- create


async def test_create_commits_row_audit_and_event_together(
    service: IngestService, fakes: Fakes, blobs: LocalBlobStore
) -> None:
    outcome = await upload(service)
    assert outcome.status == 201
    row = fakes.catalog.rows[outcome.row.id]
    assert (row.status, row.revision, row.name) == (READY, 1, "tool")
    assert fakes.audit.entries == [(row.id, "CREATE", "alice")]
    assert [u.committed for u in fakes.units] == [True]
    [event] = fakes.outbox.events
    assert isinstance(event, ArtifactUploaded)
    assert (event.artifact.id, event.uploader) == (row.id, "alice")
    assert event.metadata.bundle_prefix == f"artifacts/{row.id}/r1/"
    # The blobs were there before the row committed: every part of revision 1.
    assert await keys(blobs) == [
        f"artifacts/{row.id}/r1/{part}.zip" for part in ("card", "config", "full", "weights")
    ]


async def test_a_model_waits_pending_and_its_event_is_already_committed(
    service: IngestService, fakes: Fakes
) -> None:
    outcome = await upload(service, "model")
    assert outcome.status == 202  # rating_wait_seconds=0: still being rated
    assert fakes.catalog.rows[outcome.row.id].status == PENDING
    assert [type(e) for e in fakes.outbox.events] == [ArtifactUploaded]


async def test_a_failed_commit_leaves_no_row_no_event_and_no_blobs(
    service: IngestService, fakes: Fakes, blobs: LocalBlobStore
) -> None:
    fakes.catalog.fail_next_insert = ComponentUnavailable("database", "ConnectionRefusedError")
    with pytest.raises(ComponentUnavailable, match="database"):
        await upload(service)
    assert fakes.catalog.rows == {}
    assert fakes.audit.entries == []
    assert fakes.outbox.events == []
    assert [u.committed for u in fakes.units] == [False]
    assert await keys(blobs) == []


async def test_blobs_a_failed_create_could_not_remove_are_swept_later(
    service: IngestService, fakes: Fakes, blobs: FailingDeletes
) -> None:
    """The database and then the blob store fail: the database error is reported, the bundle
    stays unreferenced, and the sweeper removes it once it is older than the grace age."""
    fakes.catalog.fail_next_insert = ComponentUnavailable("database", "ConnectionRefusedError")
    blobs.down = True
    with pytest.raises(ComponentUnavailable, match="database"):
        await upload(service)
    blobs.down = False
    orphans = await keys(blobs)
    assert len(orphans) == 4
    kept = await upload(service)  # a committed artifact's blobs are never swept

    async def referenced(listed: Any) -> set[str]:
        return await referenced_keys(fakes.catalog, listed)  # type: ignore[arg-type]

    sweeper = OrphanSweeper(
        blobs, "artifacts/", referenced, structlog.get_logger(), grace_seconds=0, interval_seconds=1
    )
    assert sorted((await sweeper.sweep()).removed) == orphans
    assert all(key.startswith(f"artifacts/{kept.row.id}/") for key in await keys(blobs))
    assert len(await keys(blobs)) == 4


# ---------------------------------------------------------------- update


async def test_update_replaces_the_revision_and_announces_it(
    service: IngestService, fakes: Fakes, blobs: LocalBlobStore
) -> None:
    created = await upload(service)
    outcome = await service.update(
        "code", created.row.id, "tool", "https://github.com/acme/tool", ALICE
    )
    assert outcome.status == 200
    row = fakes.catalog.rows[created.row.id]
    assert row.revision == 2
    assert [(old.artifact_id, old.revision) for old in fakes.catalog.replaced] == [(row.id, 1)]
    assert fakes.audit.entries[-1] == (row.id, "UPDATE", "alice")
    _uploaded, updated = fakes.outbox.events
    assert isinstance(updated, ArtifactUpdated)
    assert updated.metadata.revision == 2
    # The update's own folder (one per attempt), named by the row it committed.
    folder = row.details["bundle_dir"]
    assert folder.startswith("r2.")
    assert updated.metadata.bundle_prefix == f"artifacts/{row.id}/{folder}/"
    assert f"artifacts/{row.id}/{folder}/full.zip" in await keys(blobs)


async def test_a_lost_update_race_commits_nothing_and_removes_its_bundle(
    service: IngestService, fakes: Fakes, fetcher: ZipFetcher, blobs: LocalBlobStore
) -> None:
    created = await upload(service)
    row = fakes.catalog.rows[created.row.id]

    def someone_else_updates() -> None:
        # Another update committed while this one fetched: the catalog holds a newer row.
        values = {c.key: getattr(row, c.key) for c in ArtifactRow.__table__.columns}
        fakes.catalog.rows[row.id] = ArtifactRow(**{**values, "revision": 2})

    fetcher.during_fetch = someone_else_updates
    with pytest.raises(RegistryError, match="updated by someone else") as conflict:
        await service.update("code", row.id, "tool", "https://github.com/acme/tool", ALICE)
    assert conflict.value.status == 409
    assert [type(e) for e in fakes.outbox.events] == [ArtifactUploaded]
    assert fakes.units[-1].committed is False
    assert fakes.audit.entries == [(row.id, "CREATE", "alice")]
    # Its own bundle was removed again (the winner's revision is the winner's to store).
    assert not any("/r2" in key for key in await keys(blobs))


async def test_update_of_an_unknown_artifact_is_404_without_events(
    service: IngestService, fakes: Fakes
) -> None:
    with pytest.raises(NotFound):
        await service.update("code", "nope", "tool", "https://github.com/acme/tool", ALICE)
    assert fakes.outbox.events == []


# ---------------------------------------------------------------- delete / reset


async def test_delete_commits_catalog_audit_monitors_and_event_then_removes_blobs(
    service: IngestService, fakes: Fakes, blobs: LocalBlobStore
) -> None:
    created = await upload(service)
    await service.delete("code", created.row.id)
    assert fakes.catalog.rows == {}
    assert fakes.audit.entries == []
    assert fakes.monitors.forgotten == [created.row.id]
    assert [type(e) for e in fakes.outbox.events] == [ArtifactUploaded, ArtifactDeleted]
    assert fakes.outbox.events[-1].artifact.id == created.row.id  # type: ignore[attr-defined]
    assert await keys(blobs) == []


async def test_delete_stands_when_the_blob_removal_fails_and_the_sweeper_finishes_it(
    service: IngestService, fakes: Fakes, blobs: FailingDeletes
) -> None:
    created = await upload(service)
    blobs.down = True
    await service.delete("code", created.row.id)  # committed: the client's delete succeeded
    blobs.down = False
    assert fakes.catalog.rows == {}
    assert isinstance(fakes.outbox.events[-1], ArtifactDeleted)
    assert len(await keys(blobs)) == 4

    async def referenced(listed: Any) -> set[str]:
        return await referenced_keys(fakes.catalog, listed)  # type: ignore[arg-type]

    sweeper = OrphanSweeper(
        blobs, "artifacts/", referenced, structlog.get_logger(), grace_seconds=0, interval_seconds=1
    )
    assert len((await sweeper.sweep()).removed) == 4
    assert await keys(blobs) == []


async def test_delete_of_another_type_or_unknown_id_is_404_and_changes_nothing(
    service: IngestService, fakes: Fakes
) -> None:
    created = await upload(service)
    for artifact_type, artifact_id in (("model", created.row.id), ("code", "missing")):
        with pytest.raises(NotFound):
            await service.delete(artifact_type, artifact_id)
    assert created.row.id in fakes.catalog.rows
    assert [type(e) for e in fakes.outbox.events] == [ArtifactUploaded]


async def test_reset_empties_the_catalog_and_announces_it_in_one_commit(
    service: IngestService, fakes: Fakes, blobs: LocalBlobStore
) -> None:
    await upload(service)
    await service.reset("admin")
    assert fakes.catalog.rows == {}
    assert fakes.audit.entries == []
    reset = fakes.outbox.events[-1]
    assert isinstance(reset, RegistryReset)
    assert reset.requested_by == "admin"
    assert fakes.units[-1].committed
    assert await keys(blobs) == []
