"""The gateway's atomic group routes (registry_gateway.groups) on the app from `create_app`,
with the internal services faked at the transport: what each public call asks ingest, as
whom, what the caller gets back (public artifacts with download URLs, the group zip), and the
refusals the gateway itself makes."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from registry_common.blobs.local import LocalBlobStore
from registry_common.http import USER_HEADER, ServiceClient
from registry_common.settings import RuntimeSettings
from registry_gateway.app import create_app
from registry_gateway.clients import ServiceClients
from registry_gateway.config import GatewaySettings
from services.gateway.tests.test_gateway_service import FakeServices

GID = "0b6f3f7e-3d1c-4e9a-9a51-2f0c6d1b8e11"
AUTH = {"X-Authorization": "bearer a-registry-token"}
BUNDLE = b"PK-a-stored-bundle"


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[tuple[TestClient, FakeServices]]:
    services = FakeServices()
    clients = ServiceClients(
        **{
            name: ServiceClient(name, f"http://{name}.internal", transport=services.transport(name))
            for name in ("auth", "ingest", "scoring", "lineage", "health")
        }
    )
    services.answer(
        "auth",
        "POST",
        "/internal/tokens/spend",
        httpx.Response(
            200, json={"name": "ada", "is_admin": False, "permissions": ["upload", "download"]}
        ),
    )
    settings = GatewaySettings(
        runtime=RuntimeSettings(data_dir=tmp_path, telemetry_exporter="none")
    )
    blobs = LocalBlobStore(tmp_path / "blobs")
    app = create_app(settings, clients=clients, blobs=blobs)
    with TestClient(app, headers=AUTH) as client:
        yield client, services


Gateway = tuple[TestClient, FakeServices]


def test_requests_are_forwarded_as_the_caller(gateway: Gateway) -> None:
    client, services = gateway
    group = {
        "id": GID,
        "owner": "ada",
        "state": "open",
        "created_at": "2026-12-08T00:00:00Z",
        "expires_at": "2026-12-08T01:00:00Z",
        "commands": [],
    }
    services.answer("ingest", "POST", "/internal/groups", httpx.Response(200, json=group))
    services.answer("ingest", "GET", "/internal/groups", httpx.Response(200, json=[group]))
    services.answer("ingest", "GET", f"/internal/groups/{GID}", httpx.Response(200, json=group))
    command = {"position": 0, "op": "delete", "type": "model", "id": "7"}
    services.answer(
        "ingest", "POST", f"/internal/groups/{GID}/commands", httpx.Response(200, json=command)
    )
    created = client.post("/groups")
    assert (created.status_code, created.json()["id"]) == (201, GID)
    assert client.get("/groups").json()[0]["id"] == GID
    assert client.get(f"/groups/{GID}").json()["state"] == "open"
    added = client.post(
        f"/groups/{GID}/commands", json={"op": "delete", "type": "model", "id": "7"}
    )
    assert added.status_code == 201, added.text
    sent = services.sent("ingest")
    assert [r.headers[USER_HEADER] for r in sent] == ["ada"] * 4
    assert json.loads(sent[-1].content)["id"] == "7"


def test_an_upload_must_be_a_multipart_form(gateway: Gateway) -> None:
    client, services = gateway
    answer = client.post(f"/groups/{GID}/commands/upload", json={"type": "model"})
    assert answer.status_code == 400
    assert answer.json()["detail"] == (
        "Send the zip as a multipart/form-data form with `file` and `type` fields (and "
        "optional `name` and `version`)."
    )
    assert services.sent("ingest") == []


def test_an_upload_streams_to_ingest(gateway: Gateway) -> None:
    client, services = gateway
    command = {"position": 0, "op": "upload", "type": "dataset"}
    services.answer(
        "ingest",
        "POST",
        f"/internal/groups/{GID}/commands/upload",
        httpx.Response(200, json=command),
    )
    answer = client.post(
        f"/groups/{GID}/commands/upload",
        files={"file": ("d.zip", b"PK-zip", "application/zip")},
        data={"type": "dataset"},
    )
    assert answer.status_code == 201, answer.text
    (sent,) = services.sent("ingest")
    assert sent.headers["content-type"].startswith("multipart/form-data")
    assert b"PK-zip" in sent.content


def test_execute_answers_public_artifacts(gateway: Gateway) -> None:
    client, services = gateway
    outcome = {
        "id": GID,
        "owner": "ada",
        "state": "committed",
        "created_at": "2026-12-08T00:00:00Z",
        "expires_at": "2026-12-08T01:00:00Z",
        "commands": [],
        "artifacts": [
            {
                "metadata": {"name": "rows", "id": "9", "type": "dataset"},
                "data": {"url": "upload://rows.zip"},
            }
        ],
    }
    services.answer(
        "ingest", "POST", f"/internal/groups/{GID}/execute", httpx.Response(200, json=outcome)
    )
    answer = client.post(f"/groups/{GID}/execute")
    assert answer.status_code == 200, answer.text
    (artifact,) = answer.json()["artifacts"]
    assert artifact["data"]["download_url"] == "http://testserver/artifacts/dataset/9/download"


def test_a_group_downloads_as_one_zip_with_its_manifest(gateway: Gateway, tmp_path: Path) -> None:
    client, services = gateway
    key = "artifacts/9/r1/full.zip"
    (tmp_path / "blobs" / "artifacts/9/r1").mkdir(parents=True)
    (tmp_path / "blobs" / key).write_bytes(BUNDLE)
    item = {
        "id": "9",
        "name": "rows",
        "type": "dataset",
        "key": key,
        "size": len(BUNDLE),
        "sha256": "0" * 64,
        "filename": "rows.zip",
    }
    snapshot = {"group": GID, "snapshot_at": "2026-12-08T00:00:00Z", "items": [item]}
    services.answer(
        "ingest", "GET", f"/internal/groups/{GID}/download", httpx.Response(200, json=snapshot)
    )
    answer = client.get(f"/groups/{GID}/download")
    assert answer.status_code == 200, answer.text
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        assert archive.read("dataset/9-rows.zip") == BUNDLE
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["items"][0]["file"] == "dataset/9-rows.zip"
    (sent,) = services.sent("ingest")
    assert sent.headers[USER_HEADER] == "ada"
