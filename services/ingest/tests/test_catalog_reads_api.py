"""Ingest's catalog reads (registry_ingest.reads) through its internal routes, on the app from
`create_app` with SQLite and blobs on disk and three uploaded datasets: pages and their
offsets, the query ceiling, name and regex search, cost, downloads by part, the audit trail,
and deletion."""

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

TOKEN = "ingest-internal-token-for-catalog-reads"


def _zip(name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.md", f"# {name}\nRows about penguins of {name}.\n")
        archive.writestr("data.csv", "a,b\n1,2\n" * 50)
    return buffer.getvalue()


@pytest.fixture
def ingest(tmp_path: Path) -> Iterator[tuple[TestClient, list[str]]]:
    runtime = RuntimeSettings(data_dir=tmp_path, telemetry_exporter="none", internal_token=TOKEN)
    app = create_app(IngestSettings(runtime=runtime, page_size=2, max_queries=2))
    headers = {INTERNAL_TOKEN_HEADER: TOKEN, USER_HEADER: "alice"}
    with TestClient(app, headers=headers) as client:
        ids = []
        for name in ("antarctic", "galapagos", "humboldt"):
            answer = client.post(
                "/internal/artifacts/dataset/upload",
                files={"file": (f"{name}.zip", _zip(name), "application/zip")},
                data={"name": name, "version": "1.0.0"},
            )
            assert answer.status_code in (200, 201), answer.text
            ids.append(answer.json()["artifact"]["metadata"]["id"])
        yield client, ids


Ingest = tuple[TestClient, list[str]]


def test_pages_and_the_query_ceiling(ingest: Ingest) -> None:
    client, _ = ingest
    first = client.post("/internal/catalog/query", json={"queries": [{"name": "*"}]}).json()
    assert [i["name"] for i in first["items"]] == ["antarctic", "galapagos"]
    assert first["next_offset"] is not None
    rest = client.post(
        "/internal/catalog/query",
        json={"queries": [{"name": "*"}], "offset": first["next_offset"]},
    ).json()
    assert ([i["name"] for i in rest["items"]], rest["next_offset"]) == (["humboldt"], None)
    versioned = client.post(
        "/internal/catalog/query", json={"queries": [{"name": "humboldt", "version": "^1.0.0"}]}
    ).json()
    assert [i["name"] for i in versioned["items"]] == ["humboldt"]
    too_many = client.post(
        "/internal/catalog/query", json={"queries": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}
    )
    assert too_many.status_code == 413
    assert too_many.json()["detail"] == "At most 2 queries fit in one request; split it."


def test_name_and_readme_search(ingest: Ingest) -> None:
    client, ids = ingest
    named = client.get("/internal/catalog/by-name", params={"name": "galapagos"}).json()
    assert [r["id"] for r in named] == [ids[1]]
    found = client.post("/internal/catalog/regex", json={"regex": "penguins of (ant|hum)"}).json()
    assert sorted(r["name"] for r in found) == ["antarctic", "humboldt"]


def test_cost_download_audit_and_delete(ingest: Ingest) -> None:
    client, ids = ingest
    base = f"/internal/artifacts/dataset/{ids[0]}"
    assert client.get(f"{base}/cost").json()["standalone_mb"] > 0
    bad_part = client.get(f"{base}/download", params={"part": "bits"})
    assert bad_part.status_code == 400
    assert bad_part.json()["detail"] == (
        "Unknown part 'bits'; choose one of full, weights, config, card."
    )
    full = client.get(f"{base}/download", params={"client": "10.1.2.3"})
    assert full.status_code == 200, full.text
    assert client.post(f"{base}/audit/RATE").json() == {"status": "recorded"}
    trail = client.get(f"{base}/audit").json()
    assert [e["action"] for e in trail] == ["CREATE", "DOWNLOAD", "RATE", "AUDIT"]
    assert client.delete(base).json() == {"status": "deleted"}
    gone = client.get(base)
    assert gone.status_code == 404
    assert gone.json()["detail"] == f"No dataset artifact has id {ids[0]!r}."
