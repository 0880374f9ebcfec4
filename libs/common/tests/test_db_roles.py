"""Per-service database roles against a real PostgreSQL: each service owns its schema and
can touch nothing else; an earlier deployment's tables in `public` are adopted."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from registry_common.db import create_engine, run_migrations
from registry_common.db_roles import (
    RoleSetupError,
    passwords_from,
    provision,
    role_statements,
)
from tests.harness.postgres import PostgresHandle

AUTH_MIGRATIONS = (
    Path(__file__).parents[3] / "services/auth/src/registry_auth/migrations"
).resolve()


def test_statements_quote_the_password_and_check_the_name() -> None:
    statements = role_statements("auth", "it's a \\ pass:word", "registry")
    assert "PASSWORD E'it''s a \\\\ pass:word'" in statements[1]
    assert statements[-1] == 'GRANT CONNECT, TEMPORARY ON DATABASE "registry" TO registry_auth'
    with pytest.raises(RoleSetupError, match="is not a service name"):
        role_statements("auth; DROP ROLE x", "pw", "registry")
    with pytest.raises(RoleSetupError, match="no password"):
        role_statements("auth", "", "registry")


def test_passwords_come_from_one_variable_per_service() -> None:
    env = {
        "REGISTRY_DB_ROLE_SERVICES": "auth, ingest",
        "REGISTRY_DB_PASSWORD_AUTH": "a-pass",
        "REGISTRY_DB_PASSWORD_INGEST": "i-pass",
    }
    assert passwords_from(env) == {"auth": "a-pass", "ingest": "i-pass"}
    with pytest.raises(RoleSetupError, match="REGISTRY_DB_PASSWORD_INGEST"):
        passwords_from({**env, "REGISTRY_DB_PASSWORD_INGEST": ""})
    with pytest.raises(RoleSetupError, match="names no service"):
        passwords_from({})


@pytest.mark.integration
async def test_each_service_role_owns_its_schema_and_nothing_else(
    postgres_server: PostgresHandle,
) -> None:
    database = postgres_server.create_database()
    master = postgres_server.sqlalchemy_url(database)
    # An earlier deployment: the master user made lineage's tables in public.
    engine = create_engine(master)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE public.lineage_keys (k text primary key)"))
        await connection.execute(text("INSERT INTO public.lineage_keys VALUES ('kept')"))
    await engine.dispose()

    passwords = {"auth": "Auth-Role-Pass-1", "ingest": "Ingest-Role-Pass-2", "lineage": "L-3"}
    adopted = await provision(master, passwords)
    assert adopted == {"auth": [], "ingest": [], "lineage": ["lineage_keys"]}
    assert await provision(master, passwords) == {"auth": [], "ingest": [], "lineage": []}

    def as_role(service: str) -> str:
        return master.replace("postgres@", f"registry_{service}@", 1)

    # The auth service's real migrations run as its role, into its schema.
    auth = create_engine(as_role("auth"))
    await run_migrations(auth, AUTH_MIGRATIONS, version_table="alembic_auth")
    async with auth.begin() as connection:
        schema = await connection.scalar(
            text("SELECT schemaname FROM pg_tables WHERE tablename = 'auth_users'")
        )
        assert schema == "auth"
        await connection.execute(text("SELECT count(*) FROM auth_users"))
    for forbidden in ("SELECT * FROM lineage.lineage_keys", "CREATE TABLE public.x (a int)"):
        async with auth.connect() as connection:
            with pytest.raises(DBAPIError, match="permission denied"):
                await connection.execute(text(forbidden))
    await auth.dispose()

    ingest = create_engine(as_role("ingest"))
    async with ingest.connect() as connection:
        with pytest.raises(DBAPIError, match="permission denied"):
            await connection.execute(text("SELECT * FROM auth.auth_users"))
    await ingest.dispose()

    lineage = create_engine(as_role("lineage"))
    async with lineage.connect() as connection:  # its adopted table, found by search_path
        assert await connection.scalar(text("SELECT k FROM lineage_keys")) == "kept"
    await lineage.dispose()
