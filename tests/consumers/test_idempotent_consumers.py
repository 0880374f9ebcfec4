"""Idempotent, order-tolerant consumers, through the real SNS/SQS adapter (the AWS API
emulator): each service's real app and handlers, with events published to SNS by a
test publisher. Twice, out of order, or again after a restart (what the bus's in-memory
de-duplication cannot see): every case ends in the state of "once, in order", and no
message is dead-lettered."""

from __future__ import annotations

import asyncio
import io
import time
import uuid
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from registry_common.bus.sns_sqs import SnsSqsBus
from registry_common.events import (
    ArtifactDeleted,
    ArtifactRef,
    ArtifactScored,
    ArtifactUpdated,
    ArtifactUploaded,
    Event,
)
from registry_common.internal_token import generate_internal_token, internal_token_headers
from registry_common.settings import RuntimeSettings

pytestmark = pytest.mark.integration

CONSUMERS = ("ingest", "scoring", "lineage")


class World:
    """The emulator, a publisher, and an observer of what the services publish."""

    def __init__(self, runtime: RuntimeSettings) -> None:
        self.runtime = runtime
        self.publisher = SnsSqsBus(runtime, wait_time_seconds=1, stop_timeout=5)
        self.scored: list[ArtifactScored] = []

        async def observe(event: ArtifactScored) -> None:
            self.scored.append(event)

        self.publisher.subscribe("observer", ArtifactScored, observe)

    async def publish(self, *events: Event) -> None:
        for event in events:
            await self.publisher.publish(event)

    async def settled(self, app: FastAPI, timeout: float = 30) -> None:
        """Every consumer's queue drained, the observer's too; no dead letters."""
        await app.state.kit.bus.drain(timeout=timeout)
        await asyncio.sleep(0.3)  # ArtifactScored fanned out to the observer's queue
        await self.publisher.drain(timeout=timeout)
        stats = await self.publisher.stats(CONSUMERS)
        assert not any(stats.dead_letters.values()), stats

    @asynccontextmanager
    async def service(self, name: str, data_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
        """The service's real app (its own SQLite database under `data_dir`), consuming
        from its SQS queue; started again on the same directory it is "restarted"."""
        runtime = self.runtime.model_copy(update={"data_dir": data_dir})
        app = _build(name, runtime)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport,
                base_url=f"http://{name}",
                headers=internal_token_headers(runtime.internal_token),
            ) as client:
                client.app = app  # type: ignore[attr-defined]
                yield client
        # A long poll cancelled at stop may still be open at the emulator for up to
        # `bus_wait_seconds`; a message it grabs stays invisible for the visibility timeout.
        # Let it expire before the "restarted" service's test publishes again.
        await asyncio.sleep(self.runtime.bus_wait_seconds + 0.5)


def _build(name: str, runtime: RuntimeSettings) -> FastAPI:
    common: dict[str, Any] = {}
    if name == "ingest":
        from registry_ingest.app import create_app
        from registry_ingest.config import IngestSettings

        return create_app(IngestSettings(runtime=runtime, rating_wait_seconds=0), **common)
    if name == "scoring":
        from registry_scoring.app import create_app as create_scoring
        from registry_scoring.config import ScoringSettings

        return create_scoring(ScoringSettings(runtime=runtime), **common)
    from registry_lineage.app import create_app as create_lineage
    from registry_lineage.config import LineageSettings

    return create_lineage(LineageSettings(runtime=runtime), **common)


@pytest.fixture
async def world(tmp_path: Path, aws_endpoint: str) -> AsyncIterator[World]:
    runtime = RuntimeSettings(
        data_dir=tmp_path,
        bus_backend="sns-sqs",
        aws_endpoint_url=aws_endpoint,
        bus_prefix=f"t{uuid.uuid4().hex[:10]}",
        bus_wait_seconds=1,
        telemetry_exporter="none",
        hf_endpoint="http://127.0.0.1:9",  # nothing answers: no test reaches a hub
        github_api_url="http://127.0.0.1:9",
        internal_token=generate_internal_token(),  # internal routes refuse calls without it
    )
    the_world = World(runtime)
    await the_world.publisher.start()
    try:
        yield the_world
    finally:
        await the_world.publisher.stop()


