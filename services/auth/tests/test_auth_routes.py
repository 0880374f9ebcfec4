"""The auth service through its composition root: `create_app` on a SQLite file in
`tmp_path`, its internal routes called over ASGI with the internal token, its reaction to
`RegistryReset`, and the start-up settings (signing key, initial admin password)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import delete

from registry_auth.app import create_app
from registry_auth.config import AuthSettings
from registry_auth.handlers import build_handlers
from registry_auth.service import DEFAULT_ADMIN, DEFAULT_ADMIN_PASSWORD
from registry_auth.tables import UserRow
from registry_auth.tokens import load_or_create_secret
from registry_common.db import create_engine
from registry_common.events import RegistryReset
from registry_common.internal_token import generate_internal_token, internal_token_headers
from registry_common.settings import RuntimeSettings
from registry_common.telemetry import get_logger

TOKEN = generate_internal_token()


def _settings(tmp_path: Path, **options: Any) -> AuthSettings:
    runtime = RuntimeSettings(data_dir=tmp_path, internal_token=TOKEN)
    return AuthSettings(runtime=runtime, **options)


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    built = create_app(_settings(tmp_path))
    async with built.router.lifespan_context(built):
        yield built


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://auth",
        headers=internal_token_headers(TOKEN),
    ) as http:
        yield http


def _caller(name: str, *, admin: bool) -> dict[str, str]:
    return {"X-Registry-User": name, "X-Registry-Admin": "true" if admin else "false"}


async def _token(client: httpx.AsyncClient, name: str, password: str) -> str:
    answer = await client.post("/internal/authenticate", json={"name": name, "password": password})
    assert answer.status_code == 200, answer.text
    token: str = answer.json()
    return token


async def test_the_default_admin_signs_in_and_spends_its_token(client: httpx.AsyncClient) -> None:
    token = await _token(client, DEFAULT_ADMIN, DEFAULT_ADMIN_PASSWORD)
    spent = await client.post("/internal/tokens/spend", headers={"X-Authorization": token})
    assert spent.status_code == 200
    assert spent.json()["name"] == DEFAULT_ADMIN
    assert spent.json()["is_admin"] is True


async def test_wrong_password_is_401_with_the_reason(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/internal/authenticate", json={"name": DEFAULT_ADMIN, "password": "not it at all"}
    )
    assert answer.status_code == 401
    assert answer.json()["detail"] == "The user name or password is not valid."


async def test_spending_without_a_token_is_403(client: httpx.AsyncClient) -> None:
    answer = await client.post("/internal/tokens/spend")
    assert answer.status_code == 403
    assert answer.json()["detail"] == "The X-Authorization header is missing; authenticate first."


async def test_a_garbled_token_is_403(client: httpx.AsyncClient) -> None:
    answer = await client.post("/internal/tokens/spend", headers={"X-Authorization": "bearer xyz"})
    assert answer.status_code == 403
    assert answer.json()["detail"] == "The token is not valid; authenticate again."


async def test_routes_refuse_calls_without_the_internal_token(app: FastAPI) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://auth"
    ) as anonymous:
        answer = await anonymous.get("/internal/users")
    assert answer.status_code == 403
    assert answer.json()["detail"] == "Internal routes need the internal token."


async def test_user_lifecycle_through_the_routes(client: httpx.AsyncClient) -> None:
    created = await client.post(
        "/internal/users",
        json={"name": "alice", "password": "a long passphrase 42", "permissions": ["search"]},
    )
    assert created.status_code == 201, created.text
    assert created.json()["permissions"] == ["search"]

    again = await client.post(
        "/internal/users", json={"name": "alice", "password": "a long passphrase 42"}
    )
    assert again.status_code == 409
    assert again.json()["detail"] == "A user named 'alice' exists already."

    listed = await client.get("/internal/users")
    assert sorted(user["name"] for user in listed.json()) == sorted([DEFAULT_ADMIN, "alice"])

    granted = await client.put(
        "/internal/users/alice/permissions", json={"permissions": ["upload", "download"]}
    )
    assert granted.status_code == 200
    assert sorted(granted.json()["permissions"]) == ["download", "upload"]

    changed = await client.put(
        "/internal/users/alice/password",
        json={"password": "another passphrase 43", "current_password": "a long passphrase 42"},
        headers=_caller("alice", admin=False),
    )
    assert changed.json() == {"status": "changed", "name": "alice"}
    await _token(client, "alice", "another passphrase 43")

    deleted = await client.delete("/internal/users/alice", headers=_caller("admin", admin=True))
    assert deleted.json() == {"status": "deleted", "name": "alice"}
    listed = await client.get("/internal/users")
    assert [user["name"] for user in listed.json()] == [DEFAULT_ADMIN]


async def test_route_errors_carry_the_sentence_and_status(client: httpx.AsyncClient) -> None:
    missing = await client.put("/internal/users/nobody/permissions", json={"permissions": []})
    assert missing.status_code == 404
    assert missing.json()["detail"] == "No user is named 'nobody'."

    demote = await client.put(
        f"/internal/users/{DEFAULT_ADMIN}/permissions", json={"permissions": [], "is_admin": False}
    )
    assert demote.status_code == 400
    assert demote.json()["detail"] == "The default admin stays an admin."

    not_admin = await client.delete(
        "/internal/users/someone", headers=_caller("mallory", admin=False)
    )
    assert not_admin.status_code == 401
    assert not_admin.json()["detail"] == "Only admins may delete other users."

    other_password = await client.put(
        "/internal/users/someone/password",
        json={"password": "whatever passphrase 1"},
        headers=_caller("mallory", admin=False),
    )
    assert other_password.status_code == 401
    assert other_password.json()["detail"] == "Only admins may change another user's password."


async def test_a_token_of_a_deleted_user_is_refused(client: httpx.AsyncClient) -> None:
    await client.post("/internal/users", json={"name": "bob", "password": "bobs passphrase 99"})
    token = await _token(client, "bob", "bobs passphrase 99")
    await client.delete("/internal/users/bob", headers=_caller("admin", admin=True))
    answer = await client.post("/internal/tokens/spend", headers={"X-Authorization": token})
    assert answer.status_code == 403
    # Deleting a user revokes its tokens, so the conditional spend finds none to spend.
    assert answer.json()["detail"] in (
        "The token is expired, used up, or revoked; authenticate again.",
        "The token's user no longer exists.",
    )


async def test_registry_reset_leaves_only_the_default_admin(app: FastAPI) -> None:
    service = app.state.service
    await service.create_user("carol", "carols passphrase 7", ["search"], False)
    handlers = build_handlers(service, get_logger("auth"))
    await handlers[RegistryReset](RegistryReset(source="gateway", requested_by="admin"))
    assert [identity.name for identity in await service.users()] == [DEFAULT_ADMIN]


def test_a_generated_signing_key_is_kept_and_reused(tmp_path: Path) -> None:
    first = load_or_create_secret(None, tmp_path)
    path = tmp_path / "secrets" / "token-signing-key"
    assert path.read_text() == first
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_or_create_secret(None, tmp_path) == first
    assert load_or_create_secret("configured-key", tmp_path) == "configured-key"


async def test_a_configured_initial_admin_password_is_the_admins(tmp_path: Path) -> None:
    secret_file = tmp_path / "admin-password"
    secret_file.write_text("a strong initial passphrase 5\n")
    built = create_app(_settings(tmp_path, initial_admin_password_file=secret_file))
    async with (
        built.router.lifespan_context(built),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=built),
            base_url="http://auth",
            headers=internal_token_headers(TOKEN),
        ) as client,
    ):
        await _token(client, DEFAULT_ADMIN, "a strong initial passphrase 5")


def test_a_weak_initial_admin_password_stops_the_start(tmp_path: Path) -> None:
    settings = _settings(tmp_path, initial_admin_password=SecretStr(DEFAULT_ADMIN))
    with pytest.raises(ValueError, match="AUTH_INITIAL_ADMIN_PASSWORD is not acceptable: ") as e:
        create_app(settings)
    assert "The password must not be the user name." in str(e.value)


def test_an_unreadable_initial_admin_password_file_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-file"
    settings = _settings(tmp_path, initial_admin_password_file=missing)
    with pytest.raises(ValueError, match="AUTH_INITIAL_ADMIN_PASSWORD_FILE") as e:
        create_app(settings)
    assert str(e.value) == (
        f"AUTH_INITIAL_ADMIN_PASSWORD_FILE {missing} cannot be read (No such file or directory)."
    )


async def test_reset_recreates_a_default_admin_that_is_gone(
    app: FastAPI, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    engine = create_engine(_settings(tmp_path).runtime.database_url_for("auth"))
    async with engine.begin() as connection:
        await connection.execute(delete(UserRow).where(UserRow.name == DEFAULT_ADMIN))
    await engine.dispose()
    refused = await client.post(
        "/internal/authenticate", json={"name": DEFAULT_ADMIN, "password": DEFAULT_ADMIN_PASSWORD}
    )
    assert refused.json()["detail"] == "The user name or password is not valid."
    await app.state.service.reset()
    await _token(client, DEFAULT_ADMIN, DEFAULT_ADMIN_PASSWORD)
