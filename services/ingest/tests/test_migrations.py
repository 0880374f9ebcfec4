"""Ingest's migrations on SQLite and a real PostgreSQL: 0006 adds the weights-scan verdict to a
catalog that already holds artifacts, and goes back down cleanly."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Connection, inspect, select, text
from sqlalchemy.ext.asyncio import async_sessionmaker

from registry_common.db import _alembic_config, create_engine, run_migrations
from registry_ingest.app import MIGRATIONS
from registry_ingest.tables import ArtifactRow

VERSION_TABLE = "alembic_ingest"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'ingest.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


def _to(revision: str, *, down: bool = False):  # type: ignore[no-untyped-def]
    def run(connection: Connection) -> None:
        config = _alembic_config(MIGRATIONS, VERSION_TABLE)
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)

    return run


def _columns(connection: Connection) -> set[str]:
    return {c["name"] for c in inspect(connection).get_columns("ingest_artifacts")}


async def test_0006_adds_the_verdict_to_existing_rows_and_reverts(url: str) -> None:
    engine = create_engine(url)
    now = datetime.now(UTC)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_to("0005"))
            await conn.execute(
                text(
                    "INSERT INTO ingest_artifacts (id, name, type, status, revision, source_url,"
                    " source_kind, versions, details, content_bytes, bundle_bytes, created_at,"
                    " updated_at) VALUES ('old-1', 'old', 'model', 'ready', 1, 'upload://old.zip',"
                    " 'upload', '[]', '{}', 0, 0, :now, :now)"
                ),
                {"now": now},
            )
        await run_migrations(engine, MIGRATIONS, version_table=VERSION_TABLE)
        async with engine.connect() as conn:
            assert "weights_scan" in await conn.run_sync(_columns)

        sessions = async_sessionmaker(engine, expire_on_commit=False)
        verdict = {"verdict": "unsafe", "files": [{"path": "a.pkl", "imports": ["os.system"]}]}
        async with sessions.begin() as session:
            old = (
                await session.execute(select(ArtifactRow).where(ArtifactRow.id == "old-1"))
            ).scalar_one()
            assert old.weights_scan is None  # stored before scanning: honestly no verdict
            old.weights_scan = verdict
        async with sessions() as session:
            again = (
                await session.execute(select(ArtifactRow).where(ArtifactRow.id == "old-1"))
            ).scalar_one()
            assert again.weights_scan == verdict

        async with engine.begin() as conn:
            await conn.run_sync(_to("0005", down=True))
            assert "weights_scan" not in await conn.run_sync(_columns)
            kept = (await conn.execute(text("SELECT name FROM ingest_artifacts"))).scalar()
            assert kept == "old"
    finally:
        await engine.dispose()


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_0010_adds_the_group_tables_and_reverts(url: str) -> None:
    engine = create_engine(url)
    try:
        await run_migrations(engine, MIGRATIONS, version_table=VERSION_TABLE)
        async with engine.connect() as conn:
            assert {"ingest_groups", "ingest_group_commands"} <= await conn.run_sync(_tables)
        async with engine.begin() as conn:
            await conn.run_sync(_to("0009", down=True))
            left = await conn.run_sync(_tables)
            assert "ingest_groups" not in left
            assert "ingest_group_commands" not in left
            assert "ingest_artifacts" in left
    finally:
        await engine.dispose()


async def test_0011_copies_the_sensitive_flag_onto_existing_artifacts_and_reverts(url: str) -> None:
    engine = create_engine(url)
    now = datetime.now(UTC)
    insert = (
        "INSERT INTO ingest_artifacts (id, name, type, status, revision, source_url,"
        " source_kind, versions, details, content_bytes, bundle_bytes, created_at,"
        " updated_at) VALUES (:id, :id, 'model', 'ready', 1, 'upload://x.zip',"
        " 'upload', '[]', '{}', 0, 0, :now, :now)"
    )
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_to("0010"))
            for artifact_id in ("watched", "unwatched", "plain"):
                await conn.execute(text(insert), {"id": artifact_id, "now": now})
            await conn.execute(
                text(
                    "INSERT INTO ingest_monitors (artifact_id, sensitive, program, updated_by,"
                    " updated_at) VALUES ('watched', TRUE, NULL, 'u', :now),"
                    " ('unwatched', FALSE, NULL, 'u', :now)"
                ),
                {"now": now},
            )
        await run_migrations(engine, MIGRATIONS, version_table=VERSION_TABLE)
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        async with sessions() as session:
            rows = (await session.execute(select(ArtifactRow.id, ArtifactRow.sensitive))).all()
        assert dict(rows) == {"watched": True, "unwatched": False, "plain": False}
        async with engine.begin() as conn:
            await conn.run_sync(_to("0010", down=True))
            assert "sensitive" not in await conn.run_sync(_columns)
    finally:
        await engine.dispose()


async def test_0013_adds_the_review_table_and_reverts(url: str) -> None:
    engine = create_engine(url)
    try:
        await run_migrations(engine, MIGRATIONS, version_table=VERSION_TABLE)
        async with engine.connect() as conn:
            assert "ingest_reviews" in await conn.run_sync(_tables)
        async with engine.begin() as conn:
            await conn.run_sync(_to("0012", down=True))
            left = await conn.run_sync(_tables)
            assert "ingest_reviews" not in left
            assert "ingest_groups" in left
    finally:
        await engine.dispose()
