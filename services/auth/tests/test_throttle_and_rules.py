"""Brute-force back-off and the user rules (names, password strength, permissions)."""

from __future__ import annotations

import pytest

from registry_auth.throttle import LoginThrottle, TooManyAttempts
from registry_auth.users import check_name, check_password, check_permissions
from registry_common.errors import BadRequest


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_few_mistakes_are_never_slowed_down() -> None:
    throttle = LoginThrottle(free_failures=10, clock=Clock())
    for _ in range(10):
        throttle.check("1.2.3.4", "admin")
        throttle.failed("1.2.3.4", "admin")
    with pytest.raises(TooManyAttempts) as raised:
        throttle.check("1.2.3.4", "admin")
    assert raised.value.status == 429


def test_back_off_doubles_and_is_capped() -> None:
    clock = Clock()
    throttle = LoginThrottle(free_failures=2, max_delay=8, clock=clock)
    waits = []
    for _ in range(7):
        throttle.failed("c", "u")
        try:
            throttle.check("c", "u")
            waits.append(0)
        except TooManyAttempts as exc:
            waits.append(exc.details["retry_after"])
    assert waits == [0, 2, 3, 5, 9, 9, 9]  # 1, 2, 4, 8, 8, 8 seconds (+1 rounding up)


def test_block_is_per_client_so_the_real_admin_elsewhere_gets_in() -> None:
    throttle = LoginThrottle(free_failures=3, clock=Clock())
    for _ in range(10):
        throttle.failed("attacker", "ece30861defaultadminuser")
    with pytest.raises(TooManyAttempts):
        throttle.check("attacker", "ece30861defaultadminuser")
    throttle.check("admin-laptop", "ece30861defaultadminuser")  # not blocked


def test_success_clears_and_time_forgets() -> None:
    clock = Clock()
    throttle = LoginThrottle(free_failures=2, forget_after=60, clock=clock)
    throttle.failed("c", "u")
    throttle.failed("c", "u")
    clock.now += 5
    throttle.check("c", "u")  # the 1 s wait has passed
    throttle.succeeded("c", "u")
    throttle.failed("c", "u")
    throttle.check("c", "u")  # counting started again
    clock.now += 120
    throttle.failed("c", "u")
    throttle.check("c", "u")  # old failures forgotten


def test_one_client_spraying_many_users_is_slowed_too() -> None:
    throttle = LoginThrottle(free_failures=100, client_free_failures=5, clock=Clock())
    for i in range(6):
        throttle.failed("sprayer", f"user{i}")
    with pytest.raises(TooManyAttempts):
        throttle.check("sprayer", "user-new")


@pytest.mark.parametrize(
    "password",
    ["Correct-Horse-9", "a very long passphrase indeed", "Abcdefgh1234", "ünïcödé-Pässwörd-7"],
)
def test_strong_passwords_pass(password: str) -> None:
    assert check_password(password, "alice") == password


@pytest.mark.parametrize("password", ["short1A!", "alllowercaseletters", "Password1"])
def test_weak_passwords_say_what_is_needed(password: str) -> None:
    with pytest.raises(BadRequest, match="12 characters"):
        check_password(password, "alice")


def test_password_must_not_be_the_name() -> None:
    with pytest.raises(BadRequest, match="user name"):
        check_password("Alice-The-Great-2024", "alice-the-great-2024")


@pytest.mark.parametrize("name", ["", "   ", "x" * 256, "tab\there"])
def test_bad_names(name: str) -> None:
    with pytest.raises(BadRequest):
        check_name(name)


@pytest.mark.parametrize("name", ["me", "Me"])
def test_reserved_names_say_why(name: str) -> None:
    with pytest.raises(BadRequest, match="reserved"):
        check_name(name)


def test_permissions_are_checked_and_normalized() -> None:
    assert check_permissions(["search", "upload", "search"]) == ["search", "upload"]
    with pytest.raises(BadRequest, match="is_admin"):
        check_permissions(["admin"])
