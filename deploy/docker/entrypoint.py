"""Container entry point of every service image: `python /app/entrypoint.py registry_<name>`
(or `registry_common.db_roles`, the one-off task that sets up the per-service database roles).

In AWS the database password comes from Secrets Manager as its own variable (ECS injects
the secret's `username` and `password` fields; the host, port and name are plain settings),
while the services read one SQLAlchemy URL, `REGISTRY_DATABASE_URL`. This script builds
that URL, quoting every part, then replaces itself with the service (`exec`: the service is
PID 1's only child under ECS's init process and receives SIGTERM directly).

Standard library only, no registry imports: it runs before anything else in the image.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, MutableMapping
from urllib.parse import quote

_MODULE = re.compile(r"^registry_[a-z]+(\.[a-z_]+)?$")  # a service, or registry_common.db_roles
PARTS = (
    "REGISTRY_DATABASE_HOST",
    "REGISTRY_DATABASE_USER",
    "REGISTRY_DATABASE_PASSWORD",
)


class ConfigurationError(Exception):
    pass


def database_url(env: Mapping[str, str]) -> str | None:
    """The URL to set, or None when there is nothing to compose (an explicit
    `REGISTRY_DATABASE_URL`, or no database parts: the service's embedded default)."""
    if env.get("REGISTRY_DATABASE_URL"):
        return None
    given = [name for name in PARTS if env.get(name)]
    if not given:
        return None
    missing = [name for name in PARTS if not env.get(name)]
    if missing:
        raise ConfigurationError(
            f"database settings incomplete: {', '.join(missing)} missing (have {', '.join(given)})"
        )
    user = quote(env["REGISTRY_DATABASE_USER"], safe="")
    password = quote(env["REGISTRY_DATABASE_PASSWORD"], safe="")
    host = env["REGISTRY_DATABASE_HOST"]
    port = env.get("REGISTRY_DATABASE_PORT") or "5432"
    if not port.isdigit():
        raise ConfigurationError(f"REGISTRY_DATABASE_PORT must be a number, not {port!r}")
    name = quote(env.get("REGISTRY_DATABASE_NAME") or "registry", safe="")
    # TLS always: RDS enforces it (rds.force_ssl), and nothing else is acceptable in AWS.
    sslmode = env.get("REGISTRY_DATABASE_SSL") or "require"
    return f"postgresql+asyncpg://{user}:{password}@{host}:{port}/{name}?ssl={sslmode}"


def prepare(env: MutableMapping[str, str]) -> None:
    """Set REGISTRY_DATABASE_URL from its parts and drop the bare password from the
    environment the service inherits."""
    url = database_url(env)
    if url is not None:
        env["REGISTRY_DATABASE_URL"] = url
    env.pop("REGISTRY_DATABASE_PASSWORD", None)


def main(argv: list[str]) -> None:
    if len(argv) != 2 or not _MODULE.match(argv[1]):
        sys.exit("usage: entrypoint.py registry_<service>")
    try:
        prepare(os.environ)
    except ConfigurationError as exc:
        sys.exit(f"entrypoint: {exc}")
    os.execv(sys.executable, [sys.executable, "-m", argv[1]])  # noqa: S606 - fixed module


if __name__ == "__main__":
    main(sys.argv)
