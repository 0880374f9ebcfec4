"""Signed tokens: HS256 JWTs carrying the token id (`jti`) whose use count the database keeps."""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path

import jwt

from registry_common.errors import AuthenticationFailed

BEARER = "bearer "


def load_or_create_secret(configured: str | None, data_dir: Path) -> str:
    """The configured key, or one generated once and kept (0600) under the data directory."""
    if configured:
        return configured
    path = data_dir / "secrets" / "token-signing-key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def encode_token(
    secret: str, *, subject: str, jti: str, issued: datetime, expires: datetime
) -> str:
    claims = {"sub": subject, "jti": jti, "iat": issued, "exp": expires}
    return BEARER + jwt.encode(claims, secret, algorithm="HS256")


def decode_token(secret: str, header_value: str, *, now: datetime) -> tuple[str, str]:
    """(subject, jti) of a valid `bearer <jwt>` value; AuthenticationFailed otherwise."""
    value = header_value.strip()
    if value.lower().startswith(BEARER):
        value = value[len(BEARER) :].strip()
    try:
        # Expiry is checked against our clock (injectable), not jwt's own.
        claims = jwt.decode(
            value,
            secret,
            algorithms=["HS256"],
            options={"require": ["sub", "jti", "exp"], "verify_exp": False},
        )
    except jwt.PyJWTError as exc:
        raise AuthenticationFailed("The token is not valid; authenticate again.") from exc
    if int(claims["exp"]) <= now.timestamp():
        raise AuthenticationFailed("The token has expired; authenticate again.")
    return str(claims["sub"]), str(claims["jti"])
