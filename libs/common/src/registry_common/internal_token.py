"""The shared secret on every call between the registry's services (`X-Internal-Token`).

Only the gateway faces clients; the services trust the caller identity it forwards
(`X-Registry-User`, `X-Registry-Admin`, `X-Registry-Client`) because the call carries this
token. So a service never answers an `/internal/` route without it (no token configured means
the routes are closed, never open), and a service started as its own process refuses to start
without one. Embedded mode, where the services are in-process ASGI apps, makes one per process.
"""

from __future__ import annotations

import hmac
import secrets

INTERNAL_TOKEN_HEADER = "X-Internal-Token"  # noqa: S105 - a header name, not a secret
INTERNAL_PATH_PREFIX = "/internal/"
INTERNAL_TOKEN_ENV = "REGISTRY_INTERNAL_TOKEN"  # noqa: S105 - a variable's name
# Long enough that guessing is hopeless; `secrets.token_urlsafe(24)` and the deployment's
# generated secret are both longer.
MIN_INTERNAL_TOKEN_LENGTH = 24


class MissingInternalToken(SystemExit):
    """A service was started as its own process without a usable internal token."""


def token_matches(supplied: str | bytes | None, expected: str | None) -> bool:
    """Whether `supplied` is the internal token, in constant time (no timing oracle). With no
    expected token nothing matches: a service without one accepts no internal call."""
    if not expected or supplied is None:
        return False
    given = supplied.encode() if isinstance(supplied, str) else supplied
    return hmac.compare_digest(given, expected.encode())


def internal_token_headers(token: str | None) -> dict[str, str]:
    """The header every internal call (and every OTLP export to the health service) sends."""
    return {INTERNAL_TOKEN_HEADER: token} if token else {}


def generate_internal_token() -> str:
    """A fresh token for one embedded registry process (never written anywhere)."""
    return secrets.token_urlsafe(32)


def require_internal_token(token: str | None, service: str) -> str:
    """The token a separately running service must have; raises MissingInternalToken (exit
    status 1, with a sentence saying what to set) when it is absent or too short."""
    if not token:
        raise MissingInternalToken(
            f"registry-{service}: {INTERNAL_TOKEN_ENV} is not set. A service running as its own "
            "process only accepts internal calls that carry the shared internal token; set the "
            f"same random value (at least {MIN_INTERNAL_TOKEN_LENGTH} characters, e.g. from "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`) for every service, "
            "or run the whole registry in one process with `python -m registry_gateway.embedded`."
        )
    if len(token) < MIN_INTERNAL_TOKEN_LENGTH:
        raise MissingInternalToken(
            f"registry-{service}: {INTERNAL_TOKEN_ENV} is {len(token)} characters long; use a "
            f"random value of at least {MIN_INTERNAL_TOKEN_LENGTH} characters."
        )
    return token
