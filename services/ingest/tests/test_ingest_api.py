"""The ingest service's internal routes as a component: its app from `create_app` with
SQLite and blobs on disk, asked over HTTP the way the gateway asks. Here: the refusals a
caller can act on, each with its sentence."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from registry_common.http import INTERNAL_TOKEN_HEADER, USER_HEADER
from registry_common.settings import RuntimeSettings
from registry_ingest.app import create_app
from registry_ingest.config import IngestSettings

TOKEN = "ingest-internal-token-for-tests"


@pytest.fixture
def ingest(tmp_path: Path) -> Iterator[TestClient]:
    runtime = RuntimeSettings(data_dir=tmp_path, telemetry_exporter="none", internal_token=TOKEN)
    app = create_app(IngestSettings(runtime=runtime))
    headers = {INTERNAL_TOKEN_HEADER: TOKEN, USER_HEADER: "alice"}
    with TestClient(app, headers=headers) as client:
        yield client


def _refusal(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    detail: str = response.json()["detail"]
    return detail


def test_an_update_must_name_the_artifact_of_its_path(ingest: TestClient) -> None:
    answer = ingest.put(
        "/internal/artifacts/model/123",
        json={"id": "456", "name": "m", "url": "https://huggingface.co/org/m"},
    )
    assert _refusal(answer, 400) == "metadata.id '456' does not match the id in the path '123'."


def test_an_unknown_audit_action_is_refused(ingest: TestClient) -> None:
    answer = ingest.post("/internal/artifacts/model/123/audit/STEAL")
    assert _refusal(answer, 400) == "Unknown audit action 'STEAL'."


def test_a_missing_artifact_is_a_404_naming_type_and_id(ingest: TestClient) -> None:
    answer = ingest.get("/internal/artifacts/dataset/999")
    assert _refusal(answer, 404) == "No dataset artifact has id '999'."


def test_catalog_queries_explain_their_refusals(ingest: TestClient) -> None:
    star = ingest.get("/internal/catalog/by-name", params={"name": "*"})
    assert (
        _refusal(star, 400) == "The name '*' is reserved; use POST /artifacts to list everything."
    )
    nobody = ingest.get("/internal/catalog/by-name", params={"name": "ghost"})
    assert _refusal(nobody, 404) == "No artifact is named 'ghost'."
    none = ingest.post("/internal/catalog/query", json={"queries": [], "offset": None})
    assert _refusal(none, 400) == 'Send at least one query, e.g. [{"name": "*"}].'
    unknown_type = ingest.post(
        "/internal/catalog/query", json={"queries": [{"name": "*", "types": ["spaceship"]}]}
    )
    assert "Unknown artifact type(s)" in _refusal(unknown_type, 400)
    bad_offset = ingest.post(
        "/internal/catalog/query", json={"queries": [{"name": "*"}], "offset": "minus one"}
    )
    assert _refusal(bad_offset, 400).startswith(
        "The offset must be the value of a previous response's offset header"
    )
    no_match = ingest.post("/internal/catalog/regex", json={"regex": "^nothing-here$"})
    assert _refusal(no_match, 404) == "No artifact's name or README matches '^nothing-here$'."
