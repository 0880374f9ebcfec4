"""Metadata database helpers: SQLAlchemy 2 async on SQLite (default) or PostgreSQL.

Each service owns its tables and its Alembic migrations (its own version table, so several
services can share one PostgreSQL database). Migrations run at service start.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from sqlalchemy import MetaData, event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from registry_common.errors import ComponentUnavailable

# What "the database is not there" looks like, as opposed to a bug in a statement (SQLite
# reports both "no such table" and "unable to open database file" as OperationalError, so
# the wrapper's class alone cannot tell them apart).
_OUTAGE_TYPES = (ConnectionError, OSError, asyncio.TimeoutError)
_OUTAGE_DRIVER_ERRORS = {  # asyncpg's connection-level errors, by class name
    "CannotConnectNowError",
    "ConnectionDoesNotExistError",
    "ConnectionFailureError",
    "ConnectionRejectionError",
    "TooManyConnectionsError",
    "AdminShutdownError",
    "CrashShutdownError",
}
_SQLITE_OUTAGE_MESSAGES = (
    "unable to open database",
    "disk i/o error",
    "database is locked",
    "readonly database",
    "database or disk is full",
    "database disk image is malformed",
)


def is_outage(exc: BaseException) -> bool:
    """True when `exc` says the database cannot be reached or used at all."""
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        return exc.orig is not None and exc.orig is not exc and is_outage(exc.orig)
    if isinstance(exc, _OUTAGE_TYPES):
        return True
    if any(cls.__name__ in _OUTAGE_DRIVER_ERRORS for cls in type(exc).__mro__):
        return True
    if any(text_ in str(exc).lower() for text_ in _SQLITE_OUTAGE_MESSAGES):
        return True
    # SQLAlchemy's asyncpg adapter wraps the driver's error in its own `Error` ("connection
    # was closed in the middle of operation"): the driver's class is the cause.
    cause = exc.__cause__
    return cause is not None and cause is not exc and is_outage(cause)


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An engine tuned per backend; creates the SQLite file's directory when needed."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
        # One connection per engine: SQLite has one writer, and connections racing for its
        # file lock back off in its busy handler (sleeps of up to 100 ms), which under 20
        # concurrent token checks gave a 1.7 s p95 (docs/benchmarks.md). Queued on one
        # connection, statements run back to back instead.
        kwargs.update(pool_size=1, max_overflow=0, pool_timeout=60)
    else:
        kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True, pool_recycle=1800)
        kwargs["connect_args"] = {"timeout": 5, "command_timeout": 30}
    engine = create_async_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        _tune_sqlite(engine)
    return engine


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets readers proceed while one writer commits; foreign keys are off by default.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def outage_of(exc: BaseException, component: str = "database") -> ComponentUnavailable | None:
    """The 503 naming the database for a SQLAlchemy error that is an outage, else None."""
    if isinstance(exc, DBAPIError) and is_outage(exc):
        cause = exc.orig if exc.orig is not None else exc
        return ComponentUnavailable(component, type(cause).__name__)
    return None


@asynccontextmanager
async def database_errors(component: str = "database") -> AsyncIterator[None]:
    """Turn connection-level failures into a 503 that names the database."""
    try:
        yield
    except Exception as exc:
        if is_outage(exc):
            cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
            raise ComponentUnavailable(component, type(cause).__name__) from exc
        raise


async def check_database(engine: AsyncEngine, *, timeout: float = 3.0) -> None:
    """Raise ComponentUnavailable unless `SELECT 1` answers within `timeout` seconds."""
    async with database_errors():
        async with asyncio.timeout(timeout):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))


def _alembic_config(script_location: Path, version_table: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["version_table"] = version_table
    return config


async def run_migrations(engine: AsyncEngine, script_location: Path, *, version_table: str) -> None:
    """Upgrade the service's tables to the newest revision (idempotent)."""
    config = _alembic_config(script_location, version_table)

    def upgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with database_errors(), engine.begin() as conn:
        await conn.run_sync(upgrade)


def run_alembic_env(context: Any, target_metadata: MetaData) -> None:
    """Body of every service's migrations/env.py: run on the connection we were given.

    `context` is `alembic.context`, a module that proxies the current EnvironmentContext.
    """
    env: EnvironmentContext = context
    connection = env.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("migrations run through registry_common.db.run_migrations only")
    env.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=env.config.attributes["version_table"],
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with env.begin_transaction():
        env.run_migrations()
