"""Hostile source URLs through the gateway of an embedded registry: each is a 400 with a
sentence, the internal server behind them never sees a request, and nothing is stored.

Two loopback servers stand in for the world: ``allowed`` is an origin the operator allowed
(REGISTRY_OUTBOUND_ALLOW_ORIGINS), ``internal`` is any other service on the machine.
"""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.harness.registry import RunningRegistry, embedded
from tests.harness.scoring_double import scoring_double

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


class _Site:
    """A loopback web server that answers from a table and counts the requests it gets."""

    def __init__(self, routes: dict[str, tuple[int, dict[str, str], bytes]]) -> None:
        self.routes = routes
        self.requests: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests.append(self.path)
                status, headers, body = site.routes.get(self.path, (404, {}, b""))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sites() -> Iterator[tuple[_Site, _Site]]:
    internal = _Site({"/secret": (200, {}, b"the internal service's secret")})
    allowed = _Site(
        {
            "/tool.py": (200, {"Content-Type": "text/x-python"}, b"print('hello')\n"),
            "/to-internal": (302, {"Location": f"{internal.url}/secret"}, b""),
            "/members-only.bin": (401, {"WWW-Authenticate": "Bearer"}, b""),
        }
    )
    try:
        yield allowed, internal
    finally:
        allowed.close()
        internal.close()


@pytest.fixture
def registry(tmp_path: Path, sites: tuple[_Site, _Site]) -> Iterator[RunningRegistry]:
    allowed, _ = sites
    with embedded(
        tmp_path / "registry",
        runtime={"outbound_allow_origins": allowed.url},
        factories={"scoring": scoring_double()},
    ) as running:
        yield running


@pytest.fixture
def admin(registry: RunningRegistry) -> Iterator[httpx.Client]:
    with registry.admin() as client:
        yield client


def _hostile(allowed: _Site, internal: _Site) -> list[tuple[str, str]]:
    port = internal.port
    refused = "which the registry does not fetch from"
    return [
        (f"{internal.url}/secret", f"'127.0.0.1' is a loopback address, {refused}"),
        (f"http://localhost:{port}/secret", "'localhost' resolves to a loopback address"),
        (f"http://2130706433:{port}/secret", "resolves to a loopback address (127.0.0.1)"),
        (f"http://127.1:{port}/secret", "resolves to a loopback address (127.0.0.1)"),
        (f"http://0x7f.1:{port}/secret", "resolves to a loopback address (127.0.0.1)"),
        (f"http://[::1]:{port}/secret", "is a loopback address"),
        (f"http://[::ffff:127.0.0.1]:{port}/secret", "a loopback address in IPv4-mapped form"),
        (f"http://0.0.0.0:{port}/secret", "is an unspecified address"),
        ("http://169.254.169.254/latest/meta-data/iam/", "is the cloud metadata address"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "is the cloud metadata address"),
        ("http://10.0.0.5/model.bin", "is a private address"),
        ("http://192.168.1.1/model.bin", "is a private address"),
        ("http://100.64.0.1/model.bin", "is a shared (CGNAT) address"),
        ("http://[fc00::1]/model.bin", "is a unique-local address"),
        ("http://[fe80::1]/model.bin", "is a link-local address"),
        (f"{allowed.url}/to-internal", f"redirects to {internal.url}/secret, and the address"),
    ]


def test_hostile_urls_are_400_with_a_sentence_and_nothing_is_stored(
    admin: httpx.Client, registry: RunningRegistry, sites: tuple[_Site, _Site]
) -> None:
    allowed, internal = sites
    for url, fragment in _hostile(allowed, internal):
        response = admin.post("/artifact/code", json={"url": url})
        assert response.status_code == 400, (url, response.text)
        body = response.json()
        assert fragment in body["detail"], (url, body)
        assert body["detail"].endswith("Nothing was registered."), body
        assert body["code"] == "url_refused", body
    assert internal.requests == []  # not one connection reached the internal service
    assert admin.post("/artifacts", json=[{"name": "*"}]).json() == []
    blobs = registry.data_dir / "blobs"
    assert not blobs.exists() or not any(p.is_file() for p in blobs.rglob("*"))


def test_an_update_to_a_hostile_url_is_refused_and_keeps_the_content(
    admin: httpx.Client, sites: tuple[_Site, _Site]
) -> None:
    allowed, internal = sites
    created = admin.post("/artifact/code", json={"url": f"{allowed.url}/tool.py"})
    assert created.status_code == 201, created.text
    meta = created.json()["metadata"]
    update = {"metadata": meta, "data": {"url": f"http://localhost:{internal.port}/secret"}}
    response = admin.put(f"/artifacts/code/{meta['id']}", json=update)
    assert response.status_code == 400, response.text
    assert "loopback address" in response.json()["detail"]
    assert internal.requests == []
    after = admin.get(f"/artifacts/code/{meta['id']}").json()
    assert after["data"]["url"] == f"{allowed.url}/tool.py"


def test_what_cannot_be_fetched_says_why(admin: httpx.Client) -> None:
    cases: list[tuple[str, Any]] = [
        ("http://no-such-host.invalid/tool.py", "could not be resolved"),
        ("http://127.0.0.1:9/tool.py", "loopback address"),
    ]
    for url, fragment in cases:
        response = admin.post("/artifact/code", json={"url": url})
        assert response.status_code == 400, (url, response.text)
        assert fragment in response.json()["detail"]
    assert admin.post("/artifacts", json=[{"name": "*"}]).json() == []


def test_an_allowed_origin_is_fetched_and_credentials_stay_a_contract_case(
    admin: httpx.Client, sites: tuple[_Site, _Site]
) -> None:
    allowed, _ = sites
    created = admin.post("/artifact/code", json={"url": f"{allowed.url}/tool.py"})
    assert created.status_code == 201, created.text
    artifact_id = created.json()["metadata"]["id"]
    download = admin.get(f"/artifacts/code/{artifact_id}/download")
    assert download.status_code == 200, download.text
    with zipfile.ZipFile(io.BytesIO(download.content)) as bundle:
        assert bundle.read("tool.py") == b"print('hello')\n"

    missing = admin.post("/artifact/code", json={"url": f"{allowed.url}/nothing-here"})
    assert missing.status_code == 400
    assert "HTTP 404: nothing is at that address" in missing.json()["detail"]

    # A public source that needs credentials is registered with its URL, as the contract
    # requires for gated datasets and Kaggle pages.
    gated = admin.post("/artifact/code", json={"url": f"{allowed.url}/members-only.bin"})
    assert gated.status_code == 201, gated.text
    details = admin.get(f"/artifacts/code/{gated.json()['metadata']['id']}/details").json()
    assert details["complete"] is False
    assert "needs credentials" in details["notes"][0]
