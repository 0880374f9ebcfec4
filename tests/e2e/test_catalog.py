"""The catalog end to end through the gateway, in both topologies, against the fake Hugging
Face Hub and fake GitHub, with the scoring test double answering ratings (the tests check
the catalog, not the scores: the real scorer runs in test_rating_audit_health)."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.harness.registry import RunningRegistry
from tests.harness.topology import Setup, Topology, topology

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

BERT = "https://huggingface.co/google-bert/bert-base-uncased"
WHISPER_CODE = "https://github.com/openai/whisper.git"


# The scoring double rates models with chosen values, so both outcomes of the gate show in
# one registry: it refuses the audience classifier (every metric 0.2), takes the rest (0.8),
# and never rates minilm-base (accepted as 202 after the wait, which is long enough for the
# double's rating to cross the distributed bus). Enumerate pages hold 5 (the paging test).
# The atomic-group tests (test_groups.py) share this setup, so one distributed registry serves
# both modules: their group requests expire after 8 s (the expiry test waits that long).
CATALOG = Setup(
    settings={
        "ingest": {
            "page_size": 5,
            "rating_wait_seconds": 8,
            "gate_enabled": True,
            "group_ttl_seconds": 8,
        }
    },
    ratings={"audience": 0.2, "minilm-base": None, "": 0.8},
)
UNRATED_MODEL = "https://huggingface.co/lineage-lab/minilm-base"


@pytest.fixture(scope="module")
def catalog(topology_kind: str, request: pytest.FixtureRequest) -> Iterator[Topology]:
    with topology(topology_kind, CATALOG, request) as running:
        yield running


@pytest.fixture
def registry(catalog: Topology, request: pytest.FixtureRequest) -> Iterator[RunningRegistry]:
    with catalog.fresh(request) as running:
        yield running


@pytest.fixture
def admin(registry: RunningRegistry) -> Iterator[httpx.Client]:
    with registry.admin() as client:
        yield client


def create(admin: httpx.Client, kind: str, url: str, name: str | None = None) -> httpx.Response:
    body = {"url": url} if name is None else {"url": url, "name": name}
    return admin.post(f"/artifact/{kind}", json=body)


def test_register_a_model_and_read_it_back(admin: httpx.Client) -> None:
    created = create(admin, "model", BERT, name="my-bert copy (v2)")
    assert created.status_code == 201, created.text
    artifact = created.json()
    meta = artifact["metadata"]
    assert meta["name"] == "my-bert copy (v2)"  # stored verbatim
    assert meta["type"] == "model"
    assert artifact["data"]["url"] == BERT
    assert artifact["data"]["download_url"].endswith(f"/artifacts/model/{meta['id']}/download")

    fetched = admin.get(f"/artifacts/model/{meta['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == artifact
    assert admin.get(f"/artifacts/dataset/{meta['id']}").status_code == 404  # wrong type
    by_name = admin.get("/artifact/byName/my-bert copy (v2)")
    assert by_name.json() == [meta]


def test_names_come_from_the_url_when_not_given(admin: httpx.Client) -> None:
    cases = [
        ("model", BERT, "bert-base-uncased"),
        ("dataset", "https://huggingface.co/datasets/stanfordnlp/imdb", "imdb"),
        ("code", WHISPER_CODE, "whisper"),
        ("dataset", "https://www.kaggle.com/datasets/someone/some-data", "some-data"),
        ("code", "https://github.com/google-research/bert/tree/master/", "bert"),
    ]
    for kind, url, expected in cases:
        response = create(admin, kind, url)
        assert response.status_code == 201, (url, response.text)
        assert response.json()["metadata"]["name"] == expected, url


def test_a_burst_of_creates_gets_distinct_ids(registry: RunningRegistry) -> None:
    token = registry.admin_token()

    def one(i: int) -> httpx.Response:
        with registry.client(headers={"X-Authorization": token}) as client:
            return create(client, "model", BERT, name=f"burst-{i % 3}")

    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(one, range(30)))
    assert [r.status_code for r in responses] == [201] * 30
    ids = [r.json()["metadata"]["id"] for r in responses]
    assert len(set(ids)) == 30


def test_enumerate_pages_through_everything_in_a_stable_order(admin: httpx.Client) -> None:
    created = [create(admin, "code", WHISPER_CODE, name=f"w{i}").json() for i in range(12)]
    create(admin, "dataset", "https://huggingface.co/datasets/stanfordnlp/imdb")
    seen: list[dict[str, str]] = []
    offset: str | None = None
    pages = 0
    while True:
        response = admin.post(
            "/artifacts",
            json=[{"name": "*", "types": ["code"]}],
            params={"offset": offset} if offset else None,
        )
        assert response.status_code == 200, response.text
        assert len(response.json()) <= 5  # the configured page size
        seen.extend(response.json())
        pages += 1
        offset = response.headers.get("offset")
        if offset is None:
            break
    assert [s["id"] for s in seen] == [c["metadata"]["id"] for c in created]
    assert pages == 3
    named = admin.post("/artifacts", json=[{"name": "w3"}, {"name": "imdb"}])
    assert {a["name"] for a in named.json()} == {"w3", "imdb"}
    assert admin.post("/artifacts", json=[{"name": "nothing-like-this"}]).json() == []


def test_version_queries_select_tagged_versions(admin: httpx.Client) -> None:
    url = "https://huggingface.co/lineage-lab/minilm-imdb-sentiment"
    assert create(admin, "model", url).status_code == 201
    name = "minilm-imdb-sentiment"
    for query, expected in [("^1.0.0", 1), ("~1.1.0", 1), ("1.0.0-1.1.9", 1), ("^2.0.0", 0)]:
        found = admin.post("/artifacts", json=[{"name": name, "version": query}])
        assert found.status_code == 200, found.text
        assert len(found.json()) == expected, query
    bad = admin.post("/artifacts", json=[{"name": name, "version": "latest"}])
    assert bad.status_code == 400


def test_regex_search_covers_names_and_readmes(admin: httpx.Client) -> None:
    bert = create(admin, "model", BERT).json()["metadata"]
    whisper = create(admin, "code", WHISPER_CODE).json()["metadata"]
    by_name = admin.post("/artifact/byRegEx", json={"regex": ".*?(audience|bert).*"})
    assert by_name.status_code == 200
    assert bert in by_name.json()
    assert whisper not in by_name.json()
    # Found by README text only (the card talks about masked language modeling).
    by_card = admin.post("/artifact/byRegEx", json={"regex": "(?i)masked language model"})
    assert bert in by_card.json()
    hostile = admin.post("/artifact/byRegEx", json={"regex": "(a+)+$"})
    assert hostile.status_code == 404
    assert admin.post("/artifact/byRegEx", json={"regex": "(unclosed"}).status_code == 400
    assert admin.post("/artifact/byRegEx", json={"regex": "^zzz-nothing$"}).status_code == 404


def test_downloads_full_and_parts_with_ranges(admin: httpx.Client) -> None:
    meta = create(admin, "model", BERT).json()["metadata"]
    url = f"/artifacts/model/{meta['id']}/download"
    full = admin.get(url)
    assert full.status_code == 200
    assert full.headers["content-type"] == "application/zip"
    assert hashlib.sha256(full.content).hexdigest() == full.headers["X-Checksum-SHA256"]
    with zipfile.ZipFile(io.BytesIO(full.content)) as bundle:
        names = set(bundle.namelist())
        manifest = bundle.read("manifest.json")
    assert {"manifest.json", "README.md", "config.json"} <= names
    assert any(n.endswith(".safetensors") for n in names)
    assert b"sha256" in manifest

    card = admin.get(url, params={"part": "card"})
    with zipfile.ZipFile(io.BytesIO(card.content)) as part:
        assert set(part.namelist()) == {"manifest.json", "README.md"}
    weights = admin.get(url, params={"part": "weights"})
    with zipfile.ZipFile(io.BytesIO(weights.content)) as part:
        assert all(n == "manifest.json" or "." in n for n in part.namelist())
        assert "README.md" not in part.namelist()

    ranged = admin.get(url, headers={"Range": "bytes=10-99"})
    assert ranged.status_code == 206
    assert ranged.content == full.content[10:100]
    not_modified = admin.get(url, headers={"If-None-Match": full.headers["ETag"]})
    assert not_modified.status_code == 304
    assert admin.get(url, params={"part": "everything"}).status_code == 400


def test_cost_is_the_declared_download_size(admin: httpx.Client) -> None:
    meta = create(admin, "model", BERT).json()["metadata"]
    cost = admin.get(f"/artifact/model/{meta['id']}/cost")
    assert cost.status_code == 200
    body = cost.json()
    assert list(body) == [meta["id"]]
    assert body[meta["id"]]["total_cost"] > 0


def test_update_replaces_the_content_when_name_and_id_match(admin: httpx.Client) -> None:
    meta = create(admin, "code", WHISPER_CODE, name="tool").json()["metadata"]
    new_url = "https://github.com/google-research/bert"
    mismatch = admin.put(
        f"/artifacts/code/{meta['id']}",
        json={"metadata": {**meta, "name": "other"}, "data": {"url": new_url}},
    )
    assert mismatch.status_code == 400
    updated = admin.put(
        f"/artifacts/code/{meta['id']}", json={"metadata": meta, "data": {"url": new_url}}
    )
    assert updated.status_code == 200, updated.text
    assert admin.get(f"/artifacts/code/{meta['id']}").json()["data"]["url"] == new_url


def test_delete_removes_the_artifact_and_its_blobs(
    admin: httpx.Client, registry: RunningRegistry
) -> None:
    meta = create(admin, "model", BERT).json()["metadata"]
    blobs = f"artifacts/{meta['id']}/"
    assert registry.blob_keys(blobs)
    assert admin.delete(f"/artifacts/model/{meta['id']}").status_code == 200
    assert admin.get(f"/artifacts/model/{meta['id']}").status_code == 404
    assert admin.delete(f"/artifacts/model/{meta['id']}").status_code == 404
    assert registry.blob_keys(blobs) == []


def test_reset_empties_the_catalog(admin: httpx.Client) -> None:
    create(admin, "model", BERT)
    assert admin.delete("/reset").status_code == 200
    assert admin.post("/artifacts", json=[{"name": "*"}]).json() == []


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/artifact/model", {}, 400),
        ("/artifact/model", {"url": "not a url"}, 400),
        ("/artifact/model", {"url": "ftp://example.com/x"}, 400),
        ("/artifact/model", {"url": BERT, "name": "*"}, 400),
        ("/artifact/widget", {"url": BERT}, 400),
        ("/artifact/model", {"url": "https://huggingface.co/nobody/nothing-here"}, 404),
    ],
)
def test_bad_creates_say_what_to_fix(
    admin: httpx.Client, path: str, body: dict[str, str], status: int
) -> None:
    response = admin.post(path, json=body)
    assert response.status_code == status, response.text
    assert response.json()["detail"]


def test_ids_that_match_the_pattern_but_do_not_exist_are_404(admin: httpx.Client) -> None:
    assert admin.get("/artifacts/model/invalidId").status_code == 404
    assert admin.get("/artifacts/model/bad_id!").status_code == 400
    assert admin.post("/artifacts", json=[]).status_code == 400
    assert admin.post("/artifacts", json=[{"types": ["model"]}]).status_code == 400


def _zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_upload_an_internal_model_and_download_50_mb_verified(admin: httpx.Client) -> None:
    weights = os.urandom(50 * 1024 * 1024)
    archive = _zip_of(
        {
            "acme-model/README.md": b"---\nlicense: mit\n---\n# ACME internal model\n",
            "acme-model/config.json": b'{"model_type": "bert"}',
            "acme-model/model.safetensors": weights,
        }
    )
    response = admin.post(
        "/artifact/model/upload",
        files={"file": ("acme-model.zip", archive, "application/zip")},
        data={"name": "acme internal", "version": "1.0.0"},
    )
    assert response.status_code == 201, response.text
    meta = response.json()["metadata"]
    assert meta["name"] == "acme internal"
    download = admin.get(f"/artifacts/model/{meta['id']}/download")
    assert hashlib.sha256(download.content).hexdigest() == download.headers["X-Checksum-SHA256"]
    with zipfile.ZipFile(io.BytesIO(download.content)) as bundle:
        assert (
            hashlib.sha256(bundle.read("model.safetensors")).digest()
            == hashlib.sha256(weights).digest()
        )
    evil = admin.post(
        "/artifact/model/upload",
        files={"file": ("evil.zip", _zip_of({"../escape.txt": b"x"}), "application/zip")},
    )
    assert evil.status_code == 400
    assert "absolute" in evil.json()["detail"] or ".." in evil.json()["detail"]


def test_gate_on_refuses_disqualified_models_and_keeps_nothing(
    registry: RunningRegistry, admin: httpx.Client
) -> None:
    refused = create(admin, "model", "https://huggingface.co/parvk11/audience_classifier_model")
    assert refused.status_code == 424, refused.text
    assert "net_score" in refused.json()["detail"]
    assert admin.post("/artifacts", json=[{"name": "*"}]).json() == []
    assert registry.blob_keys() == []
    assert create(admin, "model", BERT).status_code == 201


def test_unrated_models_are_accepted_as_202_and_stay_invisible(admin: httpx.Client) -> None:
    response = create(admin, "model", UNRATED_MODEL)
    assert response.status_code == 202
    artifact_id = response.json()["metadata"]["id"]
    assert admin.get(f"/artifacts/model/{artifact_id}").status_code == 404
    # Datasets and code need no rating: visible at once.
    assert create(admin, "code", WHISPER_CODE).status_code == 201
