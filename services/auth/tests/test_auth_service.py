"""Auth use cases against real databases: SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from registry_auth.app import MIGRATIONS
from registry_auth.passwords import hash_password
from registry_auth.service import (
    DEFAULT_ADMIN,
    DEFAULT_ADMIN_PASSWORD,
    DEFAULT_ADMIN_PASSWORD_SPEC_VARIANT,
    AuthService,
    Identity,
)
from registry_auth.tables import UserRow
from registry_common.db import create_engine, run_migrations, session_factory
from registry_common.errors import (
    AuthenticationFailed,
    BadRequest,
    InvalidCredentials,
    NotFound,
    PermissionDenied,
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'auth.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def auth(database_url: str, clock: Clock) -> AsyncIterator[AuthService]:
    engine = create_engine(database_url)
    await run_migrations(engine, MIGRATIONS, version_table="alembic_auth")
    service = AuthService(
        session_factory(engine),
        secret="test-secret-0123456789-0123456789",
        max_calls=5,
        ttl=timedelta(hours=10),
        clock=clock,
    )
    await service.ensure_default_admin()
    yield service
    await engine.dispose()


async def _add_user(auth: AuthService, name: str, password: str, **rights: bool) -> None:
    async with auth._sessions.begin() as session:
        session.add(
            UserRow(
                name=name,
                password_hash=await hash_password(password),
                is_admin=rights.get("is_admin", False),
                can_upload=rights.get("upload", False),
                can_search=rights.get("search", False),
                can_download=rights.get("download", False),
                created_at=datetime.now(UTC),
            )
        )


async def test_default_admin_logs_in_with_both_spellings(auth: AuthService) -> None:
    for password in (DEFAULT_ADMIN_PASSWORD, DEFAULT_ADMIN_PASSWORD_SPEC_VARIANT):
        token = await auth.authenticate(DEFAULT_ADMIN, password)
        identity = await auth.spend(token)
        assert identity.name == DEFAULT_ADMIN
        assert identity.is_admin
        assert set(identity.permissions) == {"upload", "search", "download", "admin"}


async def test_spec_variant_only_works_for_the_default_admin(auth: AuthService) -> None:
    await _add_user(auth, "alice", DEFAULT_ADMIN_PASSWORD)
    assert await auth.authenticate("alice", DEFAULT_ADMIN_PASSWORD)
    with pytest.raises(InvalidCredentials):
        await auth.authenticate("alice", DEFAULT_ADMIN_PASSWORD_SPEC_VARIANT)


@pytest.mark.parametrize(
    ("name", "password"),
    [
        (DEFAULT_ADMIN, "wrong"),
        ("nobody", DEFAULT_ADMIN_PASSWORD),
        ("x' OR '1'='1", "' OR '1'='1"),
        ("admin'; DROP TABLE auth_users;--", "pw"),
    ],
)
async def test_bad_credentials_are_rejected_without_saying_which(
    auth: AuthService, name: str, password: str
) -> None:
    with pytest.raises(InvalidCredentials) as raised:
        await auth.authenticate(name, password)
    assert raised.value.status == 401
    # The SQL-looking names were data: the table and the admin are still there.
    assert await auth.authenticate(DEFAULT_ADMIN, DEFAULT_ADMIN_PASSWORD)


async def test_empty_credentials_are_a_bad_request(auth: AuthService) -> None:
    with pytest.raises(BadRequest):
        await auth.authenticate("", "")


async def test_unicode_credentials_round_trip(auth: AuthService) -> None:
    await _add_user(auth, "zoë-用户", "pässwörd-🔑-long-enough", search=True)
    identity = await auth.spend(await auth.authenticate("zoë-用户", "pässwörd-🔑-long-enough"))
    assert identity.permissions == ("search",)


async def test_token_budget_is_exact(auth: AuthService) -> None:
    token = await auth.authenticate(DEFAULT_ADMIN, DEFAULT_ADMIN_PASSWORD)
    for _ in range(5):
        await auth.spend(token)
    with pytest.raises(AuthenticationFailed):
        await auth.spend(token)


async def test_concurrent_spending_never_exceeds_the_budget(auth: AuthService) -> None:
    token = await auth.authenticate(DEFAULT_ADMIN, DEFAULT_ADMIN_PASSWORD)
    results = await asyncio.gather(*(auth.spend(token) for _ in range(20)), return_exceptions=True)
    assert sum(not isinstance(r, Exception) for r in results) == 5
    assert all(isinstance(r, AuthenticationFailed) for r in results if isinstance(r, Exception))


async def test_token_expires_after_its_lifetime(auth: AuthService, clock: Clock) -> None:
    token = await auth.authenticate(DEFAULT_ADMIN, DEFAULT_ADMIN_PASSWORD)
    clock.now += timedelta(hours=9, minutes=59)
    await auth.spend(token)
    clock.now += timedelta(minutes=2)
    with pytest.raises(AuthenticationFailed, match="expired"):
        await auth.spend(token)


@pytest.mark.parametrize("value", [None, "", "bearer", "bearer not-a-jwt", "Basic abc"])
async def test_missing_or_malformed_tokens_are_403(auth: AuthService, value: str | None) -> None:
    with pytest.raises(AuthenticationFailed) as raised:
        await auth.spend(value)
    assert raised.value.status == 403


async def test_token_signed_with_another_key_is_rejected(auth: AuthService, clock: Clock) -> None:
    from registry_auth.tokens import encode_token

    forged = encode_token(
        "another-key-0123456789-0123456789",
        subject=DEFAULT_ADMIN,
        jti="x" * 32,
        issued=clock.now,
        expires=clock.now + timedelta(hours=1),
    )
    with pytest.raises(AuthenticationFailed):
        await auth.spend(forged)


async def test_reset_removes_users_and_their_tokens_but_keeps_the_admin(
    auth: AuthService,
) -> None:
    await _add_user(auth, "bob", "bob-password-123", upload=True)
    bob_token = await auth.authenticate("bob", "bob-password-123")
    admin_token = await auth.authenticate(DEFAULT_ADMIN, DEFAULT_ADMIN_PASSWORD)
    async with auth._sessions.begin() as session:  # someone changed the admin's password
        await session.execute(
            update(UserRow)
            .where(UserRow.name == DEFAULT_ADMIN)
            .values(password_hash=await hash_password("changed-password"))
        )

    await auth.reset()

    assert [u.name for u in await auth.users()] == [DEFAULT_ADMIN]
    with pytest.raises(AuthenticationFailed):
        await auth.spend(bob_token)
    assert (await auth.spend(admin_token)).name == DEFAULT_ADMIN
    assert await auth.authenticate(DEFAULT_ADMIN, DEFAULT_ADMIN_PASSWORD)


async def test_a_restart_never_reverts_a_changed_admin_password(
    auth: AuthService, clock: Clock
) -> None:
    admin = Identity(DEFAULT_ADMIN, True, ())
    await auth.change_password(
        DEFAULT_ADMIN,
        "A-New-Admin-Passphrase-42",
        by=admin,
        current_password=DEFAULT_ADMIN_PASSWORD,
    )
    await auth.ensure_default_admin()  # what every start runs
    with pytest.raises(InvalidCredentials):
        await auth.authenticate(DEFAULT_ADMIN, DEFAULT_ADMIN_PASSWORD, client="10.0.0.1")
    with pytest.raises(InvalidCredentials):  # the spec's spelling no longer works either
        await auth.authenticate(DEFAULT_ADMIN, DEFAULT_ADMIN_PASSWORD_SPEC_VARIANT, "10.0.0.1")
    assert await auth.authenticate(DEFAULT_ADMIN, "A-New-Admin-Passphrase-42")


async def test_the_initial_admin_password_is_the_configured_one(
    database_url: str, clock: Clock
) -> None:
    engine = create_engine(database_url)
    await run_migrations(engine, MIGRATIONS, version_table="alembic_auth")
    service = AuthService(
        session_factory(engine),
        secret="test-secret-0123456789-0123456789",
        max_calls=5,
        ttl=timedelta(hours=10),
        clock=clock,
        initial_admin_password="From-A-Secret-Store-99",
    )
    await service.ensure_default_admin()
    with pytest.raises(InvalidCredentials):
        await service.authenticate(DEFAULT_ADMIN, DEFAULT_ADMIN_PASSWORD, client="10.0.0.1")
    assert await service.authenticate(DEFAULT_ADMIN, "From-A-Secret-Store-99")
    await service.change_password(
        DEFAULT_ADMIN,
        "Changed-Later-By-Ops-7",
        by=Identity(DEFAULT_ADMIN, True, ()),
        current_password="From-A-Secret-Store-99",
    )
    await service.reset()  # reset restores the deployment's initial password
    assert await service.authenticate(DEFAULT_ADMIN, "From-A-Secret-Store-99")
    await engine.dispose()


async def test_password_changes_need_the_current_one_or_an_admin(auth: AuthService) -> None:
    await _add_user(auth, "dora", "Dora-Password-123", search=True)
    await _add_user(auth, "eve", "Eve-Password-1234", search=True)
    dora = Identity("dora", False, ("search",))
    token = await auth.authenticate("dora", "Dora-Password-123")
    with pytest.raises(InvalidCredentials):
        await auth.change_password("dora", "Dora-New-Pass-456", by=dora, current_password="x")
    with pytest.raises(InvalidCredentials):
        await auth.change_password("dora", "Dora-New-Pass-456", by=dora, current_password=None)
    with pytest.raises(BadRequest):  # the same rules as at registration
        await auth.change_password("dora", "short", by=dora, current_password="Dora-Password-123")
    with pytest.raises(PermissionDenied):
        await auth.change_password(
            "eve", "Eve-Taken-Over-99", by=dora, current_password="Dora-Password-123"
        )
    await auth.change_password(
        "dora", "Dora-New-Pass-456", by=dora, current_password="Dora-Password-123"
    )
    with pytest.raises(AuthenticationFailed):  # signed out everywhere
        await auth.spend(token)
    assert await auth.authenticate("dora", "Dora-New-Pass-456")
    admin = Identity(DEFAULT_ADMIN, True, ())
    await auth.change_password("eve", "Eve-Reset-By-Admin-1", by=admin, current_password=None)
    assert await auth.authenticate("eve", "Eve-Reset-By-Admin-1")
    with pytest.raises(NotFound):
        await auth.change_password("nobody", "Nobody-Pass-1234", by=admin, current_password=None)


async def test_user_lifecycle_and_rights(auth: AuthService) -> None:
    from registry_auth.service import Identity
    from registry_common.errors import Conflict, NotFound, PermissionDenied

    alice = await auth.create_user("alice", "Alice-Password-1", ["search"], is_admin=False)
    assert alice.permissions == ("search",)
    with pytest.raises(Conflict):
        await auth.create_user("alice", "Another-Password-2", [], is_admin=False)
    token = await auth.authenticate("alice", "Alice-Password-1")
    assert (await auth.spend(token)).permissions == ("search",)

    # Changing rights revokes the user's tokens: the new rights apply from the next login.
    updated = await auth.set_permissions("alice", ["upload", "download"], is_admin=False)
    assert updated.permissions == ("upload", "download")
    with pytest.raises(AuthenticationFailed):
        await auth.spend(token)

    bob = await auth.create_user("bob", "Bob-Password-123", [], is_admin=False)
    with pytest.raises(PermissionDenied):
        await auth.delete_user("alice", by=bob)
    await auth.delete_user("bob", by=bob)  # users delete themselves
    admin = Identity(DEFAULT_ADMIN, True, ())
    await auth.delete_user("alice", by=admin)  # admins delete anyone
    with pytest.raises(NotFound):
        await auth.delete_user("alice", by=admin)
    with pytest.raises(BadRequest):
        await auth.delete_user(DEFAULT_ADMIN, by=admin)
    assert [u.name for u in await auth.users()] == [DEFAULT_ADMIN]


async def test_admins_hold_every_permission(auth: AuthService) -> None:
    carol = await auth.create_user("carol", "Carol-Password-1", [], is_admin=True)
    assert set(carol.permissions) == {"upload", "search", "download", "admin"}


async def test_failed_logins_back_off_per_client(auth: AuthService) -> None:
    from registry_auth.throttle import TooManyAttempts

    for _ in range(10):
        with pytest.raises(InvalidCredentials):
            await auth.authenticate(DEFAULT_ADMIN, "wrong", client="10.0.0.9")
    with pytest.raises(TooManyAttempts):
        await auth.authenticate(DEFAULT_ADMIN, DEFAULT_ADMIN_PASSWORD, client="10.0.0.9")
    assert await auth.authenticate(DEFAULT_ADMIN, DEFAULT_ADMIN_PASSWORD, client="10.0.0.10")


async def test_a_spent_token_tells_when_its_account_was_created(
    auth: AuthService, clock: Clock
) -> None:
    created_at = clock.now
    await auth.create_user("carol", "a-long-enough-password-7", ["download"], False)
    clock.now = created_at + timedelta(minutes=3)
    identity = await auth.spend(await auth.authenticate("carol", "a-long-enough-password-7"))
    caller = identity.as_caller()
    assert caller["created_at"] == created_at.isoformat()
    assert caller["name"] == "carol"
    assert caller["permissions"] == ["download"]
