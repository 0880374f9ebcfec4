"""Database helpers on SQLite and a real PostgreSQL: migrations, checks, outage mapping."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import OperationalError

from registry_auth.app import MIGRATIONS as AUTH_MIGRATIONS
from registry_common.db import check_database, create_engine, database_errors, run_migrations
from registry_common.errors import ComponentUnavailable


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'nested' / 'db.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


async def test_migrations_are_idempotent_and_use_the_service_version_table(url: str) -> None:
    engine = create_engine(url)
    try:
        await run_migrations(engine, AUTH_MIGRATIONS, version_table="alembic_auth")
        await run_migrations(engine, AUTH_MIGRATIONS, version_table="alembic_auth")
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
            version = (await conn.execute(text("SELECT version_num FROM alembic_auth"))).scalar()
        expected = {"auth_users", "auth_tokens", "alembic_auth"}
        expected |= {"auth_processed_events", "auth_forgotten_artifacts"}  # consumed.py
        assert expected <= tables
        assert "alembic_version" not in tables  # services never share a version table
        assert version == "0002"
        await check_database(engine)
    finally:
        await engine.dispose()


async def test_sqlite_is_tuned_for_concurrency(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
    try:
        async with engine.connect() as conn:
            mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar()
            keys = (await conn.execute(text("PRAGMA foreign_keys"))).scalar()
        assert mode == "wal"
        assert keys == 1
    finally:
        await engine.dispose()


@pytest.mark.integration
async def test_unreachable_postgres_is_a_503_naming_the_database(tmp_path: Path) -> None:
    engine = create_engine(f"postgresql+asyncpg://postgres@/nowhere?host={tmp_path}")
    try:
        with pytest.raises(ComponentUnavailable, match="database"):
            await check_database(engine, timeout=5)
    finally:
        await engine.dispose()


async def test_statement_bugs_are_not_disguised_as_outages(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
    try:
        with pytest.raises(OperationalError, match="no such table") as raised:
            async with database_errors(), engine.connect() as conn:
                await conn.execute(text("SELECT * FROM no_such_table"))
        assert not isinstance(raised.value, ComponentUnavailable)
    finally:
        await engine.dispose()


async def test_unopenable_sqlite_file_is_an_outage(tmp_path: Path) -> None:
    directory = tmp_path / "data"
    engine = create_engine(f"sqlite+aiosqlite:///{directory / 'db.sqlite3'}")
    directory.rmdir()
    directory.write_text("the data directory was replaced by a file")
    try:
        with pytest.raises(ComponentUnavailable, match="database"):
            await check_database(engine)
    finally:
        await engine.dispose()
