"""Scoring's publishing use cases against a fake rating store and a fake unit of work: a
rating is kept together with the ArtifactScored it raises (and the re-scores of its
children with theirs), or, when any step fails, nothing is kept and nothing announced."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import structlog

from registry_common.errors import ComponentUnavailable
from registry_common.events import ArtifactRef, ArtifactScored, ArtifactUploaded, Event
from registry_common.settings import RuntimeSettings
from registry_scoring.config import ScoringSettings
from registry_scoring.metrics.context import MetricContext
from registry_scoring.service import ScoringService
from registry_scoring.tables import RatingRow
from services.scoring.tests.fakes import FakeRatingStore, FakeUnitOfWork

# Nothing listens there: metrics that would ask GitHub or the hub fail fast, offline.
_NOWHERE = "http://127.0.0.1:9"


class World:
    def __init__(self) -> None:
        self.store = FakeRatingStore()
        self.outbox: list[Event] = []
        self.uow = FakeUnitOfWork(self.store, self.outbox)
        self.context = MetricContext.create(
            github_api_url=_NOWHERE,
            hf_endpoint=_NOWHERE,
            parents_net_scores=self.store.net_scores_of,
            metric_timeout=5,
        )
        settings = ScoringSettings(runtime=RuntimeSettings(hf_endpoint=_NOWHERE))
        self.service = ScoringService(
            settings,
            self.store,  # type: ignore[arg-type]
            blobs=None,  # type: ignore[arg-type]  # no bundle_prefix in the events: never read
            uow=lambda: self.uow,  # type: ignore[arg-type,return-value]
            context=self.context,
            log=structlog.get_logger("test"),
        )


@pytest.fixture
async def world() -> AsyncIterator[World]:
    the_world = World()
    yield the_world
    await the_world.context.aclose()


def _uploaded(artifact_id: str, *, repo_id: str, revision: int = 1) -> ArtifactUploaded:
    return ArtifactUploaded(
        source="ingest",
        artifact=ArtifactRef(id=artifact_id, name=repo_id.split("/")[-1], type="model"),
        source_url=f"https://huggingface.co/{repo_id}",
        metadata={"repo_id": repo_id, "revision": revision},
    )


def _child(artifact_id: str, parent: str, net: float) -> RatingRow:
    rating: dict[str, Any] = {"name": artifact_id, "net_score": net, "tree_score": 0.0}
    return RatingRow(
        artifact_id=artifact_id,
        name=artifact_id,
        repo_id=f"org/{artifact_id}",
        revision=1,
        rating=rating,
        net_score=net,
        parents=[parent],
        error=None,
        computed_at=datetime(2026, 12, 1, tzinfo=UTC),
    )


def _scored(outbox: list[Event]) -> list[str]:
    return [e.artifact.id for e in outbox if isinstance(e, ArtifactScored)]


async def test_a_rating_is_kept_with_its_artifact_scored(world: World) -> None:
    await world.service.rate_artifact(_uploaded("m1", repo_id="org/base"))

    row = world.store.rows["m1"]
    assert row.repo_id == "org/base"
    assert row.revision == 1
    assert world.uow.committed
    assert _scored(world.outbox) == ["m1"]
    (event,) = world.outbox
    assert isinstance(event, ArtifactScored)
    # What ingest will record is what scoring stored.
    assert event.rating == row.rating
    assert event.error == row.error


async def test_a_failed_commit_keeps_no_rating_and_announces_nothing(world: World) -> None:
    world.uow.fail_commit = True

    with pytest.raises(ComponentUnavailable):
        await world.service.rate_artifact(_uploaded("m1", repo_id="org/base"))

    assert world.store.rows == {}
    assert world.outbox == []


async def test_children_are_rescored_in_the_same_transaction(world: World) -> None:
    world.store.rows["c1"] = _child("c1", "org/base", net=0.4)

    await world.service.rate_artifact(_uploaded("m1", repo_id="org/base"))

    # Rated offline too: the metrics that need GitHub or the hub count as 0.
    assert world.store.rows["m1"].rating is not None
    child = world.store.rows["c1"]
    assert child.rating is not None
    assert child.rating["tree_score"] != 0.0
    # One commit announced both: the parent's verdict and its child's new tree score.
    assert _scored(world.outbox) == ["m1", "c1"]


async def test_a_failing_child_rescore_rolls_back_the_parent_too(world: World) -> None:
    world.store.rows["c1"] = _child("c1", "org/base", net=0.4)
    before = world.store.snapshot()
    world.store.fail_save_of = "c1"

    with pytest.raises(ComponentUnavailable):
        await world.service.rate_artifact(_uploaded("m1", repo_id="org/base"))

    assert world.store.snapshot() == before
    assert world.outbox == []


async def test_an_older_revision_after_a_newer_one_keeps_and_announces_nothing(
    world: World,
) -> None:
    await world.service.rate_artifact(_uploaded("m1", repo_id="org/base", revision=2))
    kept = world.store.snapshot()
    world.outbox.clear()

    await world.service.rate_artifact(_uploaded("m1", repo_id="org/base", revision=1))

    assert world.store.snapshot() == kept
    assert world.outbox == []
    assert not world.uow.committed


async def test_a_deleted_artifact_is_not_rated_again(world: World) -> None:
    world.store.forgotten.add("m1")

    await world.service.rate_artifact(_uploaded("m1", repo_id="org/base"))

    assert world.store.rows == {}
    assert world.outbox == []
