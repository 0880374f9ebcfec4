"""Popularity counters are exact; a bot-inflated look-alike is still the impostor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from registry_common.db import create_engine, run_migrations, session_factory
from registry_common.errors import BadRequest, ComponentUnavailable
from registry_ingest.app import MIGRATIONS
from registry_ingest.audit import Actor, AuditTrail
from registry_ingest.catalog import READY, Catalog
from registry_ingest.confusion.audit import ConfusionAudit
from registry_ingest.confusion.scoring import AuditSettings, owner_of
from registry_ingest.popularity import ArtifactStats, Popularity
from registry_ingest.tables import ArtifactRow

NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
async def sessions(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'ingest.sqlite3'}"
    else:
        url = str(request.getfixturevalue("postgres_url"))
    engine = create_engine(url)
    await run_migrations(engine, MIGRATIONS, version_table="alembic_ingest")
    yield session_factory(engine)
    await engine.dispose()


async def _add(catalog: Catalog, artifact_id: str, name: str, url: str = "") -> ArtifactRow:
    row = ArtifactRow(
        id=artifact_id,
        name=name,
        type="model",
        status=READY,
        revision=1,
        source_url=url or f"upload://{name}.zip",
        source_kind="upload",
        versions=[],
        details={},
        content_bytes=0,
        bundle_bytes=0,
        uploader="someone",
        created_at=NOW,
        updated_at=NOW,
    )
    await catalog.insert(row)
    return row


async def test_counters_are_exact_and_survive_a_failed_flush(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    catalog, trail = Catalog(sessions), AuditTrail(sessions)
    popularity = Popularity(sessions, structlog.get_logger(), 3600.0)
    first = await _add(catalog, "1", "bert-base-uncased")
    await _add(catalog, "2", "whisper-small")
    for _ in range(3):
        await trail.record(first, "DOWNLOAD", Actor("alice", created_at=NOW))
    await trail.record(first, "AUDIT", Actor("alice"))  # not a download
    popularity.appeared(["1", "2", "1"])
    popularity.appeared(["1"])

    class Broken:  # the database is down during one flush
        def begin(self) -> Any:
            raise ComponentUnavailable("database", "OSError")

    working = popularity._sessions
    popularity._sessions = Broken()  # type: ignore[assignment]
    with pytest.raises(ComponentUnavailable):
        await popularity.flush()
    popularity._sessions = working
    popularity.appeared(["2"])
    stats = {s.id: s for s in await popularity.stats()}  # flushes first
    assert (stats["1"].downloads, stats["1"].search_appearances) == (3, 3)
    assert (stats["2"].downloads, stats["2"].search_appearances) == (0, 2)
    rows = await popularity.downloads(["1"], per_artifact=2)
    assert [d.user for d in rows["1"]] == ["alice", "alice"]
    assert rows["1"][0].account_created_at == NOW

    await catalog.remove("1")  # the counters go with the artifact
    assert [s.id for s in await popularity.stats()] == ["2"]


async def test_a_bot_inflated_copy_is_the_impostor_even_when_it_leads_in_downloads(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    catalog, trail = Catalog(sessions), AuditTrail(sessions)
    popularity = Popularity(sessions, structlog.get_logger(), 3600.0)
    settings = AuditSettings(min_downloads=10, max_age=0)
    audit = ConfusionAudit(popularity, settings, structlog.get_logger())
    original = await _add(catalog, "1", "mistral-7b-instruct")
    copy = await _add(catalog, "2", "mistral-7b-lnstruct")
    for n in range(20):  # twenty established people
        await trail.record(
            original, "DOWNLOAD", Actor(f"user{n}", created_at=NOW - timedelta(days=30))
        )
    for n in range(60):  # three accounts created a moment before they start
        await trail.record(copy, "DOWNLOAD", Actor(f"bot{n % 3}", created_at=datetime.now(UTC)))

    page = await audit.page(0, 10)
    assert page["total"] == 1
    [item] = page["items"]
    assert item["artifact"]["id"] == "2"
    assert item["artifact"]["downloads"] == 60
    assert item["imitates"]["id"] == "1"
    assert item["signals"]["name"]["kind"] == "homoglyph"
    assert item["reasons"][1] == "100% of its 60 downloads came from only 3 accounts"
    with pytest.raises(BadRequest):
        await audit.page(0, 0)


@pytest.mark.parametrize(
    ("source_url", "expected"),
    [
        ("https://huggingface.co/google-bert/bert", "owner 'google-bert' on huggingface.co"),
        ("https://hf.co/datasets/stanfordnlp/imdb/viewer", "owner 'stanfordnlp' on hf.co"),
        ("https://www.github.com/OpenAI/whisper.git", "owner 'OpenAI' on github.com"),
        ("https://huggingface.co/bert-base-uncased", "huggingface.co without an owner"),
        ("https://github.com/orgs/openai", "github.com without an owner"),
        ("https://example.com/m.bin", "the host example.com"),
    ],
)  # fmt: skip
def test_owner_of_reads_the_source_reference(source_url: str, expected: str) -> None:
    stats = ArtifactStats("a1", "m", "model", source_url, None, 1, 0, 0)
    assert owner_of(stats) == expected
