"""The catalog's contract, held against every store `INGEST_METADATA_STORE` can choose:
SQLite, PostgreSQL (integration) and DynamoDB (on the moto emulator)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from registry_common.db import create_engine, run_migrations, session_factory
from registry_common.errors import ComponentUnavailable
from registry_common.settings import RuntimeSettings
from registry_ingest.app import MIGRATIONS
from registry_ingest.catalog import (
    PENDING,
    READY,
    REJECTED,
    Catalog,
    CatalogStore,
    DuplicateId,
    NameQuery,
)
from registry_ingest.dynamo_catalog import MAX_README_BYTES, DynamoCatalog
from registry_ingest.popularity import Popularity
from registry_ingest.tables import ArtifactRow, PopularityRow

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@dataclass
class Store:
    catalog: CatalogStore
    sessions: async_sessionmaker[AsyncSession]


async def _sql_sessions(url: str) -> tuple[Any, async_sessionmaker[AsyncSession]]:
    engine = create_engine(url)
    await run_migrations(engine, MIGRATIONS, version_table="alembic_ingest")
    return engine, session_factory(engine)


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.integration),
        "dynamodb",
    ]
)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    sqlite_url = f"sqlite+aiosqlite:///{tmp_path / 'ingest.sqlite3'}"
    if request.param == "postgresql":
        engine, sessions = await _sql_sessions(str(request.getfixturevalue("postgres_url")))
    else:
        engine, sessions = await _sql_sessions(sqlite_url)
    if request.param == "dynamodb":
        endpoint = str(request.getfixturevalue("aws_endpoint"))
        dynamo = DynamoCatalog(
            RuntimeSettings(aws_endpoint_url=endpoint), "catalog-contract", sessions
        )
        await dynamo.start()
        try:
            yield Store(dynamo, sessions)
        finally:
            await dynamo.close()
            await engine.dispose()
        return
    yield Store(Catalog(sessions), sessions)
    await engine.dispose()


def _row(artifact_id: str, name: str, **overrides: Any) -> ArtifactRow:
    values: dict[str, Any] = {
        "id": artifact_id,
        "name": name,
        "type": "model",
        "status": READY,
        "revision": 1,
        "source_url": f"https://huggingface.co/{name}",
        "source_kind": "huggingface",
        "version": None,
        "versions": ["1.0.0"],
        "readme": f"# {name}\n",
        "details": {"license": "mit", "files": [{"path": "a.bin", "size": 3}]},
        "content_bytes": 3,
        "bundle_bytes": 120,
        "uploader": "alice",
        "vetted": None,
        "weights_scan": None,
        "net_score": None,
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(overrides)
    return ArtifactRow(**values)


def _naive(value: datetime) -> datetime:
    # SQLite hands back naive datetimes (UTC); the others keep the zone.
    return (
        value.replace(tzinfo=None)
        if value.tzinfo is None
        else value.astimezone(UTC).replace(tzinfo=None)
    )


async def _add(catalog: CatalogStore, *rows: ArtifactRow) -> list[ArtifactRow]:
    for row in rows:
        await catalog.insert(row)
    return list(rows)


async def test_a_row_comes_back_field_for_field(store: Store) -> None:
    row = _row(
        "a1",
        "bert-ü",
        version="2.0",
        versions=["1.0", "2.0"],
        readme="Grüße 🙂\n" * 50,
        vetted=False,
        weights_scan={"verdict": "clean", "files": []},
        net_score=0.734,
        details={"nested": {"x": [1, 2.5, None, True]}},
    )
    await store.catalog.insert(row)
    got = await store.catalog.get("a1")
    assert got is not None
    for field in (
        "id", "name", "type", "status", "revision", "source_url", "source_kind", "version",
        "versions", "readme", "details", "content_bytes", "bundle_bytes", "uploader", "vetted",
        "weights_scan", "net_score",
    ):  # fmt: skip
        assert getattr(got, field) == getattr(row, field), field
    assert _naive(got.created_at) == _naive(NOW)
    assert got.seq > 0
    plain = _row("a2", "no-readme", readme=None, uploader=None, versions=[])
    await store.catalog.insert(plain)
    got_plain = await store.catalog.get("a2")
    assert got_plain is not None
    assert got_plain.readme is None
    assert got_plain.uploader is None
    assert got_plain.seq > got.seq


async def test_ids_are_unique_and_pending_rows_are_hidden(store: Store) -> None:
    await _add(store.catalog, _row("p1", "pending-model", status=PENDING))
    with pytest.raises(DuplicateId):
        await store.catalog.insert(_row("p1", "another-name"))
    assert await store.catalog.get("p1") is None
    hidden = await store.catalog.get("p1", visible_only=False)
    assert hidden is not None
    assert hidden.name == "pending-model"
    assert await store.catalog.status_of("p1") == PENDING
    assert await store.catalog.status_of("missing") is None
    assert await store.catalog.get("missing", visible_only=False) is None
    assert await store.catalog.by_name("pending-model", limit=10) == []


async def test_a_rating_decides_a_pending_row_once(store: Store) -> None:
    await _add(store.catalog, _row("d1", "decided", status=PENDING))
    later = NOW + timedelta(minutes=1)
    details = {"rating": {"net_score": 0.9}}
    assert await store.catalog.decide(
        "d1", status=READY, vetted=True, net_score=0.9, details=details, now=later
    )
    assert not await store.catalog.decide(
        "d1", status=REJECTED, vetted=False, net_score=0.1, details={}, now=later
    )
    assert not await store.catalog.decide(
        "nobody", status=READY, vetted=None, net_score=None, details={}, now=later
    )
    got = await store.catalog.get("d1")
    assert got is not None
    assert (got.status, got.vetted, got.net_score, got.details) == (READY, True, 0.9, details)
    assert _naive(got.updated_at) == _naive(later)
    await store.catalog.set_rating_summary(
        "d1", vetted=None, net_score=None, details={"unrated": True}, now=later
    )
    again = await store.catalog.get("d1")
    assert again is not None
    assert (again.vetted, again.net_score, again.details) == (None, None, {"unrated": True})


async def test_pages_follow_catalog_order_with_keyset_cursors(store: Store) -> None:
    rows = await _add(
        store.catalog,
        *[_row(f"m{i}", f"model-{i % 3}", type="model" if i % 2 else "dataset") for i in range(9)],
        _row("hidden", "model-0", status=PENDING),
    )
    every = [NameQuery(None, None)]
    first = await store.catalog.page(every, after=0, limit=4)
    assert [r.id for r in first] == ["m0", "m1", "m2", "m3"]
    second = await store.catalog.page(every, after=first[-1].seq, limit=4)
    assert [r.id for r in second] == ["m4", "m5", "m6", "m7"]
    last = await store.catalog.page(every, after=second[-1].seq, limit=4)
    assert [r.id for r in last] == ["m8"]
    assert await store.catalog.page(every, after=last[-1].seq, limit=4) == []

    datasets = await store.catalog.page([NameQuery(None, frozenset({"dataset"}))], after=0, limit=9)
    assert [r.id for r in datasets] == ["m0", "m2", "m4", "m6", "m8"]
    named = await store.catalog.page(
        [NameQuery("model-0", None), NameQuery("model-1", frozenset({"model"}))], after=0, limit=9
    )
    # model-0: m0 m3 m6 (any type); model-1 models only: m1 m7 (m4 is a dataset).
    assert [r.id for r in named] == ["m0", "m1", "m3", "m6", "m7"]
    cut = await store.catalog.page(
        [NameQuery("model-0", None), NameQuery("model-1", None)], after=rows[1].seq, limit=2
    )
    assert [r.id for r in cut] == ["m3", "m4"]
    assert await store.catalog.page([NameQuery("nobody", None)], after=0, limit=5) == []


async def test_by_name_texts_and_get_many(store: Store) -> None:
    await _add(
        store.catalog,
        _row("n1", "twin", readme="first twin"),
        _row("n2", "solo", readme=None),
        _row("n3", "twin", readme="second twin"),
        _row("n4", "twin", status=PENDING),
    )
    assert [r.id for r in await store.catalog.by_name("twin", limit=10)] == ["n1", "n3"]
    assert [r.id for r in await store.catalog.by_name("twin", limit=1)] == ["n1"]
    texts = await store.catalog.texts(after=0, limit=2)
    assert [(t[1], t[2], t[3], t[4]) for t in texts] == [
        ("n1", "twin", "model", "first twin"),
        ("n2", "solo", "model", ""),
    ]
    rest = await store.catalog.texts(after=texts[-1][0], limit=10)
    assert [t[1] for t in rest] == ["n3"]
    many = await store.catalog.get_many(["n3", "n4", "missing", "n1", "n1"])
    assert [r.id for r in many] == ["n1", "n3"]
    assert await store.catalog.get_many([]) == []
    assert [r.id for r in await store.catalog.summaries()] == ["n1", "n2", "n3"]


async def test_a_revision_is_replaced_once_and_kept_in_history(store: Store) -> None:
    (current,) = await _add(store.catalog, _row("r1", "revised"))
    later = NOW + timedelta(hours=1)
    values = {
        "source_url": "https://huggingface.co/revised-v2",
        "readme": "v2",
        "versions": ["2.0"],
        "weights_scan": {"verdict": "clean"},
        "version": None,
        "updated_at": later,
    }
    assert await store.catalog.replace_revision(current, values, by="bob", now=later)
    # A second update that read the same revision loses and writes nothing.
    assert not await store.catalog.replace_revision(
        current, {**values, "readme": "lost"}, by="eve", now=later
    )
    got = await store.catalog.get("r1")
    assert got is not None
    assert (got.revision, got.source_url, got.readme, got.versions) == (
        2, "https://huggingface.co/revised-v2", "v2", ["2.0"],
    )  # fmt: skip
    assert got.seq == current.seq  # an update keeps the catalog position
    (old,) = await store.catalog.history("r1")
    assert (old.revision, old.source_url, old.replaced_by) == (1, current.source_url, "bob")
    assert old.details == current.details
    assert await store.catalog.history("nobody") == []


async def test_two_concurrent_updates_one_wins(store: Store) -> None:
    if isinstance(store.catalog, DynamoCatalog):
        # Seen on a loaded machine: two of three conditional TransactWriteItems both
        # succeeded on the emulator, whose request threads do not serialise the condition
        # check with the write as DynamoDB does. A stale revision losing is tested above.
        pytest.skip("the DynamoDB emulator does not serialise concurrent transactions")
    (current,) = await _add(store.catalog, _row("c1", "contended"))
    results = await asyncio.gather(
        *[
            store.catalog.replace_revision(current, {"readme": f"by {who}"}, by=who, now=NOW)
            for who in ("a", "b", "c")
        ]
    )
    assert sorted(results) == [False, False, True]
    assert len(await store.catalog.history("c1")) == 1


async def test_remove_and_clear_take_history_and_counters(store: Store) -> None:
    first, _ = await _add(store.catalog, _row("x1", "gone"), _row("x2", "kept"))
    assert await store.catalog.replace_revision(first, {"readme": "v2"}, by=None, now=NOW)
    await store.catalog.remove("x1")
    assert await store.catalog.get("x1", visible_only=False) is None
    assert await store.catalog.history("x1") == []
    assert await _counter_ids(store) == ["x2"]
    await store.catalog.clear()
    assert await store.catalog.get("x2") is None
    assert await store.catalog.page([NameQuery(None, None)], after=0, limit=10) == []
    assert await _counter_ids(store) == []
    await _add(store.catalog, _row("x3", "after-reset"))
    assert [r.id for r in await store.catalog.summaries()] == ["x3"]
    assert await _counter_ids(store) == ["x3"]


async def test_popularity_stats_come_from_the_catalog_store(store: Store) -> None:
    await _add(store.catalog, _row("s1", "popular"), _row("s2", "waiting", status=PENDING))
    elsewhere = store.catalog if isinstance(store.catalog, DynamoCatalog) else None
    popularity = Popularity(store.sessions, structlog.get_logger(), 3600.0, catalog=elsewhere)
    popularity.appeared(["s1", "s1"])
    (stats,) = await popularity.stats()
    assert (stats.id, stats.name, stats.search_appearances, stats.downloads) == (
        "s1", "popular", 2, 0,
    )  # fmt: skip


async def _counter_ids(store: Store) -> list[str]:
    async with store.sessions() as session:
        result = await session.execute(select(PopularityRow.artifact_id))
        return sorted(result.scalars())


# -- DynamoDB only: what its limits and outages look like ---------------------------------


async def test_dynamodb_cuts_a_readme_too_big_for_an_item(
    aws_endpoint: str, tmp_path: Path
) -> None:
    engine, sessions = await _sql_sessions(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
    catalog = DynamoCatalog(RuntimeSettings(aws_endpoint_url=aws_endpoint), "big-readmes", sessions)
    await catalog.start()
    try:
        import os

        noise = os.urandom(300_000).hex()  # 600 KB that zlib cannot shrink
        await catalog.insert(_row("b1", "huge", readme="# title\n" + noise))
        got = await catalog.get("b1")
        assert got is not None
        assert got.readme is not None
        assert got.readme.startswith("# title\n")
        assert len(got.readme) < len(noise)
        assert len(got.readme.encode()) <= 2 * MAX_README_BYTES
    finally:
        await catalog.close()
        await engine.dispose()


async def test_dynamodb_outages_name_the_store(aws_endpoint: str, tmp_path: Path) -> None:
    engine, sessions = await _sql_sessions(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
    missing = DynamoCatalog(
        RuntimeSettings(aws_endpoint_url=aws_endpoint), "never-made", sessions, provision=False
    )
    await missing.start()
    with pytest.raises(ComponentUnavailable, match=r"DynamoDB.*'never-made' does not exist"):
        await missing.get("x")
    with pytest.raises(ComponentUnavailable, match="metadata store"):
        await missing.check()
    await missing.close()
    down = DynamoCatalog(
        RuntimeSettings(aws_endpoint_url="http://127.0.0.1:9"), "t-down", sessions, provision=False
    )
    with pytest.raises(ComponentUnavailable, match=r"metadata store \(DynamoDB\)"):
        await down.get("x")
    await down.close()
    await engine.dispose()
