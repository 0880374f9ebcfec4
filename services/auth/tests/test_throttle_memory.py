"""The login throttle's memory bounds: known clients per account, evicted successes and
stale failures, seen through what a later sign-in is allowed to do. Also the service's
distributed-mode entry point."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI

from registry_auth import __main__ as entry
from registry_auth.throttle import LoginThrottle, TooManyAttempts

ACCOUNT_WAIT = "Too many failed sign-ins to this account recently; wait 1 s and try again."


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_only_the_latest_known_clients_of_an_account_are_exempt() -> None:
    throttle = LoginThrottle(account_free_failures=1, known_clients_per_account=2, clock=Clock())
    for client in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        throttle.succeeded(client, "alice")
    throttle.failed("10.0.0.9", "alice")  # the account now waits one second
    with pytest.raises(TooManyAttempts) as refused:
        throttle.check("10.0.0.1", "alice")  # the oldest, forgotten beyond two
    assert refused.value.message == ACCOUNT_WAIT
    assert throttle.check("10.0.0.3", "alice") is None


def test_past_max_entries_the_oldest_successes_are_forgotten() -> None:
    throttle = LoginThrottle(account_free_failures=1, max_entries=4, clock=Clock())
    for number in range(10):
        throttle.succeeded("10.0.0.1", f"user{number}")
    for number in (0, 9):
        throttle.failed("10.0.0.9", f"user{number}")
    with pytest.raises(TooManyAttempts) as refused:
        throttle.check("10.0.0.1", "user0")
    assert refused.value.message == ACCOUNT_WAIT
    assert throttle.check("10.0.0.1", "user9") is None


def test_accounts_with_no_remembered_client_are_dropped_on_eviction() -> None:
    throttle = LoginThrottle(
        account_free_failures=1, known_clients_per_account=0, max_entries=1, clock=Clock()
    )
    throttle.succeeded("10.0.0.1", "alice")
    throttle.succeeded("10.0.0.1", "bob")
    throttle.failed("10.0.0.9", "alice")
    # Remembering no client means even the usual machine waits out the account's back-off.
    with pytest.raises(TooManyAttempts) as refused:
        throttle.check("10.0.0.1", "alice")
    assert refused.value.message == ACCOUNT_WAIT


def test_a_stale_block_is_forgotten_when_memory_is_reclaimed() -> None:
    clock = Clock()
    throttle = LoginThrottle(
        free_failures=1, max_delay=1000, forget_after=60, max_entries=4, clock=clock
    )
    for _ in range(8):
        throttle.failed("10.0.0.1", "alice")
    with pytest.raises(TooManyAttempts) as refused:
        throttle.check("10.0.0.1", "alice")
    assert refused.value.message.startswith(
        "Too many failed sign-ins to this account from your address; wait 128 s"
    )
    clock.now += 100  # still inside the 128 s block, but past forget_after
    throttle.failed("10.0.0.2", "bob")  # 6 records > 4: the stale ones go first
    assert throttle.check("10.0.0.1", "alice") is None


def test_the_entry_point_builds_the_service_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("AUTH_TOKEN_SECRET", "a-secret-from-the-environment")
    app = entry.app()
    assert isinstance(app, FastAPI)
    assert app.title == "registry auth service"
    assert not (tmp_path / "secrets" / "token-signing-key").exists()
