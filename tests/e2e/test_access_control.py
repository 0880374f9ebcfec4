"""Access control end to end, in both topologies: every route of the contract against every
permission, user management, token budget and revocation, through the gateway only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.harness.registry import DEFAULT_ADMIN, RunningRegistry
from tests.harness.topology import Setup, Topology, topology

pytestmark = pytest.mark.e2e

PASSWORD = "Strong-Password-123"
USERS = {
    "uploader": ["upload"],
    "searcher": ["search"],
    "downloader": ["download"],
    "nobody": [],
}

# Calls per token: enough for every test here, few enough to spend one in a test.
BUDGET = 100
ACCESS = Setup(settings={"auth": {"token_max_calls": BUDGET}})

# (method, path, json body, permission the route needs)
ROUTES: list[tuple[str, str, Any, str]] = [
    ("POST", "/artifacts", [{"name": "*"}], "search"),
    ("GET", "/artifacts/model/123", None, "search"),
    (
        "PUT",
        "/artifacts/model/123",
        {
            "metadata": {"name": "x", "id": "123", "type": "model"},
            "data": {"url": "https://x.io/a"},
        },
        "upload",
    ),
    ("DELETE", "/artifacts/model/123", None, "upload"),
    ("POST", "/artifact/model", {"url": "not a url"}, "upload"),
    ("GET", "/artifact/model/123/rate", None, "search"),
    ("GET", "/artifact/model/123/cost", None, "search"),
    ("GET", "/artifact/byName/x", None, "search"),
    ("GET", "/artifact/model/123/audit", None, "search"),
    ("GET", "/artifact/model/123/lineage", None, "search"),
    (
        "POST",
        "/artifact/model/123/license-check",
        {"github_url": "https://github.com/a/b"},
        "search",
    ),
    ("POST", "/artifact/byRegEx", {"regex": "x"}, "search"),
    ("GET", "/artifacts/model/123/download", None, "download"),
    # Atomic groups (extension, R25): the single-artifact routes' permissions.
    ("POST", "/groups", None, "upload"),
    ("GET", "/groups", None, "upload"),
    ("GET", "/groups/00000000-0000-0000-0000-000000000000", None, "upload"),
    (
        "POST",
        "/groups/00000000-0000-0000-0000-000000000000/commands",
        {"op": "delete", "type": "model", "id": "123"},
        "upload",
    ),
    ("POST", "/groups/00000000-0000-0000-0000-000000000000/execute", None, "upload"),
    ("GET", "/groups/00000000-0000-0000-0000-000000000000/download", None, "download"),
    # Reviews and browsing (extension, issue 18.4): readers' routes.
    ("GET", "/artifacts/model/123/reviews", None, "search"),
    ("GET", "/artifacts/model/123/reviews/searcher", None, "search"),
    ("PUT", "/artifacts/model/123/reviews/searcher", {"stars": 4, "text": "ok"}, "search"),
    ("DELETE", "/artifacts/model/123/reviews/searcher", None, "search"),
    ("GET", "/browse", None, "search"),
    ("GET", "/users", None, "admin"),
    (
        "POST",
        "/users",
        {"user": {"name": "z", "is_admin": False}, "secret": {"password": "p"}},
        "admin",
    ),
    ("PUT", "/users/searcher/permissions", {"permissions": ["search"]}, "admin"),
    ("DELETE", "/reset", None, "admin"),
]


def _login(client: httpx.Client, name: str, password: str = PASSWORD) -> str:
    response = client.put(
        "/authenticate",
        json={"user": {"name": name, "is_admin": False}, "secret": {"password": password}},
    )
    assert response.status_code == 200, response.text
    token: str = response.json()
    return token


@pytest.fixture(scope="module")
def access(topology_kind: str, request: pytest.FixtureRequest) -> Iterator[Topology]:
    with topology(topology_kind, ACCESS, request, pooled=False) as running:
        yield running


@pytest.fixture(scope="module")
def registry(access: Topology) -> RunningRegistry:
    """One registry for the module, with one user per permission."""
    running = access.shared()
    with running.admin() as admin:
        for name, permissions in USERS.items():
            response = admin.post(
                "/users",
                json={
                    "user": {"name": name, "is_admin": False},
                    "secret": {"password": PASSWORD},
                    "permissions": permissions,
                },
            )
            assert response.status_code == 201, response.text
    return running


@pytest.fixture(autouse=True)
def _invariant(access: Topology, request: pytest.FixtureRequest) -> Iterator[None]:
    with access.checked(request):
        yield


@pytest.fixture(scope="module")
def tokens(registry: RunningRegistry) -> dict[str, str]:
    with registry.client() as client:
        return {name: _login(client, name) for name in USERS}


@pytest.mark.parametrize("user", sorted(USERS))
@pytest.mark.parametrize(("method", "path", "body", "needs"), ROUTES)
def test_every_route_checks_its_permission(
    registry: RunningRegistry,
    tokens: dict[str, str],
    user: str,
    method: str,
    path: str,
    body: Any,
    needs: str,
) -> None:
    if needs == "admin" and path == "/reset":
        pytest.skip("reset is exercised by the admin tests (it would delete these users)")
    with registry.client() as client:
        response = client.request(
            method, path, json=body, headers={"X-Authorization": tokens[user]}
        )
        anonymous = client.request(method, path, json=body)
    assert anonymous.status_code == 403, (method, path)
    if needs in USERS[user]:
        assert response.status_code not in (401, 403), (user, method, path, response.text)
    else:
        assert response.status_code == 401, (user, method, path, response.text)
        assert needs in response.json()["detail"]


def test_user_management_round_trip(registry: RunningRegistry, tokens: dict[str, str]) -> None:
    with registry.admin() as admin, registry.client() as client:
        weak = admin.post(
            "/users",
            json={"user": {"name": "weak", "is_admin": False}, "secret": {"password": "abc"}},
        )
        assert weak.status_code == 400
        assert "12 characters" in weak.json()["detail"]
        created = admin.post(
            "/users",
            json={
                "user": {"name": "temp'; DROP TABLE auth_users;--", "is_admin": False},
                "secret": {"password": PASSWORD},
                "permissions": ["search"],
            },
        )
        assert created.status_code == 201
        duplicate = admin.post(
            "/users",
            json={
                "user": {"name": "uploader", "is_admin": False},
                "secret": {"password": PASSWORD},
            },
        )
        assert duplicate.status_code == 409
        names = {u["name"] for u in admin.get("/users").json()}
        assert {"temp'; DROP TABLE auth_users;--", "uploader", DEFAULT_ADMIN} <= names

        temp_token = _login(client, "temp'; DROP TABLE auth_users;--")
        other = client.delete("/users/uploader", headers={"X-Authorization": temp_token})
        assert other.status_code == 401  # only admins delete others
        own = client.delete(
            "/users/temp'; DROP TABLE auth_users;--", headers={"X-Authorization": temp_token}
        )
        assert own.status_code == 200
        assert client.get("/users", headers={"X-Authorization": temp_token}).status_code == 403


def test_permission_change_revokes_tokens(registry: RunningRegistry) -> None:
    with registry.admin() as admin, registry.client() as client:
        admin.post(
            "/users",
            json={
                "user": {"name": "mover", "is_admin": False},
                "secret": {"password": PASSWORD},
                "permissions": ["search"],
            },
        )
        token = _login(client, "mover")
        assert (
            client.post(
                "/artifacts", json=[{"name": "*"}], headers={"X-Authorization": token}
            ).status_code
            == 200
        )
        changed = admin.put("/users/mover/permissions", json={"permissions": ["upload"]})
        assert changed.json()["permissions"] == ["upload"]
        revoked = client.post(
            "/artifacts", json=[{"name": "*"}], headers={"X-Authorization": token}
        )
        assert revoked.status_code == 403
        fresh = _login(client, "mover")
        assert (
            client.post(
                "/artifacts", json=[{"name": "*"}], headers={"X-Authorization": fresh}
            ).status_code
            == 401
        )  # no longer allowed to search


def test_token_is_good_for_exactly_its_budget_of_calls(registry: RunningRegistry) -> None:
    with registry.client() as client:
        token = registry.admin_token()
        statuses = [
            client.post(
                "/artifacts", json=[{"name": "*"}], headers={"X-Authorization": token}
            ).status_code
            for _ in range(BUDGET + 1)
        ]
    assert statuses == [200] * BUDGET + [403]
