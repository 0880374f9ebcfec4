"""One PostgreSQL role per service, owning one schema: `python -m registry_common.db_roles`.

The services share one PostgreSQL database, but none may read or change another's tables:
a compromised ingest must not be able to rewrite auth's password hashes. So each service
logs in as its own role `registry_<service>`, which owns the schema `<service>` (its tables
and its Alembic version table live there, found through the role's `search_path`) and has
no rights anywhere else: the database's PUBLIC grants are revoked, and no role may create
objects in `public`.

This program runs once per deployment (an ECS task the stack starts before the services)
with the master user's URL in `REGISTRY_DATABASE_URL`, the services in
`REGISTRY_DB_ROLE_SERVICES` (comma-separated) and each role's password in
`REGISTRY_DB_PASSWORD_<SERVICE>`. It is idempotent: it creates what is missing, sets the
passwords (so rotating a secret and re-running applies it), and adopts tables an earlier
deployment made in `public` as the master user (moved into the service's schema, owned by
its role), recognised by the service's table prefix.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import Mapping, Sequence

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from registry_common.telemetry import configure_logging, get_logger

_SERVICE = re.compile(r"^[a-z][a-z0-9]{0,30}$")
SERVICES_ENV = "REGISTRY_DB_ROLE_SERVICES"
PASSWORD_ENV = "REGISTRY_DB_PASSWORD_{}"  # noqa: S105 - a variable's name


class RoleSetupError(Exception):
    pass


def role_name(service: str) -> str:
    return f"registry_{service}"


def _literal(value: str) -> str:
    """A SQL string literal. `ALTER ROLE ... PASSWORD` takes no bind parameters, so the
    password is quoted here: quotes doubled, and no backslash or NUL reaches the server."""
    if "\x00" in value:
        raise RoleSetupError("a database password must not contain NUL characters")
    return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _check_service(service: str) -> str:
    if not _SERVICE.match(service):
        raise RoleSetupError(f"{service!r} is not a service name (lower-case letters, digits)")
    return service


def role_statements(service: str, password: str, database: str) -> list[str]:
    """The statements that give `service` its role and schema (identifiers are checked
    names, never user input; the password is a quoted literal)."""
    _check_service(service)
    if not password:
        raise RoleSetupError(f"no password for the {service} role ({PASSWORD_ENV.format('…')})")
    role, schema = role_name(service), service
    return [
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') "
        f"THEN CREATE ROLE {role}; END IF; END $$",
        f"ALTER ROLE {role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
        f"PASSWORD {_literal(password)}",
        # The master user (not a superuser on RDS) must be a member to hand objects over.
        f"GRANT {role} TO CURRENT_USER",
        f"CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {role}",
        f"ALTER SCHEMA {schema} OWNER TO {role}",
        f"REVOKE ALL ON SCHEMA {schema} FROM PUBLIC",
        f"ALTER ROLE {role} SET search_path = {schema}",
        f'GRANT CONNECT, TEMPORARY ON DATABASE "{database}" TO {role}',
    ]


def lockdown_statements(database: str) -> list[str]:
    """Nothing for roles not named here: no connecting by default, no objects in public."""
    return [
        f'REVOKE ALL ON DATABASE "{database}" FROM PUBLIC',
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
    ]


async def _adopt_tables(connection: AsyncConnection, service: str) -> list[str]:
    """Move `<service>_*` tables (and `alembic_<service>`) from public into the schema."""
    rows = await connection.execute(
        text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND (tablename LIKE :prefix ESCAPE '!' OR tablename = :version)"
        ),
        {"prefix": f"{service}!_%", "version": f"alembic_{service}"},
    )
    moved = []
    for (table,) in rows:
        if not re.match(r"^[a-z0-9_]+$", table):
            continue  # not a table this registry made
        await connection.exec_driver_sql(f'ALTER TABLE public."{table}" SET SCHEMA {service}')
        await connection.exec_driver_sql(
            f'ALTER TABLE {service}."{table}" OWNER TO {role_name(service)}'
        )
        moved.append(table)
    return moved


async def provision(master_url: str, passwords: Mapping[str, str]) -> dict[str, list[str]]:
    """Create or update every service's role and schema; returns the tables adopted."""
    url = make_url(master_url)
    database = url.database
    if url.get_backend_name() != "postgresql" or not database:
        raise RoleSetupError("REGISTRY_DATABASE_URL must name a PostgreSQL database")
    engine = create_async_engine(url)
    adopted: dict[str, list[str]] = {}
    try:
        async with engine.begin() as connection:
            # Driver-level: no bind-parameter parsing of a password that contains ":x".
            for statement in lockdown_statements(database):
                await connection.exec_driver_sql(statement)
            for service, password in passwords.items():
                for statement in role_statements(service, password, database):
                    await connection.exec_driver_sql(statement)
                adopted[service] = await _adopt_tables(connection, service)
    finally:
        await engine.dispose()
    return adopted


def passwords_from(env: Mapping[str, str]) -> dict[str, str]:
    services = [s.strip() for s in env.get(SERVICES_ENV, "").split(",") if s.strip()]
    if not services:
        raise RoleSetupError(f"{SERVICES_ENV} names no service")
    missing = [s for s in services if not env.get(PASSWORD_ENV.format(s.upper()))]
    if missing:
        names = ", ".join(PASSWORD_ENV.format(s.upper()) for s in missing)
        raise RoleSetupError(f"missing role passwords: {names}")
    return {_check_service(s): env[PASSWORD_ENV.format(s.upper())] for s in services}


def main(argv: Sequence[str] = ()) -> None:
    configure_logging(os.environ.get("REGISTRY_LOG_LEVEL", "INFO"))
    log = get_logger("db-roles")
    try:
        master = os.environ.get("REGISTRY_DATABASE_URL")
        if not master:
            raise RoleSetupError("REGISTRY_DATABASE_URL (the master user's URL) is not set")
        adopted = asyncio.run(provision(master, passwords_from(os.environ)))
    except RoleSetupError as exc:
        sys.exit(f"db-roles: {exc}")
    for service, tables in adopted.items():
        log.info("db.roles.provisioned", role=role_name(service), schema=service, adopted=tables)


if __name__ == "__main__":
    main(sys.argv[1:])
