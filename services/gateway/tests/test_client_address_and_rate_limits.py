"""Who the client is behind a balancer, and the per-user token buckets."""

from __future__ import annotations

import pytest

from registry_gateway.client_address import client_address, parse_networks
from registry_gateway.config import GatewaySettings
from registry_gateway.rate_limits import RateLimited, RateLimits, TokenBuckets

ALB = parse_networks("10.0.0.0/16, fd00:1::/64")


class Clock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


# ------------------------------------------------------------------ trusted proxies


def test_without_trusted_proxies_the_peer_is_the_client_whatever_it_claims() -> None:
    assert client_address("203.0.113.9", ["1.2.3.4"], ()) == "203.0.113.9"
    assert client_address("10.0.3.4", ["1.2.3.4"], ()) == "10.0.3.4"


def test_an_untrusted_peer_cannot_spoof_its_address() -> None:
    assert client_address("203.0.113.9", ["198.51.100.1"], ALB) == "203.0.113.9"


def test_behind_the_balancer_the_right_most_untrusted_hop_is_the_client() -> None:
    # The client forged "6.6.6.6"; the balancer appended the address it saw connect.
    assert client_address("10.0.1.20", ["6.6.6.6, 198.51.100.7"], ALB) == "198.51.100.7"
    # Two trusted hops (an inner proxy too), across two header lines.
    assert client_address("10.0.1.20", ["6.6.6.6", "198.51.100.7, 10.0.2.2"], ALB) == (
        "198.51.100.7"
    )


def test_odd_forwarded_entries() -> None:
    assert client_address("10.0.1.20", [], ALB) == "10.0.1.20"  # nothing forwarded
    assert client_address("10.0.1.20", ["10.0.9.9"], ALB) == "10.0.9.9"  # all trusted
    # A malformed entry stops the walk at the last trusted hop: never past garbage.
    assert client_address("10.0.1.20", ["198.51.100.7, not-an-ip"], ALB) == "10.0.1.20"
    assert client_address("10.0.1.20", ["[2001:db8::5]:443"], ALB) == "2001:db8::5"
    assert client_address("10.0.1.20", ["198.51.100.7:51234"], ALB) == "198.51.100.7"
    assert client_address("fd00:1::20", ["2001:db8::5"], ALB) == "2001:db8::5"
    assert client_address("::ffff:10.0.1.20", ["198.51.100.7"], ALB) == "198.51.100.7"
    assert client_address(None, ["198.51.100.7"], ALB) is None
    assert client_address("testclient", ["198.51.100.7"], ALB) == "testclient"


def test_trusted_proxies_setting_parses_cidrs_and_names_a_bad_entry() -> None:
    settings = GatewaySettings(trusted_proxies="10.0.0.0/16,127.0.0.1")
    assert [str(n) for n in settings.trusted_proxies] == ["10.0.0.0/16", "127.0.0.1/32"]
    assert GatewaySettings().trusted_proxies == ()
    with pytest.raises(ValueError, match=r"'10\.0\.0\.0/33' is not an IP address or CIDR block"):
        GatewaySettings(trusted_proxies="10.0.0.0/33")


# ------------------------------------------------------------------ token buckets


def test_a_bucket_allows_a_burst_then_one_request_per_refill() -> None:
    clock = Clock()
    buckets = TokenBuckets(30, clock=clock)  # one token every 2 s, 30 at most
    assert [buckets.take("alice") for _ in range(30)] == [0.0] * 30
    assert buckets.take("alice") == pytest.approx(2.0)
    clock.now += 1.0
    assert buckets.take("alice") == pytest.approx(1.0)  # half a token so far
    clock.now += 1.0
    assert buckets.take("alice") == 0.0
    assert buckets.take("bob") == 0.0  # per user
    clock.now += 3600
    assert [buckets.take("alice") for _ in range(30)] == [0.0] * 30  # never above capacity
    assert buckets.take("alice") > 0


def test_buckets_forget_the_least_recently_used_users() -> None:
    buckets = TokenBuckets(1, clock=Clock(), max_keys=3)
    for user in ("a", "b", "c", "d"):
        assert buckets.take(user) == 0.0
    assert buckets.take("a") == 0.0  # "a" was dropped, so starts full again
    assert buckets.take("d") > 0


def test_rate_limits_raise_429_with_retry_after_and_a_sentence() -> None:
    clock = Clock()
    limits = RateLimits({"regex": 2, "ingest": 0}, clock=clock)
    limits.spend("regex", "alice")
    limits.spend("regex", "alice")
    with pytest.raises(RateLimited) as raised:
        limits.spend("regex", "alice")
    error = raised.value
    assert error.status == 429
    assert error.retry_after == 30
    assert error.details == {"retry_after": 30}
    assert error.message == (
        "You have made too many regular-expression searches (the limit is 2 a minute per "
        "user); wait 30 s and try again."
    )
    for _ in range(500):  # 0 turns a group's limit off
        limits.spend("ingest", "alice")
    limits.spend("unknown-group", "alice")