def app_of(client: httpx.AsyncClient) -> FastAPI:
    app: FastAPI = client.app  # type: ignore[attr-defined]
    return app


def model(artifact_id: str) -> ArtifactRef:
    return ArtifactRef(id=artifact_id, name=f"model-{artifact_id}", type="model")


def uploaded(artifact_id: str, *, revision: int = 1, **metadata: Any) -> ArtifactUploaded:
    return ArtifactUploaded(
        source="ingest",
        artifact=model(artifact_id),
        source_url=f"https://example.invalid/{artifact_id}",
        metadata={"revision": revision, "source_kind": "upload", **metadata},
    )


def updated(artifact_id: str, *, revision: int, **metadata: Any) -> ArtifactUpdated:
    return ArtifactUpdated(
        source="ingest",
        artifact=model(artifact_id),
        source_url=f"https://example.invalid/{artifact_id}/v{revision}",
        metadata={"revision": revision, "source_kind": "upload", **metadata},
    )


def deleted(artifact_id: str) -> ArtifactDeleted:
    return ArtifactDeleted(source="ingest", artifact=model(artifact_id))


async def eventually(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


# ------------------------------------------------------------------ scoring


async def test_scoring_rates_an_event_once_even_after_a_restart(
    world: World, tmp_path: Path
) -> None:
    first = uploaded("s1")
    async with world.service("scoring", tmp_path / "scoring") as scoring:
        await world.publish(first, first)  # SNS delivers both copies
        await world.settled(app_of(scoring))
        once = (await scoring.get("/internal/ratings/s1")).json()
    assert [e.artifact.id for e in world.scored] == ["s1"]

    # A new process (empty in-memory de-duplication) receives the same event again.
    async with world.service("scoring", tmp_path / "scoring") as scoring:
        await world.publish(first)
        await world.settled(app_of(scoring))
        assert (await scoring.get("/internal/ratings/s1")).json() == once
    assert [e.artifact.id for e in world.scored] == ["s1"]  # not rated, not published again


async def test_scoring_a_delete_before_the_upload_leaves_no_rating(
    world: World, tmp_path: Path
) -> None:
    async with world.service("scoring", tmp_path / "scoring") as scoring:
        await world.publish(deleted("s2"))
        await world.settled(app_of(scoring))
        await world.publish(uploaded("s2"))  # late, or redriven
        await world.settled(app_of(scoring))
        assert (await scoring.get("/internal/ratings/s2")).status_code == 404
    assert world.scored == []  # nobody is told about a rating of a deleted artifact


async def test_scoring_an_older_revision_after_a_newer_one_changes_nothing(
    world: World, tmp_path: Path
) -> None:
    async with world.service("scoring", tmp_path / "scoring") as scoring:
        await world.publish(updated("s3", revision=2))
        await world.settled(app_of(scoring))
        newer = (await scoring.get("/internal/ratings/s3")).json()
        await world.publish(uploaded("s3", revision=1))
        await world.settled(app_of(scoring))
        assert (await scoring.get("/internal/ratings/s3")).json() == newer
    # Only the newer revision's rating was announced: ingest never sees a stale verdict.
    assert len(world.scored) == 1


# ------------------------------------------------------------------ lineage


async def _node(lineage: httpx.AsyncClient, artifact_id: str) -> dict[str, Any] | None:
    response = await lineage.get(f"/internal/lineage/{artifact_id}")
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    graph: dict[str, Any] = response.json()
    return graph


async def test_lineage_duplicates_and_a_restart_change_nothing(
    world: World, tmp_path: Path
) -> None:
    event = uploaded("l1")
    async with world.service("lineage", tmp_path / "lineage") as lineage:
        await world.publish(event, event)
        await world.settled(app_of(lineage))
        once = await _node(lineage, "l1")
        assert once is not None
    async with world.service("lineage", tmp_path / "lineage") as lineage:
        await world.publish(event)
        await world.settled(app_of(lineage))
        assert await _node(lineage, "l1") == once


async def test_lineage_a_delete_before_the_upload_is_not_undone(
    world: World, tmp_path: Path
) -> None:
    async with world.service("lineage", tmp_path / "lineage") as lineage:
        await world.publish(deleted("l2"))
        await world.settled(app_of(lineage))
        await world.publish(uploaded("l2"))
        await world.settled(app_of(lineage))
        assert await _node(lineage, "l2") is None


async def test_lineage_keeps_the_newest_revision(world: World, tmp_path: Path) -> None:
    async with world.service("lineage", tmp_path / "lineage") as lineage:
        await world.publish(updated("l3", revision=2))
        await world.settled(app_of(lineage))
        newer = await _node(lineage, "l3")
        await world.publish(uploaded("l3", revision=1))
        await world.settled(app_of(lineage))
        assert await _node(lineage, "l3") == newer
        assert newer is not None
        assert newer["nodes"][0]["metadata"]["repository_url"].endswith("/l3/v2")


# ------------------------------------------------------------------ ingest


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("m/config.json", "{}")
    return buffer.getvalue()


async def _pending_model(ingest: httpx.AsyncClient, name: str) -> str:
    response = await ingest.post(
        "/internal/artifacts/model/upload",
        files={"file": ("m.zip", _zip(), "application/zip")},
        data={"name": name},
        headers={"X-Registry-User": "tester"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == 202  # pending: nobody rates it in this test
    artifact_id: str = body["artifact"]["metadata"]["id"]
    return artifact_id


def rating(net: float) -> dict[str, Any]:
    from tests.harness.scoring_double import rating as full_rating

    return full_rating(0.8, net_score=net)


async def test_ingest_applies_ratings_once_and_never_an_older_one(
    world: World, tmp_path: Path
) -> None:
    async with world.service("ingest", tmp_path / "ingest") as ingest:
        artifact_id = await _pending_model(ingest, "rated-model")
        ref = ArtifactRef(id=artifact_id, name="rated-model", type="model")
        now = datetime.now(UTC)
        older = ArtifactScored(source="scoring", artifact=ref, rating=rating(0.6), occurred_at=now)
        newer = ArtifactScored(
            source="scoring", artifact=ref, rating=rating(0.9), occurred_at=now + timedelta(1)
        )
        # The newer verdict first, then a duplicate of it, then the older one (a retry).
        await world.publish(newer, newer)
        await world.settled(app_of(ingest))
        await world.publish(older)
        await world.settled(app_of(ingest))
        got = (await ingest.get(f"/internal/artifacts/model/{artifact_id}")).json()
        assert got["extra"]["status"] == "ready"
        assert got["extra"]["net_score"] == 0.9
        assert got["extra"]["rating"]["rated_at"] == newer.occurred_at.isoformat()


async def test_ingest_ignores_ratings_of_unknown_or_deleted_artifacts(
    world: World, tmp_path: Path
) -> None:
    async with world.service("ingest", tmp_path / "ingest") as ingest:
        # An ArtifactScored for an artifact ingest never had: acknowledged, no effect.
        stray = ArtifactScored(source="scoring", artifact=model("nobody"), rating=rating(0.9))
        await world.publish(stray)
        await world.settled(app_of(ingest))

        artifact_id = await _pending_model(ingest, "gone-model")
        ref = ArtifactRef(id=artifact_id, name="gone-model", type="model")
        await world.publish(ArtifactScored(source="scoring", artifact=ref, rating=rating(0.7)))
        await world.settled(app_of(ingest))  # rated: ready, so it can be deleted
        deleted_now = await ingest.delete(f"/internal/artifacts/model/{artifact_id}")
        assert deleted_now.status_code == 200, deleted_now.text
        # A re-rating (a parent re-rated, a redrive) that arrives after the delete.
        await world.publish(ArtifactScored(source="scoring", artifact=ref, rating=rating(0.9)))
        await world.settled(app_of(ingest))
        assert (await ingest.get(f"/internal/artifacts/model/{artifact_id}")).status_code == 404
        listing = await ingest.get("/internal/catalog/by-name", params={"name": "gone-model"})
        assert listing.status_code == 404, listing.text  # the name is gone too
