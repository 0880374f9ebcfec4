"""The rating store against real databases: SQLite (embedded) and PostgreSQL (production).

Every query runs on both, because the two disagree on what they accept: PostgreSQL refuses
`SELECT DISTINCT` over JSON columns, which SQLite allowed, and that failure only showed in
the distributed topology (every ArtifactScored went to the dead-letter queue)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from registry_common.db import create_engine, run_migrations, session_factory
from registry_scoring.app import MIGRATIONS
from registry_scoring.store import RatingStore

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'scoring.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[RatingStore]:
    engine = create_engine(database_url)
    await run_migrations(engine, MIGRATIONS, version_table="alembic_scoring")
    yield RatingStore(session_factory(engine))
    await engine.dispose()


def _rating(net: float) -> dict[str, Any]:
    return {"name": "m", "net_score": net, "size_score": {"desktop_pc": 0.5}}


async def _save(
    store: RatingStore,
    artifact_id: str,
    *,
    repo_id: str | None = None,
    parents: list[str] | None = None,
    net: float | None = 0.5,
    revision: int = 1,
) -> None:
    await store.save(
        artifact_id=artifact_id,
        name=artifact_id,
        repo_id=repo_id,
        revision=revision,
        rating=_rating(net) if net is not None else None,
        parents=parents or [],
        error=None if net is not None else "no rating",
        now=NOW,
    )


async def test_children_of_finds_each_child_once_with_its_json_columns(
    store: RatingStore,
) -> None:
    # "twice" names both references: it must come back once (the DISTINCT the query needs).
    await _save(store, "twice", parents=["lab/base", "base"], net=0.7)
    await _save(store, "once", parents=["lab/base"], net=0.6)
    await _save(store, "stranger", parents=["other/model"])
    await _save(store, "orphan")

    children = await store.children_of(["lab/base", "base", ""])

    assert [row.artifact_id for row in children] == ["once", "twice"]
    twice = children[1]
    assert twice.rating == _rating(0.7)
    assert twice.parents == ["lab/base", "base"]
    assert await store.children_of([]) == []
    assert await store.children_of(["nobody/nothing"]) == []


async def test_a_new_save_replaces_the_parent_links(store: RatingStore) -> None:
    await _save(store, "child", parents=["lab/base"])
    await _save(store, "child", parents=["lab/other"], revision=2)
    assert await store.children_of(["lab/base"]) == []
    assert [row.artifact_id for row in await store.children_of(["lab/other"])] == ["child"]


async def test_an_older_revision_never_overwrites(store: RatingStore) -> None:
    await _save(store, "m", net=0.9, revision=3)
    await _save(store, "m", net=0.1, revision=2)
    row = await store.get("m")
    assert row is not None
    assert row.net_score == pytest.approx(0.9)
    assert row.revision == 3


async def test_net_scores_match_by_repo_id_or_name(store: RatingStore) -> None:
    await _save(store, "by-repo", repo_id="lab/base", net=0.8)
    await _save(store, "unrated", repo_id="lab/unrated", net=None)
    by_repo = await store.net_scores_of(["lab/base", "lab/unrated", ""])
    assert by_repo == {"lab/base": pytest.approx(0.8)}  # the unrated one has no score
    assert await store.net_scores_of(["by-repo"]) == {"by-repo": pytest.approx(0.8)}
    assert await store.net_scores_of([]) == {}


async def test_remove_and_clear_drop_ratings_and_links(store: RatingStore) -> None:
    await _save(store, "a", parents=["p"])
    await _save(store, "b", parents=["p"])
    await store.remove("a")
    assert await store.get("a") is None
    assert [row.artifact_id for row in await store.children_of(["p"])] == ["b"]
    await store.clear()
    assert await store.get("b") is None
    assert await store.children_of(["p"]) == []
