"""Regex search on PostgreSQL narrowed by the trigram indexes of migration 0012: the same
answers as the plain RE2 scan, the query the catalog sends planned on those indexes, and
the patterns PostgreSQL would read differently from RE2 kept away from it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import re2
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from registry_common.db import create_engine, run_migrations, session_factory
from registry_ingest.app import MIGRATIONS
from registry_ingest.catalog import Catalog
from registry_ingest.search import database_prefilter
from registry_ingest.tables import ArtifactRow

READMES = {
    "bert-base": "# BERT\nA masked language model.\nLicense: apache-2.0",
    "whisper-tiny": "Speech recognition.\nTrained on 680,000 hours of audio.",
    "whisper-large-v3": "Speech recognition, multilingual.",
    "med-seg": "Segmentation for Medical Imaging studies (CT, MRI).",
    "plain": "",
    "hostile": "a" * 40 + "!",
}


@pytest.mark.parametrize(
    "pattern",
    ["bert", "(?i)medical imaging", r"^whisper-\w+$", r"\d{3},\d{3}", "(a+)+$", "(?:ab)+|MRI"],
)
def test_patterns_that_mean_the_same_to_postgresql_are_handed_to_it(pattern: str) -> None:
    assert database_prefilter(pattern) == pattern


@pytest.mark.parametrize(
    "pattern",
    [r"\bbert\b", r"end\z", r"\Qa.b\E", r"\pL+", "(?P<x>bert)", "a(?i)b", "[[:alpha:]]+"],
)
def test_patterns_postgresql_could_read_differently_keep_the_exact_scan(pattern: str) -> None:
    assert database_prefilter(pattern) is None


def _row(seq: int, name: str, readme: str, status: str = "ready") -> ArtifactRow:
    now = datetime.now(UTC)
    return ArtifactRow(
        id=f"id-{seq}",
        name=name,
        type="model",
        status=status,
        revision=1,
        source_url=f"upload://{name}",
        source_kind="upload",
        readme=readme,
        created_at=now,
        updated_at=now,
    )


@pytest.fixture
async def catalog(postgres_url: str) -> AsyncIterator[tuple[Catalog, AsyncEngine]]:
    engine = create_engine(postgres_url)
    await run_migrations(engine, MIGRATIONS, version_table="alembic_ingest")
    the_catalog = Catalog(session_factory(engine))
    for seq, (name, readme) in enumerate(READMES.items(), start=1):
        await the_catalog.insert(_row(seq, name, readme))
    await the_catalog.insert(_row(99, "pending-bert", "bert", status="pending"))
    yield the_catalog, engine
    await engine.dispose()


@pytest.mark.integration
@pytest.mark.parametrize(
    "pattern", ["bert", "(?i)medical imaging", r"^whisper-\w+$", r"\d{3},\d{3}", "(a+)+!$", "MRI"]
)
async def test_the_indexed_prefilter_finds_what_the_scan_finds(
    catalog: tuple[Catalog, AsyncEngine], pattern: str
) -> None:
    the_catalog, _ = catalog
    scanned = await the_catalog.texts(after=0, limit=100)
    compiled = re2.compile(pattern)
    expected = {r[1] for r in scanned if compiled.search(r[2]) or compiled.search(r[4])}
    assert expected  # every pattern here matches something
    narrowed = await the_catalog.texts(after=0, limit=100, prefilter=pattern)
    assert {r[1] for r in narrowed} >= expected
    found = {r[1] for r in narrowed if compiled.search(r[2]) or compiled.search(r[4])}
    assert found == expected


@pytest.mark.integration
async def test_the_search_query_is_planned_on_the_trigram_indexes(
    catalog: tuple[Catalog, AsyncEngine],
) -> None:
    the_catalog, engine = catalog
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "~" in statement:
            sent.append((statement, params))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        await the_catalog.texts(after=0, limit=500, prefilter="medical imaging")
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
    assert len(sent) == 1
    statement, params = sent[0]
    async with engine.begin() as conn:
        # 80,000 more visible rows and fresh statistics: the (status, seq) condition now
        # selects everything and only the regex is selective, as in a real catalog.
        await conn.exec_driver_sql(
            "INSERT INTO ingest_artifacts (id, name, type, status, revision, source_url,"
            " source_kind, versions, details, content_bytes, bundle_bytes, readme, created_at,"
            " updated_at) SELECT 'fill-' || i, 'model-' || i, 'model', 'ready', 1, 'upload://x',"
            " 'upload', '[]', '{}', 0, 0, 'an ordinary card number ' || i, now(), now()"
            " FROM generate_series(1, 80000) AS i"
        )
        await conn.exec_driver_sql("ANALYZE ingest_artifacts")
    async with engine.connect() as conn:
        # Measured here: at 30,000 rows the planner still finds walking the primary key
        # or the (status, seq) index cheaper than the trigram bitmaps; from ~50,000 rows
        # on the bitmaps win, and at a million by far (docs/performance.md). Table and
        # index-order walks are forbidden so that only the plan's choice of bitmap is left.
        await conn.exec_driver_sql("SET enable_seqscan = off")
        await conn.exec_driver_sql("SET enable_indexscan = off")
        plan = "\n".join(
            row[0] for row in await conn.exec_driver_sql("EXPLAIN " + statement, params)
        )
    assert "ix_ingest_artifacts_name_trgm" in plan
    assert "ix_ingest_artifacts_readme_trgm" in plan


@pytest.mark.integration
async def test_a_pattern_postgresql_refuses_falls_back_to_the_exact_scan(
    catalog: tuple[Catalog, AsyncEngine], tmp_path: Path
) -> None:
    """`a{300}` is valid RE2 (repeats up to 1,000) but past PostgreSQL's limit of 255: the
    indexed query fails, and the search still answers, from the scan."""
    import structlog

    from registry_common.blobs.local import LocalBlobStore
    from registry_common.bus.inprocess import InProcessBus
    from registry_common.settings import RuntimeSettings
    from registry_ingest.audit import AuditTrail
    from registry_ingest.config import IngestSettings
    from registry_ingest.popularity import Popularity
    from registry_ingest.reads import CatalogReader

    the_catalog, engine = catalog
    sessions = session_factory(engine)
    settings = IngestSettings(runtime=RuntimeSettings(data_dir=tmp_path, telemetry_exporter="none"))
    reader = CatalogReader(
        settings,
        the_catalog,
        LocalBlobStore(tmp_path / "blobs"),
        InProcessBus(),
        AuditTrail(sessions),
        Popularity(sessions, structlog.get_logger(), 3600.0),
    )
    with pytest.raises(DBAPIError):
        await the_catalog.texts(after=0, limit=10, prefilter="a{300}")
    found = await reader.regex("a{30}")  # the hostile README: 40 a's and a "!"
    assert [row.name for row in found] == ["hostile"]
    found = await reader.regex("(?i)MEDICAL|a{300}|bert-base")
    assert sorted(row.name for row in found) == ["bert-base", "med-seg"]
