"""The gateway serves the built web UI at /ui/ (SPA fallback, cache headers, a clear 503 when
it is not built) without touching the API or its document; and GET /users/me."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Header
from fastapi.testclient import TestClient

from registry_common.errors import AuthenticationFailed
from registry_common.http import build_service_app
from registry_common.settings import RuntimeSettings
from registry_common.telemetry import create_tracer_provider
from registry_gateway.app import create_app
from registry_gateway.clients import ServiceClients
from registry_gateway.config import GatewaySettings
from registry_gateway.webui import IMMUTABLE, locate_ui_dir
from tests.harness.openapi_diff import compare_to_spec, load_spec, locate_spec

INDEX = "<!doctype html><title>Model Registry</title><div id=root></div>"
ASSET = "console.log('app')"


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    built = tmp_path / "dist"
    (built / "assets").mkdir(parents=True)
    (built / "index.html").write_text(INDEX)
    (built / "assets" / "index-3f2a9c.js").write_text(ASSET)
    (built / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    return built


def _client(tmp_path: Path, ui_dir: Path, **kwargs: Any) -> TestClient:
    settings = GatewaySettings(runtime=RuntimeSettings(data_dir=tmp_path / "data"), ui_dir=ui_dir)
    return TestClient(create_app(settings, **kwargs), follow_redirects=False)


@pytest.fixture
def client(tmp_path: Path, dist: Path) -> Iterator[TestClient]:
    with _client(tmp_path, dist) as the_client:
        yield the_client


def test_root_and_bare_prefix_redirect_to_the_ui(client: TestClient) -> None:
    for path in ("/", "/ui"):
        response = client.get(path)
        assert response.status_code == 307
        assert response.headers["location"] == "/ui/"


@pytest.mark.parametrize("path", ["/ui/", "/ui/artifacts", "/ui/artifacts/model/123", "/ui/a/b/"])
def test_client_routes_answer_index_html_revalidated(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_hashed_assets_are_immutable(client: TestClient) -> None:
    response = client.get("/ui/assets/index-3f2a9c.js")
    assert response.status_code == 200
    assert response.text == ASSET
    assert response.headers["cache-control"] == IMMUTABLE
    assert "javascript" in response.headers["content-type"]


def test_unhashed_root_files_are_served_revalidated(client: TestClient) -> None:
    response = client.get("/ui/favicon.svg")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"


def test_index_is_revalidated_with_its_etag(client: TestClient) -> None:
    etag = client.get("/ui/browse").headers["etag"]
    assert client.get("/ui/browse", headers={"If-None-Match": etag}).status_code == 304


def test_a_missing_asset_is_404_not_index_html(client: TestClient) -> None:
    response = client.get("/ui/assets/index-old.js")
    assert response.status_code == 404
    assert "trace_id" in response.json()


def test_paths_cannot_escape_the_build(client: TestClient, dist: Path) -> None:
    (dist.parent / "secret.txt").write_text("secret")
    for path in ("/ui/../secret.txt", "/ui/%2e%2e/secret.txt", "/ui/assets/..%2f..%2fsecret.txt"):
        response = client.get(path)
        assert "secret" not in response.text, path


def test_unbuilt_ui_is_a_503_saying_how_to_build_it(tmp_path: Path) -> None:
    with _client(tmp_path, tmp_path / "nothing-here") as client:
        response = client.get("/ui/artifacts")
        assert client.get("/health").status_code == 200  # the API is unaffected
    assert response.status_code == 503
    body = response.json()
    assert "web UI is not built" in body["detail"]
    assert "make ui" in body["detail"]
    assert body["code"] == "web_ui_not_built"
    assert body["trace_id"]


def test_a_build_made_after_start_is_served_without_restart(tmp_path: Path) -> None:
    later = tmp_path / "later"
    with _client(tmp_path, later) as client:
        assert client.get("/ui/").status_code == 503
        later.mkdir()
        (later / "index.html").write_text(INDEX)
        assert client.get("/ui/").text == INDEX


def test_ui_routes_are_not_in_the_api_document_and_shadow_nothing(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert not [p for p in document["paths"] if p == "/" or p.startswith("/ui")]
    assert compare_to_spec(document, load_spec(locate_spec())) == []
    # API routes still answer as the API (JSON errors), not as the UI.
    assert client.get("/health").json() == {"status": "ok"}
    # No auth service runs here: the API route answers (naming it), not the UI.
    listed = client.post("/artifacts", json=[{"name": "*"}])
    assert "auth service" in listed.json()["detail"]
    assert client.get("/no-such-route").status_code == 404


def test_locate_prefers_the_setting_then_the_checkout(tmp_path: Path) -> None:
    assert locate_ui_dir(tmp_path / "x") == tmp_path / "x"
    found = locate_ui_dir(None, cwd=tmp_path)
    # The tests run from the workspace checkout, whose ui/ has a package.json.
    assert found.name == "dist"
    assert (found.parent / "package.json").is_file()


# ------------------------------------------------------------------------------------------
# GET /users/me: who the token belongs to, from the auth service's token check
# ------------------------------------------------------------------------------------------


INTERNAL_TOKEN = "internal-token-of-the-webui-tests"


def _auth_stand_in() -> FastAPI:
    app = build_service_app(
        "auth",
        tracer_provider=create_tracer_provider("auth", "none"),
        internal_token=INTERNAL_TOKEN,
    )

    @app.post("/internal/tokens/spend")
    async def spend(x_authorization: str | None = Header(default=None)) -> dict[str, Any]:
        if x_authorization != "bearer good":
            raise AuthenticationFailed("The token is missing, invalid or expired; sign in.")
        return {"name": "alice", "is_admin": False, "permissions": ["search", "download"]}

    return app


def test_users_me_names_the_caller_and_their_permissions(tmp_path: Path, dist: Path) -> None:
    provider = create_tracer_provider("gateway", "none")
    apps = {name: FastAPI() for name in ("ingest", "scoring", "lineage", "health")}
    clients = ServiceClients.in_process(
        {"auth": _auth_stand_in(), **apps}, provider, INTERNAL_TOKEN
    )
    with _client(tmp_path, dist, clients=clients, tracer_provider=provider) as client:
        me = client.get("/users/me", headers={"X-Authorization": "bearer good"})
        expired = client.get("/users/me", headers={"X-Authorization": "bearer stale"})
    assert me.status_code == 200
    assert me.json() == {"name": "alice", "is_admin": False, "permissions": ["download", "search"]}
    assert expired.status_code == 403
