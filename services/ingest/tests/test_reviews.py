"""Reviews and the browse listing in ingest, on SQLite and PostgreSQL: the table of migration
0011, who may write and delete what, the audit entries every change leaves, and the listing's
filters, sort orders and cursor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import structlog

from registry_common.db import create_engine, run_migrations, session_factory
from registry_common.errors import RegistryError
from registry_ingest.app import MIGRATIONS
from registry_ingest.audit import Actor, AuditTrail
from registry_ingest.browse import BrowseQuery, Browser, license_family
from registry_ingest.catalog import Catalog
from registry_ingest.popularity import Popularity
from registry_ingest.reviews import MAX_REVIEW_CHARS, Reviews, ReviewStore
from registry_ingest.tables import ArtifactRow


@dataclass
class Parts:
    reviews: Reviews
    store: ReviewStore
    audit: AuditTrail
    catalog: Catalog
    browser: Browser


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
async def parts(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Parts]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'ingest.sqlite3'}"
    else:
        url = str(request.getfixturevalue("postgres_url"))
    engine = create_engine(url)
    await run_migrations(engine, MIGRATIONS, version_table="alembic_ingest")
    sessions = session_factory(engine)
    store = ReviewStore(sessions)
    catalog = Catalog(sessions)
    popularity = Popularity(sessions, structlog.get_logger(), 60.0)
    yield Parts(
        Reviews(store, structlog.get_logger()),
        store,
        AuditTrail(sessions),
        catalog,
        Browser(catalog, popularity, store),
    )
    await catalog.clear()
    await store.clear()
    await AuditTrail(sessions).clear()
    await engine.dispose()


def _row(
    id_: str,
    name: str,
    type_: str = "model",
    *,
    license: str | None = "mit",
    score: float | None = 0.5,
    vetted: bool | None = True,
    size: int = 100,
    age_days: int = 0,
) -> ArtifactRow:
    when = datetime(2026, 12, 1, tzinfo=UTC) - timedelta(days=age_days)
    return ArtifactRow(
        id=id_,
        name=name,
        type=type_,
        status="ready",
        revision=1,
        source_url=f"upload://{name}",
        source_kind="upload",
        details={"license": license} if license else {},
        bundle_bytes=size,
        content_bytes=size,
        uploader="alice",
        vetted=vetted,
        net_score=score,
        created_at=when,
        updated_at=when,
    )


async def test_one_review_per_user_editable_and_audited(parts: Parts) -> None:
    row = _row("1", "acme")
    await parts.catalog.insert(row)
    bob, carol = Actor("bob"), Actor("carol")

    saved = await parts.reviews.put(row, "bob", bob, 4, "  Solid baseline.  ")
    assert (saved["stars"], saved["text"], saved["user"]) == (4, "Solid baseline.", "bob")
    await parts.reviews.put(row, "bob", bob, 2, "Worse on long inputs.")  # an edit, not a second
    await parts.reviews.put(row, "carol", carol, 5, "")

    listing = await parts.reviews.listing(row, 0, 20)
    assert listing["count"] == 2
    assert listing["average_stars"] == 3.5
    assert {(r["user"], r["stars"], r["text"]) for r in listing["items"]} == {
        ("bob", 2, "Worse on long inputs."),
        ("carol", 5, ""),
    }
    first = await parts.reviews.listing(row, 0, 1)
    assert len(first["items"]) == 1
    assert first["next_offset"] == 1
    assert (await parts.reviews.listing(row, 1, 1))["next_offset"] is None
    assert (await parts.reviews.get(row, "bob"))["stars"] == 2

    entries = await parts.audit.entries("1")
    assert [(e["action"], e["user"]["name"]) for e in entries] == [
        ("RATE", "bob"),
        ("RATE", "bob"),
        ("RATE", "carol"),
    ]


async def test_only_the_author_writes_and_the_author_or_an_admin_deletes(parts: Parts) -> None:
    row = _row("1", "acme")
    await parts.catalog.insert(row)
    await parts.reviews.put(row, "bob", Actor("bob"), 3, "ok")
    await parts.reviews.put(row, "carol", Actor("carol"), 1, "broken")

    with pytest.raises(RegistryError) as forged:
        await parts.reviews.put(row, "bob", Actor("carol"), 1, "bob hates it")
    assert forged.value.status == 401
    assert "own review" in forged.value.message
    with pytest.raises(RegistryError) as foreign:
        await parts.reviews.remove(row, "bob", Actor("carol"))
    assert foreign.value.status == 401
    with pytest.raises(RegistryError) as anonymous:
        await parts.reviews.put(row, "bob", None, 3, "ok")
    assert anonymous.value.status == 403

    await parts.reviews.remove(row, "bob", Actor("bob"))
    await parts.reviews.remove(row, "carol", Actor("root", is_admin=True))
    assert (await parts.reviews.listing(row, 0, 20))["count"] == 0
    with pytest.raises(RegistryError) as gone:
        await parts.reviews.remove(row, "bob", Actor("bob"))
    assert gone.value.status == 404
    with pytest.raises(RegistryError) as unknown:
        await parts.reviews.get(row, "bob")
    assert unknown.value.status == 404

    entries = await parts.audit.entries("1")
    assert [(e["action"], e["user"]["name"]) for e in entries][-2:] == [
        ("RATE", "bob"),
        ("RATE", "root"),
    ]


@pytest.mark.parametrize(
    ("stars", "text", "words"),
    [
        (0, "", "from 1 to 5"),
        (6, "", "from 1 to 5"),
        (3, "x" * (MAX_REVIEW_CHARS + 1), "Shorten it"),
        (3, "bell\x07", "control characters"),
    ],
)
async def test_bad_reviews_get_a_400_that_says_what_to_change(
    parts: Parts, stars: int, text: str, words: str
) -> None:
    row = _row("1", "acme")
    await parts.catalog.insert(row)
    with pytest.raises(RegistryError) as bad:
        await parts.reviews.put(row, "bob", Actor("bob"), stars, text)
    assert bad.value.status == 400
    assert words in bad.value.message
    assert (await parts.reviews.listing(row, 0, 20))["count"] == 0
    assert await parts.audit.entries("1") == []


async def test_reviews_go_with_their_artifact(parts: Parts) -> None:
    one, two = _row("1", "acme"), _row("2", "other")
    for row in (one, two):
        await parts.catalog.insert(row)
        await parts.reviews.put(row, "bob", Actor("bob"), 4, "")
    await parts.store.forget("1")
    assert (await parts.reviews.listing(one, 0, 20))["count"] == 0
    assert (await parts.reviews.listing(two, 0, 20))["count"] == 1
    await parts.store.clear()
    assert await parts.store.stats() == {}


def test_license_families() -> None:
    assert license_family("apache-2.0") == "permissive"
    assert license_family("MIT") == "permissive"
    assert license_family("cc-by-4.0") == "permissive"
    assert license_family("gpl-3.0") == "copyleft"
    assert license_family("cc-by-sa-4.0") == "copyleft"
    assert license_family("cc-by-nc-4.0") == "restricted"
    assert license_family("openrail-m") == "restricted"
    assert license_family(None) == "unknown"
    assert license_family("") == "unknown"


async def test_browse_filters_sorts_and_pages(parts: Parts) -> None:
    rows = [
        _row("a", "alpha", score=0.9, size=300, age_days=3, license="apache-2.0"),
        _row("b", "beta", score=0.4, vetted=False, size=100, age_days=1, license="gpl-3.0"),
        _row("c", "gamma", "dataset", score=None, vetted=None, size=200, license=None),
        _row("d", "delta", score=0.7, size=50, age_days=2, license="cc-by-nc-4.0"),
    ]
    for row in rows:
        await parts.catalog.insert(row)
    await parts.reviews.put(rows[1], "bob", Actor("bob"), 5, "")
    await parts.reviews.put(rows[0], "bob", Actor("bob"), 2, "")
    await parts.reviews.put(rows[0], "carol", Actor("carol"), 3, "")

    async def ids(**query: object) -> list[str]:
        page = await parts.browser.page(BrowseQuery(**query))  # type: ignore[arg-type]
        return [item["id"] for item in page["items"]]

    # Missing values go last in either order.
    assert await ids(sort="score") == ["a", "d", "b", "c"]
    assert await ids(sort="score", order="asc") == ["b", "d", "a", "c"]
    assert await ids(sort="stars") == ["b", "a", "c", "d"]
    assert await ids(sort="size", order="asc") == ["d", "b", "c", "a"]
    assert await ids(sort="updated") == ["c", "b", "d", "a"]
    assert await ids(sort="name", order="asc") == ["a", "b", "d", "c"]
    assert await ids(vetted=True) == ["a", "d"]
    assert await ids(vetted=False) == ["b", "c"]
    assert await ids(type="dataset") == ["c"]
    assert await ids(license_family="copyleft") == ["b"]
    assert await ids(license_family="unknown") == ["c"]

    first = await parts.browser.page(BrowseQuery(sort="score", limit=3))
    assert first["total"] == 4
    assert first["next_cursor"] == "3"
    entry = first["items"][0]
    assert entry["average_stars"] == 2.5
    assert entry["review_count"] == 2
    assert entry["license_family"] == "permissive"
    assert entry["size_bytes"] == 300
    assert entry["downloads"] == 0
    assert entry["vetted"] is True
    rest = await parts.browser.page(BrowseQuery(sort="score", limit=3, cursor="3"))
    assert [i["id"] for i in rest["items"]] == ["c"]
    assert rest["next_cursor"] is None


@pytest.mark.parametrize(
    ("query", "words"),
    [
        (BrowseQuery(sort="color"), "sort must be one of"),
        (BrowseQuery(order="up"), "order must be asc or desc"),
        (BrowseQuery(license_family="free"), "license_family must be one of"),
        (BrowseQuery(type="image"), "type must be one of"),
        (BrowseQuery(limit=0), "limit must be from 1"),
        (BrowseQuery(cursor="abc"), "next_cursor"),
    ],
)
async def test_browse_rejects_bad_queries(parts: Parts, query: BrowseQuery, words: str) -> None:
    with pytest.raises(RegistryError) as bad:
        await parts.browser.page(query)
    assert bad.value.status == 400
    assert words in bad.value.message
