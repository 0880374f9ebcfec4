"""Two updates of one artifact at once, on a real database (SQLite; PostgreSQL too) and a
real local blob store: each attempt stores its bundle in its own folder, the winner's row
names its folder, and the loser's clean-up removes only the loser's blobs. Before, both
wrote `r2/` (the loser overwrote the winner's parts) and the loser's clean-up deleted the
winner's bundle."""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import structlog

from registry_common.blobs.local import LocalBlobStore
from registry_common.db import create_engine, run_migrations, session_factory
from registry_common.errors import RegistryError
from registry_common.outbox import Outbox
from registry_common.settings import RuntimeSettings
from registry_ingest.app import MIGRATIONS
from registry_ingest.audit import Actor
from registry_ingest.bundle_index import BundleIndexes
from registry_ingest.catalog import Catalog
from registry_ingest.config import IngestSettings
from registry_ingest.popularity import Popularity
from registry_ingest.service import IngestService
from registry_ingest.sources.fetcher import SourceFetcher
from registry_ingest.sources.model import FetchedSource
from registry_ingest.sources.urls import SourceRef
from registry_ingest.storage import PARTS, part_key, referenced_keys
from registry_ingest.uow import unit_of_work_factory

ALICE = Actor("alice")


def _zip(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.md", f"# tool\n{text}\n")
        archive.writestr("main.py", f"print({text!r})\n")
    return buffer.getvalue()


class NumberedFetcher:
    """Each URL "fetch" is a different source: update n's README says `update-n`."""

    def __init__(self) -> None:
        self.real = SourceFetcher()
        self.calls = 0

    async def from_upload(self, *args: Any, **kwargs: Any) -> FetchedSource:
        return await self.real.from_upload(*args, **kwargs)

    async def fetch(self, ref: SourceRef, workdir: Path) -> FetchedSource:
        self.calls += 1
        return await self.real.from_upload(
            io.BytesIO(_zip(f"update-{self.calls}")),
            workdir,
            filename="src.zip",
            artifact_type="code",
        )


class MeetingBlobs(LocalBlobStore):
    """The local store; after storing an update's last part, each update waits for the
    other, so both bundles are stored before either update commits (the race)."""

    meeting: asyncio.Barrier | None = None

    async def put(self, key: str, chunks: Any, **kwargs: Any) -> Any:
        info = await super().put(key, chunks, **kwargs)
        if self.meeting is not None and key.endswith(f"/{PARTS[-1]}.zip") and "/r1/" not in key:
            await asyncio.wait_for(self.meeting.wait(), 30)
        return info


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'ingest.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


class World:
    def __init__(
        self, service: IngestService, catalog: Catalog, blobs: MeetingBlobs, indexes: BundleIndexes
    ) -> None:
        self.service = service
        self.catalog = catalog
        self.blobs = blobs
        self.indexes = indexes


@pytest.fixture
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[World]:
    engine = create_engine(database_url)
    await run_migrations(engine, MIGRATIONS, version_table="alembic_ingest")
    sessions = session_factory(engine)
    blobs = MeetingBlobs(tmp_path / "blobs")
    await blobs.start()
    catalog = Catalog(sessions)
    indexes = BundleIndexes(sessions, blobs)
    log = structlog.get_logger()
    settings = IngestSettings(
        runtime=RuntimeSettings(data_dir=tmp_path / "data"), rating_wait_seconds=0
    )
    service = IngestService(
        settings,
        catalog,
        blobs,
        unit_of_work_factory(sessions, Outbox(sessions, "ingest")),
        NumberedFetcher(),  # type: ignore[arg-type]
        log,
        Popularity(sessions, log, 60),
        indexes=indexes,
    )
    yield World(service, catalog, blobs, indexes)
    await blobs.close()
    await engine.dispose()


async def _attempt(update: Callable[[], Awaitable[Any]]) -> Any:
    try:
        return await update()
    except RegistryError as exc:
        return exc


async def test_two_concurrent_updates_leave_the_winners_bundle_intact(world: World) -> None:
    created = await world.service.register_upload(
        "code", io.BytesIO(_zip("original")), "tool.zip", "tool", ALICE
    )
    artifact_id = created.row.id
    world.blobs.meeting = asyncio.Barrier(2)

    def update() -> Awaitable[Any]:
        return world.service.update(
            "code", artifact_id, "tool", "https://github.com/acme/tool", ALICE
        )

    outcomes = await asyncio.gather(_attempt(update), _attempt(update))

    conflicts = [o for o in outcomes if isinstance(o, RegistryError)]
    assert [c.status for c in conflicts] == [409]
    row = await world.catalog.get(artifact_id)
    assert row is not None
    assert row.revision == 2
    # Every part of the winner's bundle is where its row says, with the winner's content.
    folder = row.details["bundle_dir"]
    assert folder.startswith("r2.")
    for part in PARTS:
        assert (await world.blobs.stat(part_key(artifact_id, 2, part, row.details))).size > 0
    full = await world.blobs.read(part_key(artifact_id, 2, "full", row.details))
    with zipfile.ZipFile(io.BytesIO(full)) as archive:
        readme = next(n for n in archive.namelist() if n.endswith("README.md"))
        assert archive.read(readme).decode() == f"# tool\n{row.readme.splitlines()[-1]}\n"
    # The loser's folder is gone; the first revision's stays with the history.
    folders = {info.key.split("/")[2] for info in await world.blobs.list("artifacts/")}
    assert folders == {"r1", folder}
    # The bundle index (the Hub API's file list) is the winner's.
    entries = await world.indexes.get(
        artifact_id, 2, part_key(artifact_id, 2, "full", row.details), row.details["files"]
    )
    assert any(e.path.endswith("README.md") for e in entries)


async def test_the_sweeper_keeps_named_folders_and_collects_a_losers(world: World) -> None:
    created = await world.service.register_upload(
        "code", io.BytesIO(_zip("original")), "tool.zip", "tool", ALICE
    )
    artifact_id = created.row.id
    await world.service.update("code", artifact_id, "tool", "https://github.com/acme/tool", ALICE)
    await world.service.update("code", artifact_id, "tool", "https://github.com/acme/tool", ALICE)
    row = await world.catalog.get(artifact_id)
    assert row is not None
    assert row.revision == 3
    # What a loser that crashed before its clean-up leaves: a folder nobody names.
    stray = f"artifacts/{artifact_id}/r2.0000deadbeef0000/full.zip"
    await world.blobs.put(stray, _chunks(b"left behind"))
    uncommitted = f"artifacts/{artifact_id}/r4.00000000cafe0000/full.zip"
    await world.blobs.put(uncommitted, _chunks(b"never committed"))

    keys = [info.key for info in await world.blobs.list("artifacts/")]
    kept = await referenced_keys(world.catalog, keys)

    assert stray not in kept
    assert uncommitted not in kept
    history = await world.catalog.history(artifact_id)
    named = {row.details["bundle_dir"]} | {
        old.details.get("bundle_dir", f"r{old.revision}") for old in history
    }
    assert {k.split("/")[2] for k in kept} == named
    assert len(named) == 3  # r1, the r2 that won, r3


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data
