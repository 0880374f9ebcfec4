"""Atomic group use cases (R25) against a fake stager (the single-artifact path's part: no
fetching, no bundles), on the real group store, unit of work and outbox over a migrated SQLite
file: all of a group or nothing, events recorded in the outbox only with the commit, rollback
naming the member, expiry by an injected clock, requests per owner."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from registry_common.blobs.local import LocalBlobStore
from registry_common.db import create_engine, run_migrations, session_factory
from registry_common.errors import RegistryError, UpstreamError
from registry_common.events import ArtifactDeleted, ArtifactUpdated, ArtifactUploaded, Event
from registry_common.outbox import Outbox
from registry_ingest.app import MIGRATIONS
from registry_ingest.audit import Actor
from registry_ingest.catalog import READY, STAGED, Catalog, NameQuery
from registry_ingest.group_commands import CommandSpec
from registry_ingest.group_store import GroupStore
from registry_ingest.groups import GroupService
from registry_ingest.service import Fetch, StagedUpdate
from registry_ingest.sources.model import FetchedSource
from registry_ingest.sources.urls import SourceRef
from registry_ingest.storage import artifact_prefix
from registry_ingest.tables import ArtifactRow
from registry_ingest.uow import unit_of_work_factory

OWNER = Actor("ada")
OTHER = Actor("bob")
ADMIN = Actor("root", is_admin=True)
TTL = 60.0


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class Outboxed:
    """What the unit of work committed to the outbox, in order (the relay is not running)."""

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    async def published(self) -> list[Event]:
        return await self._outbox.unsent()


def _fetched(url: str, kind: str) -> FetchedSource:
    return FetchedSource(ref=SourceRef(kind="plain", url=url, artifact_type=kind))  # type: ignore[arg-type]


class FakeStager:
    """The single-artifact path's staging, in memory: a URL under `fail.example` fails the
    way a source outage does; a model named `gated-*` is decided by the gate, rated by
    `verdicts` (name -> vetted; absent: never rated)."""

    def __init__(self, catalog: Catalog, blobs: LocalBlobStore) -> None:
        self.catalog = catalog
        self.blobs = blobs
        self.verdicts: dict[str, bool] = {}
        self.discarded: list[str] = []
        self._next = 0

    def url_source(self, artifact_type: str, url: str) -> tuple[str, Fetch]:
        async def fetch(_: Path) -> FetchedSource:
            if "fail.example" in url:
                raise UpstreamError("The source at fail.example failed (HTTP 503); retry later.")
            return _fetched(url, artifact_type)

        return url.rsplit("/", 1)[-1], fetch

    def upload_source(
        self, artifact_type: str, zip_path: Path | BinaryIO, filename: str
    ) -> tuple[str, Fetch]:
        async def fetch(_: Path) -> FetchedSource:
            assert isinstance(zip_path, Path)
            data = await asyncio.to_thread(zip_path.read_bytes)
            assert data == b"PK-zip-bytes"  # the zip came back from the store
            return _fetched(f"upload://{filename}", artifact_type)

        return Path(filename).stem, fetch

    async def stage_new(
        self,
        artifact_type: str,
        *,
        name: str,
        actor: Actor | None,
        version: str | None,
        fetch: Fetch,
        status: str,
    ) -> tuple[ArtifactRow, FetchedSource]:
        fetched = await fetch(Path("."))
        self._next += 1
        row = _row(f"new-{self._next}", name, artifact_type, status)
        await self.blobs.put(f"{artifact_prefix(row.id)}r1/full.zip", _once(b"bundle"))
        await self.catalog.insert(row)
        return row, fetched

    async def stage_update(
        self, artifact_type: str, artifact_id: str, name: str, url: str
    ) -> StagedUpdate:
        current = await self.visible(artifact_type, artifact_id)
        values = {"source_url": url, "updated_at": datetime.now(UTC)}
        return StagedUpdate(current, values, _fetched(url, artifact_type))

    async def visible(self, artifact_type: str, artifact_id: str) -> ArtifactRow:
        row = await self.catalog.get(artifact_id)
        if row is None or row.type != artifact_type:
            raise RegistryError(f"No {artifact_type} artifact has id {artifact_id!r}.", 404)
        return row

    def gated(self, row: ArtifactRow) -> bool:
        return row.name.startswith("gated-")

    async def rated(self, artifact_id: str, seconds: float) -> ArtifactRow | None:
        row = await self.catalog.get(artifact_id, visible_only=False)
        if row is None or row.name not in self.verdicts:
            return None
        vetted = self.verdicts[row.name]
        row.details = {"rating": {"vetted": vetted, "failing_metrics": [] if vetted else ["x"]}}
        return row

    async def discard(self, artifact_id: str) -> None:
        self.discarded.append(artifact_id)
        if await self.catalog.status_of(artifact_id) in (STAGED, None):
            await self.catalog.remove(artifact_id)
            await self.blobs.delete_prefix(artifact_prefix(artifact_id))


def _row(artifact_id: str, name: str, kind: str, status: str) -> ArtifactRow:
    now = datetime.now(UTC)
    return ArtifactRow(
        id=artifact_id,
        name=name,
        type=kind,
        status=status,
        revision=1,
        source_url=f"https://example.com/{name}",
        source_kind="plain",
        versions=[],
        details={},
        created_at=now,
        updated_at=now,
    )


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


class World:
    def __init__(
        self, tmp_path: Path, catalog: Catalog, store: GroupStore, outbox: Outbox, sessions: Any
    ) -> None:
        self.clock = Clock()
        self.bus = Outboxed(outbox)
        self.blobs = LocalBlobStore(tmp_path / "blobs")
        self.catalog = catalog
        self.store = store
        self.stager = FakeStager(catalog, self.blobs)
        self.service = GroupService(
            store=store,
            stager=self.stager,
            blobs=self.blobs,
            uow=unit_of_work_factory(sessions, outbox),
            log=_NoLog(),
            ttl_seconds=TTL,
            max_commands=3,
            rating_wait_seconds=1,
            workdir=tmp_path / "work",
            clock=self.clock,
        )

    async def names(self) -> set[str]:
        rows = await self.catalog.page([NameQuery(None, None)], after=0, limit=100)
        return {r.name for r in rows}

    def blob_keys(self, prefix: str) -> list[str]:
        root = self.blobs.path_for(prefix.rstrip("/"))
        return [str(p) for p in root.rglob("*") if p.is_file()] if root.exists() else []


class _NoLog:
    def info(self, *_: Any, **__: Any) -> None:
        pass


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'ingest.sqlite3'}")
    await run_migrations(engine, MIGRATIONS, version_table="alembic_ingest")
    sessions = session_factory(engine)
    the_world = World(
        tmp_path, Catalog(sessions), GroupStore(sessions), Outbox(sessions, "ingest"), sessions
    )
    await the_world.blobs.start()
    try:
        yield the_world
    finally:
        await the_world.blobs.close()
        await engine.dispose()


def ingest(url: str, kind: str = "model", name: str | None = None) -> CommandSpec:
    return CommandSpec("ingest", kind, url=url, name=name)


async def test_a_group_applies_at_once_and_announces_after_the_commit(world: World) -> None:
    await world.catalog.insert(_row("old-1", "old", "dataset", READY))
    await world.catalog.insert(_row("kept-1", "kept", "code", READY))
    group = await world.service.create(OWNER)
    await world.service.add(group["id"], OWNER, ingest("https://example.com/a/alpha"))
    await world.service.add_upload(
        group["id"], OWNER, "dataset", io.BytesIO(b"PK-zip-bytes"), "beta.zip", None, None
    )
    await world.service.add(
        group["id"],
        OWNER,
        CommandSpec(
            "update", "code", url="https://example.com/k2", name="kept", artifact_id="kept-1"
        ),
    )
    assert await world.names() == {"old", "kept"}
    assert world.blob_keys(f"groups/{group['id']}/")  # the zip waits for execute

    with pytest.raises(RegistryError) as full:
        await world.service.add(group["id"], OWNER, ingest("https://example.com/too-many"))
    assert full.value.status == 413

    outcome = await world.service.execute(group["id"], OWNER)

    assert outcome["state"] == "committed"
    assert await world.names() == {"old", "kept", "alpha", "beta"}
    kept = await world.catalog.get("kept-1")
    assert kept is not None
    assert kept.revision == 2
    assert kept.source_url == "https://example.com/k2"
    assert [type(e) for e in (await world.bus.published())] == [
        ArtifactUploaded,
        ArtifactUploaded,
        ArtifactUpdated,
    ]
    assert [c["id"] for c in outcome["commands"]][2] == "kept-1"
    assert all(c["id"] for c in outcome["commands"])  # the new ids, once committed
    assert world.blob_keys(f"groups/{group['id']}/") == []


async def test_a_failing_member_rolls_everything_back_and_is_named(world: World) -> None:
    await world.catalog.insert(_row("old-1", "old", "dataset", READY))
    group = await world.service.create(OWNER)
    await world.service.add(group["id"], OWNER, ingest("https://example.com/alpha"))
    await world.service.add(
        group["id"], OWNER, CommandSpec("delete", "dataset", artifact_id="old-1")
    )
    await world.service.add(group["id"], OWNER, ingest("https://fail.example/gamma"))

    with pytest.raises(RegistryError) as failed:
        await world.service.execute(group["id"], OWNER)

    assert failed.value.status == 502
    assert "member at position 2" in failed.value.message
    assert "fail.example" in failed.value.message
    assert failed.value.details["failed_member"]["position"] == 2
    assert await world.names() == {"old"}  # the delete did not happen, alpha is not there
    assert world.stager.discarded == ["new-1"]
    assert world.blob_keys("artifacts/new-1/") == []
    assert (await world.bus.published()) == []  # nothing announced for what never committed
    state = await world.service.get(group["id"], OWNER)
    assert state["state"] == "failed"
    assert state["failure"] == {"position": 2, "status": 502, "reason": failed.value.message}
    with pytest.raises(RegistryError) as again:
        await world.service.execute(group["id"], OWNER)
    assert again.value.status == 409


async def test_a_change_meanwhile_fails_the_transaction_as_a_whole(world: World) -> None:
    await world.catalog.insert(_row("old-1", "old", "dataset", READY))
    group = await world.service.create(OWNER)
    await world.service.add(group["id"], OWNER, ingest("https://example.com/alpha"))
    await world.service.add(
        group["id"], OWNER, CommandSpec("delete", "dataset", artifact_id="old-1")
    )
    real_visible = world.stager.visible

    async def visible_then_gone(kind: str, artifact_id: str) -> ArtifactRow:
        row = await real_visible(kind, artifact_id)
        await world.catalog.remove(artifact_id)  # someone deletes it between stage and apply
        return row

    world.stager.visible = visible_then_gone  # type: ignore[method-assign]
    with pytest.raises(RegistryError) as conflict:
        await world.service.execute(group["id"], OWNER)
    assert conflict.value.status == 409
    assert "member at position 1" in conflict.value.message
    # alpha's staged row was in the same transaction: rolled back, then discarded.
    assert await world.catalog.status_of("new-1") is None
    assert (await world.bus.published()) == []


async def test_the_gate_decides_before_the_commit(world: World) -> None:
    world.stager.verdicts = {"gated-good": True, "gated-bad": False}
    group = await world.service.create(OWNER)
    await world.service.add(group["id"], OWNER, ingest("https://example.com/a", name="gated-good"))
    await world.service.add(group["id"], OWNER, ingest("https://example.com/b", name="gated-bad"))

    with pytest.raises(RegistryError) as refused:
        await world.service.execute(group["id"], OWNER)

    assert refused.value.status == 424
    assert refused.value.details["failed_member"]["position"] == 1
    assert await world.names() == set()
    # Both were announced for rating while staged, and both are withdrawn.
    kinds = [(type(e).__name__, e.artifact.id) for e in (await world.bus.published())]  # type: ignore[attr-defined]
    assert kinds == [
        ("ArtifactUploaded", "new-1"),
        ("ArtifactUploaded", "new-2"),
        ("ArtifactDeleted", "new-1"),
        ("ArtifactDeleted", "new-2"),
    ]


async def test_an_unrated_gated_model_times_out_naming_scoring(world: World) -> None:
    group = await world.service.create(OWNER)
    await world.service.add(group["id"], OWNER, ingest("https://example.com/a", name="gated-x"))
    with pytest.raises(RegistryError) as timed_out:
        await world.service.execute(group["id"], OWNER)
    assert timed_out.value.status == 504
    assert "scoring service" in timed_out.value.message


async def test_requests_expire_by_the_clock_and_leave_nothing(world: World) -> None:
    group = await world.service.create(OWNER)
    await world.service.add_upload(
        group["id"], OWNER, "code", io.BytesIO(b"PK-zip-bytes"), "c.zip", "c", None
    )
    world.clock.now += timedelta(seconds=TTL + 1)

    with pytest.raises(RegistryError) as late:
        await world.service.add(group["id"], OWNER, ingest("https://example.com/a"))
    assert late.value.status == 410
    listed = await world.service.listing(OWNER)
    assert [(g["id"], g["state"]) for g in listed] == [(group["id"], "expired")]
    assert world.blob_keys(f"groups/{group['id']}/") == []
    with pytest.raises(RegistryError) as execute:
        await world.service.execute(group["id"], OWNER)
    assert execute.value.status == 410


async def test_an_interrupted_execution_is_collected(world: World) -> None:
    group = await world.service.create(OWNER)
    await world.service.add(group["id"], OWNER, ingest("https://example.com/a"))
    store = world.store
    assert await store.claim(group["id"], world.clock())
    commands = await store.commands([group["id"]])
    row, _ = await world.stager.stage_new(
        "model",
        name="a",
        actor=OWNER,
        version=None,
        fetch=world.stager.url_source("model", "x")[1],
        status=STAGED,
    )
    await store.set_artifact(commands[0].seq, row.id)
    # The process died here. Past twice the TTL, the next call collects it.
    world.clock.now += timedelta(seconds=2 * TTL + 1)
    state = await world.service.get(group["id"], OWNER)
    assert state["state"] == "failed"
    assert state["failure"]["status"] == 500
    assert await world.catalog.status_of(row.id) is None


async def test_requests_belong_to_their_owner(world: World) -> None:
    mine = await world.service.create(OWNER)
    theirs = await world.service.create(OTHER)
    assert [g["id"] for g in await world.service.listing(OWNER)] == [mine["id"]]
    assert {g["id"] for g in await world.service.listing(ADMIN)} == {mine["id"], theirs["id"]}
    for call in (
        world.service.get(theirs["id"], OWNER),
        world.service.execute(theirs["id"], OWNER),
        world.service.add(theirs["id"], OWNER, ingest("https://example.com/a")),
    ):
        with pytest.raises(RegistryError) as hidden:
            await call
        assert hidden.value.status == 404
    assert (await world.service.get(theirs["id"], ADMIN))["owner"] == "bob"


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        (CommandSpec("ingest", "model"), "`url`"),
        (CommandSpec("ingest", "model", url="not a url"), "url"),
        (CommandSpec("delete", "model"), "`id`"),
        (CommandSpec("update", "model", url="https://example.com/x", artifact_id="1"), "`name`"),
        (CommandSpec("explode", "model"), "Unknown command"),
        (CommandSpec("ingest", "widget", url="https://example.com/x"), "Unknown artifact type"),
        (CommandSpec("ingest", "model", url="https://example.com/x", name="*"), "reserved"),
    ],
)
async def test_bad_commands_are_refused_when_added(
    world: World, spec: CommandSpec, says: str
) -> None:
    group = await world.service.create(OWNER)
    with pytest.raises(RegistryError) as refused:
        await world.service.add(group["id"], OWNER, spec)
    assert refused.value.status == 400
    assert says in refused.value.message


async def test_one_group_changes_an_artifact_once(world: World) -> None:
    await world.catalog.insert(_row("old-1", "old", "dataset", READY))
    group = await world.service.create(OWNER)
    update = CommandSpec(
        "update", "dataset", url="https://example.com/o", name="old", artifact_id="old-1"
    )
    await world.service.add(group["id"], OWNER, update)
    await world.service.add(
        group["id"], OWNER, CommandSpec("delete", "dataset", artifact_id="old-1")
    )
    with pytest.raises(RegistryError) as twice:
        await world.service.execute(group["id"], OWNER)
    assert twice.value.status == 400
    assert "Commands 0 and 1" in twice.value.message
    assert (await world.service.get(group["id"], OWNER))["state"] == "open"  # fix and retry
    assert ArtifactDeleted not in {type(e) for e in (await world.bus.published())}
