"""Ingest's internal group routes (registry_ingest.group_api) through HTTP, on the app from
`create_app` with SQLite and blobs on disk: an upload group from creation to its download
manifest, and the refusals a caller gets on the way."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from registry_common.http import INTERNAL_TOKEN_HEADER, USER_HEADER
from registry_common.settings import RuntimeSettings
from registry_ingest.app import create_app
from registry_ingest.config import IngestSettings

TOKEN = "ingest-internal-token-for-group-routes"
ALICE = {USER_HEADER: "alice"}


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.md", "# Rows\nA small table.\n")
        archive.writestr("data.csv", "a,b\n1,2\n")
    return buffer.getvalue()


@pytest.fixture
def ingest(tmp_path: Path) -> Iterator[TestClient]:
    runtime = RuntimeSettings(data_dir=tmp_path, telemetry_exporter="none", internal_token=TOKEN)
    app = create_app(IngestSettings(runtime=runtime))
    with TestClient(app, headers={INTERNAL_TOKEN_HEADER: TOKEN}) as client:
        yield client


def test_a_group_request_needs_a_named_caller(ingest: TestClient) -> None:
    for answer in (ingest.post("/internal/groups"), ingest.get("/internal/groups")):
        assert answer.status_code == 403, answer.text
        assert answer.json()["detail"] == "A group request belongs to an authenticated user."


def test_an_upload_group_from_creation_to_its_download(ingest: TestClient) -> None:
    group = ingest.post("/internal/groups", headers=ALICE).json()
    gid = group["id"]
    assert [g["id"] for g in ingest.get("/internal/groups", headers=ALICE).json()] == [gid]

    early = ingest.get(f"/internal/groups/{gid}/download", headers=ALICE)
    assert early.status_code == 409
    assert early.json()["detail"] == (
        f"The group {gid!r} is open; only an executed (committed) group can be downloaded."
    )
    as_json = ingest.post(
        f"/internal/groups/{gid}/commands", headers=ALICE, json={"op": "upload", "type": "dataset"}
    )
    assert as_json.status_code == 400
    assert as_json.json()["detail"] == (
        "Send an upload command as a multipart form to .../commands/upload."
    )
    added = ingest.post(
        f"/internal/groups/{gid}/commands/upload",
        headers=ALICE,
        files={"file": ("rows.zip", _zip(), "application/zip")},
        data={"type": "dataset", "name": "rows"},
    )
    assert added.status_code == 200, added.text
    assert ingest.get(f"/internal/groups/{gid}", headers=ALICE).json()["state"] == "open"

    executed = ingest.post(f"/internal/groups/{gid}/execute", headers=ALICE)
    assert executed.status_code == 200, executed.text
    outcome = executed.json()
    assert outcome["state"] == "committed"
    (described,) = outcome["artifacts"]
    artifact = described["metadata"]
    assert (artifact["name"], artifact["type"]) == ("rows", "dataset")
    assert described["extra"]["status"] == "ready"

    manifest = ingest.get(
        f"/internal/groups/{gid}/download", headers=ALICE, params={"client": "10.0.0.1"}
    )
    assert manifest.status_code == 200, manifest.text
    body = manifest.json()
    assert body["group"] == gid
    (item,) = body["items"]
    assert (item["id"], item["name"], item["type"]) == (artifact["id"], "rows", "dataset")

    # Someone else's group is not theirs to see.
    hidden = ingest.get(f"/internal/groups/{gid}", headers={USER_HEADER: "bob"})
    assert hidden.status_code == 404
    assert hidden.json()["detail"] == f"No group request has id {gid!r} (for you)."
