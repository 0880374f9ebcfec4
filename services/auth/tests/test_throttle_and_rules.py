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
    assert waits == [0, 1, 2, 4, 8, 8, 8]  # doubling from 1 s, capped at 8 s


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


def test_the_wait_is_the_retry_after_and_counts_down() -> None:
    clock = Clock()
    throttle = LoginThrottle(free_failures=1, max_delay=60, clock=clock)
    for _ in range(6):  # the 6th failure imposes 2**5 = 32 s
        throttle.failed("c", "u")
    clock.now += 10.5
    with pytest.raises(TooManyAttempts) as raised:
        throttle.check("c", "u")
    assert raised.value.retry_after == 22  # 21.5 s left, rounded up
    assert raised.value.details == {"retry_after": 22}
    assert "wait 22 s" in raised.value.message
    assert raised.value.status == 429


def test_a_flood_from_one_address_never_locks_other_addresses() -> None:
    clock = Clock()
    throttle = LoginThrottle(free_failures=10, client_free_failures=100, clock=clock)
    for i in range(1000):  # refused attempts are not counted, as the service does
        try:
            throttle.check("203.0.113.66", f"user{i % 20}")
            throttle.failed("203.0.113.66", f"user{i % 20}")
        except TooManyAttempts:
            pass
    with pytest.raises(TooManyAttempts):
        throttle.check("203.0.113.66", "someone-else")
    for i in range(7):
        throttle.check("198.51.100.7", f"user{i}")  # other addresses sign in unhindered


def test_an_account_flooded_from_one_address_stays_open_elsewhere() -> None:
    clock = Clock()
    throttle = LoginThrottle(free_failures=10, account_free_failures=50, clock=clock)
    for _ in range(3600):  # an hour of one attempt a second from one address
        try:
            throttle.check("203.0.113.66", "alice")
            throttle.failed("203.0.113.66", "alice")
        except TooManyAttempts:
            pass
        clock.now += 1
    with pytest.raises(TooManyAttempts):
        throttle.check("203.0.113.66", "alice")
    # The blocked address added one failure per wait: the account itself never locked.
    throttle.check("198.51.100.7", "alice")


def test_a_distributed_guess_is_slowed_per_account_but_only_briefly() -> None:
    clock = Clock()
    throttle = LoginThrottle(account_free_failures=5, account_max_delay=5, clock=clock)
    throttle.succeeded("192.0.2.10", "alice")  # alice's usual machine
    for i in range(40):  # a botnet: every guess from a new address
        throttle.failed(f"203.0.113.{i}", "alice")
    with pytest.raises(TooManyAttempts) as raised:
        throttle.check("198.51.100.7", "alice")  # a new address: waits, but at most 5 s
    assert raised.value.retry_after <= 5
    assert "this account" in raised.value.message
    throttle.check("192.0.2.10", "alice")  # the machine that signed in before is exempt
    throttle.check("198.51.100.7", "bob")  # other accounts are untouched
    clock.now += 5
    throttle.check("198.51.100.7", "alice")  # and the wait ends


def test_ipv6_clients_count_per_64_and_memory_stays_bounded() -> None:
    clock = Clock()
    throttle = LoginThrottle(free_failures=3, clock=clock, max_entries=50)
    for i in range(4):  # one subscriber rotating addresses inside its /64
        throttle.failed(f"2001:db8:1:2::{i + 1:x}", "alice")
    with pytest.raises(TooManyAttempts):
        throttle.check("2001:db8:1:2::ffff", "alice")
    throttle.check("2001:db8:1:3::1", "alice")  # the next /64 is someone else
    for i in range(500):  # a flood of distinct addresses
        throttle.failed(f"10.0.{i // 256}.{i % 256}", f"u{i}")
        clock.now += 0.01
    assert len(throttle._records) <= 50 + 3


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
