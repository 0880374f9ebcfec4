"""Hostile input through the gateway (issue 13): every one gets a clear 4xx with a sentence,
never a 500, and the keep-alive connection it came on keeps working."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.harness.registry import RunningRegistry, embedded

pytestmark = pytest.mark.e2e

LONE_SURROGATE = b'"\\ud800"'


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    with embedded(Path(tmp_path_factory.mktemp("hostile")) / "registry") as running:
        yield running


@pytest.fixture(scope="module")
def admin(registry: RunningRegistry) -> Iterator[httpx.Client]:
    with registry.admin() as client:
        yield client


def _assert_clear(answer: httpx.Response, status: int, *words: str) -> None:
    assert answer.status_code == status, answer.text
    detail = answer.json()["detail"]
    assert detail.endswith("."), detail
    for word in words:
        assert word in detail, detail


@pytest.mark.parametrize(
    "trace_id",
    ["ab%01cd", "ab%3Fx=1", "ab%23cd", "ab%20cd", "ABABABABABABABABABABABABABABABAB", "ab"],
)
def test_a_malformed_trace_id_is_a_400_and_never_reaches_an_internal_url(
    admin: httpx.Client, trace_id: str
) -> None:
    _assert_clear(admin.get(f"/health/traces/{trace_id}"), 400, "trace_id")
    assert admin.get("/health").status_code == 200  # same connection


def test_a_well_formed_unknown_trace_id_is_a_404(admin: httpx.Client) -> None:
    _assert_clear(admin.get("/health/traces/" + "ab" * 16), 404, "abab")


def test_a_lone_surrogate_in_json_is_a_400_even_before_authentication(
    registry: RunningRegistry,
) -> None:
    body = (
        b'{"user": {"name": '
        + LONE_SURROGATE
        + b', "is_admin": false}, "secret": {"password": "x"}}'
    )
    with registry.client() as client:
        answer = client.put(
            "/authenticate", content=body, headers={"Content-Type": "application/json"}
        )
        _assert_clear(answer, 400, "not valid JSON")
        assert client.get("/health").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "template"),
    [
        ("POST", "/artifacts", b'[{"name": %s}]'),
        ("POST", "/artifact/model", b'{"url": %s}'),
        ("POST", "/artifact/byRegEx", b'{"regex": %s}'),
        (
            "POST",
            "/users",
            b'{"user": {"name": %s, "is_admin": false}, "secret": {"password": "p"}}',
        ),
        ("PUT", "/users/nobody/permissions", b'{"permissions": [%s]}'),
        (
            "PUT",
            "/artifacts/model/123",
            b'{"metadata": {"name": %s, "id": "123", "type": "model"}, "data": {"url": "u"}}',
        ),
        ("POST", "/artifact/model/123/license-check", b'{"github_url": %s}'),
    ],
)
def test_a_lone_surrogate_is_a_400_on_every_json_route(
    admin: httpx.Client, method: str, path: str, template: bytes
) -> None:
    answer = admin.request(
        method,
        path,
        content=template % LONE_SURROGATE,
        headers={"Content-Type": "application/json"},
    )
    _assert_clear(answer, 400, "not valid JSON")


@pytest.mark.parametrize("token", ["bearer t\xe9st", "bearer a\tb", "bearer " + "a" * 5000])
def test_a_malformed_token_is_a_403(registry: RunningRegistry, token: str) -> None:
    with registry.client() as client:
        answer = client.get("/users/me", headers={"X-Authorization": token.encode("latin-1")})
        _assert_clear(answer, 403, "X-Authorization")
        assert client.get("/health").status_code == 200


@pytest.mark.parametrize("offset", [str(2**63), str(2**64), "9" * 4301, "\u00b2", "-1", "1.5"])
def test_an_out_of_range_offset_is_a_400(admin: httpx.Client, offset: str) -> None:
    answer = admin.post("/artifacts", json=[{"name": "*"}], params={"offset": offset})
    _assert_clear(answer, 400, "offset")


def test_the_largest_offset_is_an_empty_page(admin: httpx.Client) -> None:
    answer = admin.post("/artifacts", json=[{"name": "*"}], params={"offset": str(2**63 - 1)})
    assert answer.status_code == 200, answer.text
    assert answer.json() == []


def test_a_json_body_over_the_ceiling_is_a_413_before_it_is_parsed(admin: httpx.Client) -> None:
    body = json.dumps([{"name": "x" * 100}] * 20_000).encode()  # ~2.4 MB
    answer = admin.post("/artifacts", content=body, headers={"Content-Type": "application/json"})
    _assert_clear(answer, 413, "1 MiB")
    assert admin.get("/health").status_code == 200


def test_a_streamed_json_body_over_the_ceiling_is_a_413(admin: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"["
        for _ in range(3000):
            yield b'{"name": "' + b"x" * 1000 + b'"},'
        yield b'{"name": "x"}]'

    answer = admin.post(
        "/artifacts", content=chunks(), headers={"Content-Type": "application/json"}
    )
    _assert_clear(answer, 413, "1 MiB")


def test_thousands_of_tiny_queries_are_refused_before_they_are_validated(
    admin: httpx.Client,
) -> None:
    answer = admin.post("/artifacts", json=[{"name": "a"}] * 5000)
    _assert_clear(answer, 413, "5000 queries")


def test_a_user_named_with_a_path_separator_stays_one_path_segment(admin: httpx.Client) -> None:
    answer = admin.delete("/users/..%2F..%2Finternal%2Freset")
    assert answer.status_code == 404, answer.text
