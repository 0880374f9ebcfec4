"""Atomic groups (R25) end to end through the gateway, in both topologies: a group becomes
visible all at once (readers polling during execute never see half of it), a failing member
(a gate refusal, a missing repository, a hub outage) rolls the whole group back and is named,
the download is one snapshot, requests expire and are listed for their owner."""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.test_catalog import CATALOG
from tests.fakes.hub import FakeHub
from tests.harness.registry import RunningRegistry
from tests.harness.topology import Topology, topology

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

BERT = "https://huggingface.co/google-bert/bert-base-uncased"
MINILM = "https://huggingface.co/lineage-lab/minilm-imdb-sentiment"
AUDIENCE = "https://huggingface.co/parvk11/audience_classifier_model"
IMDB = "https://huggingface.co/datasets/stanfordnlp/imdb"
WHISPER = "https://github.com/openai/whisper.git"
# The catalog module's setup (one pooled distributed registry for both): the gate is on and
# the scoring double refuses the audience classifier (0.2), so a group holding it must roll
# back; every other model here is rated 0.8 and admitted. Requests expire after TTL seconds.
GROUPS = CATALOG
TTL = GROUPS.settings["ingest"]["group_ttl_seconds"]


@pytest.fixture(scope="module")
def groups(topology_kind: str, request: pytest.FixtureRequest) -> Iterator[Topology]:
    with topology(topology_kind, GROUPS, request) as running:
        yield running


@pytest.fixture
def registry(groups: Topology, request: pytest.FixtureRequest) -> Iterator[RunningRegistry]:
    with groups.fresh(request) as running:
        yield running


@pytest.fixture
def admin(registry: RunningRegistry) -> Iterator[httpx.Client]:
    with registry.admin() as client:
        yield client


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def new_group(client: httpx.Client) -> str:
    created = client.post("/groups")
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["state"] == "open"
    assert body["commands"] == []
    group_id: str = body["id"]
    return group_id


def add(client: httpx.Client, group_id: str, **command: Any) -> dict[str, Any]:
    response = client.post(f"/groups/{group_id}/commands", json=command)
    assert response.status_code == 201, response.text
    added: dict[str, Any] = response.json()
    return added


def add_upload(client: httpx.Client, group_id: str, kind: str, name: str) -> dict[str, Any]:
    files = {"README.md": f"# {name}\n".encode(), "data/train.csv": b"a,b\n1,2\n"}
    response = client.post(
        f"/groups/{group_id}/commands/upload",
        files={"file": (f"{name}.zip", _zip(files), "application/zip")},
        data={"type": kind, "name": name},
    )
    assert response.status_code == 201, response.text
    added: dict[str, Any] = response.json()
    return added


def visible_names(client: httpx.Client) -> set[str]:
    response = client.post("/artifacts", json=[{"name": "*"}])
    assert response.status_code == 200, response.text
    return {a["name"] for a in response.json()}


def test_a_group_commits_at_once_while_readers_poll(
    registry: RunningRegistry, admin: httpx.Client
) -> None:
    doomed = admin.post("/artifact/dataset", json={"url": IMDB, "name": "old-imdb"})
    assert doomed.status_code == 201, doomed.text
    doomed_id = doomed.json()["metadata"]["id"]
    kept = admin.post("/artifact/code", json={"url": WHISPER, "name": "whisper-code"})
    assert kept.status_code == 201, kept.text
    kept_id = kept.json()["metadata"]["id"]

    group_id = new_group(admin)
    add(admin, group_id, op="ingest", type="model", url=BERT, name="g-bert")
    add(admin, group_id, op="ingest", type="model", url=MINILM, name="g-minilm")
    add_upload(admin, group_id, "dataset", "g-upload")
    add(admin, group_id, op="update", type="code", id=kept_id, name="whisper-code", url=WHISPER)
    add(admin, group_id, op="delete", type="dataset", id=doomed_id)
    new = {"g-bert", "g-minilm", "g-upload"}

    # Each observation: which state the reader saw ("before", "after", or "half" — never).
    seen: list[str] = []
    stop = threading.Event()

    def state(names: set[str], old_present: bool) -> str:
        if old_present and not names & new:
            return "before"
        if not old_present and new <= names:
            return "after"
        return f"half: {sorted(names)} old={old_present}"

    def poll() -> None:
        with registry.admin() as reader:
            while not stop.is_set():
                names = visible_names(reader)  # enumerate
                seen.append(state(names, "old-imdb" in names))
                found = reader.post("/artifact/byRegEx", json={"regex": "^(g-|old-imdb)"})
                matched = {a["name"] for a in found.json()} if found.status_code == 200 else set()
                seen.append(state(matched, "old-imdb" in matched))
                got = reader.get(f"/artifacts/dataset/{doomed_id}").status_code
                by_name = reader.get("/artifact/byName/g-bert").status_code
                assert got in (200, 404)
                assert by_name in (200, 404)
                if got == 404 or by_name == 200:
                    seen.append("after")

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        executed = admin.post(f"/groups/{group_id}/execute")
    finally:
        time.sleep(0.3)
        stop.set()
        reader.join()
    assert executed.status_code == 200, executed.text
    outcome = executed.json()
    assert outcome["state"] == "committed"
    assert {a["metadata"]["name"] for a in outcome["artifacts"]} == new | {"whisper-code"}
    assert len(seen) >= 2
    assert all(s in ("before", "after") for s in seen), seen  # never half a group
    # Once a reader saw the group, no later read shows the catalog without it.
    first_after = seen.index("after") if "after" in seen else len(seen)
    assert "before" not in seen[first_after:], seen
    assert visible_names(admin) == new | {"whisper-code"}

    history = admin.get(f"/artifact/code/{kept_id}/audit").json()
    assert "UPDATE" in [entry["action"] for entry in history]
    assert admin.get(f"/artifacts/dataset/{doomed_id}").status_code == 404
    assert not [k for k in registry.blob_keys(f"artifacts/{doomed_id}/")]
    assert not registry.blob_keys(f"groups/{group_id}/")  # the uploaded zip is gone

    # The download is one zip of the group's artifacts, with a manifest.
    download = admin.get(f"/groups/{group_id}/download")
    assert download.status_code == 200, download.text
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert {item["name"] for item in manifest["items"]} == new | {"whisper-code"}
        for item in manifest["items"]:
            assert zipfile.is_zipfile(io.BytesIO(archive.read(item["file"])))

    # Executed once: a second execute or command is refused.
    again = admin.post(f"/groups/{group_id}/execute")
    assert again.status_code == 409, again.text
    late = admin.post(
        f"/groups/{group_id}/commands", json={"op": "ingest", "type": "model", "url": BERT}
    )
    assert late.status_code == 409


def test_a_gate_refusal_rolls_the_whole_group_back(
    registry: RunningRegistry, admin: httpx.Client
) -> None:
    group_id = new_group(admin)
    add(admin, group_id, op="ingest", type="dataset", url=IMDB, name="r-imdb")
    add_upload(admin, group_id, "code", "r-upload")
    add(admin, group_id, op="ingest", type="model", url=AUDIENCE, name="r-audience")

    refused = admin.post(f"/groups/{group_id}/execute")
    assert refused.status_code == 424, refused.text
    body = refused.json()
    assert "member at position 2" in body["detail"]
    assert "rolled back" in body["detail"]
    assert body["details"]["failed_member"]["position"] == 2
    assert body["details"]["failed_member"]["op"] == "ingest"
    assert "below 0.5" in body["details"]["failed_member"]["reason"]
    assert visible_names(admin) == set()
    assert registry.blob_keys("artifacts/") == []
    assert registry.blob_keys(f"groups/{group_id}/") == []

    failed = admin.get(f"/groups/{group_id}").json()
    assert failed["state"] == "failed"
    assert failed["failure"]["position"] == 2
    assert failed["failure"]["status"] == 424
    assert all(c["id"] is None for c in failed["commands"])  # no artifact came of it


def test_a_missing_source_rolls_back_with_a_4xx(
    registry: RunningRegistry, admin: httpx.Client
) -> None:
    group_id = new_group(admin)
    add(admin, group_id, op="ingest", type="dataset", url=IMDB, name="m-imdb")
    add(
        admin,
        group_id,
        op="ingest",
        type="model",
        url="https://huggingface.co/nobody/nothing-here",
    )
    missing = admin.post(f"/groups/{group_id}/execute")
    assert missing.status_code == 404, missing.text
    assert missing.json()["details"]["failed_member"]["position"] == 1
    assert visible_names(admin) == set()
    assert registry.blob_keys("artifacts/") == []


@pytest.mark.expected_failures({"status": 502})
def test_a_hub_outage_mid_group_rolls_back_naming_the_hub(
    registry: RunningRegistry, admin: httpx.Client, fake_hub: FakeHub
) -> None:
    group_id = new_group(admin)
    add(admin, group_id, op="ingest", type="dataset", url=IMDB, name="o-imdb")
    add(admin, group_id, op="ingest", type="model", url=BERT, name="o-bert")
    fake_hub.control.fail("google-bert/bert-base-uncased", status=503)
    try:
        outage = admin.post(f"/groups/{group_id}/execute")
    finally:
        fake_hub.control.clear_failures()
    assert outage.status_code >= 500, outage.text
    detail = outage.json()["detail"]
    assert "member at position 1" in detail, detail
    assert "Hugging Face" in detail, detail
    assert visible_names(admin) == set()
    assert registry.blob_keys("artifacts/") == []


def test_requests_are_listed_for_their_owner_and_expire(
    registry: RunningRegistry, admin: httpx.Client
) -> None:
    created = admin.post(
        "/users",
        json={
            "user": {"name": "grouper", "is_admin": False},
            "secret": {"password": "Strong-Password-123"},
            "permissions": ["upload", "search"],
        },
    )
    assert created.status_code == 201, created.text
    with registry.client() as client:
        token = client.put(
            "/authenticate",
            json={
                "user": {"name": "grouper", "is_admin": False},
                "secret": {"password": "Strong-Password-123"},
            },
        ).json()
    with registry.client(headers={"X-Authorization": token}) as user:
        mine = new_group(user)
        add_upload(user, mine, "dataset", "e-upload")
        theirs = new_group(admin)
        assert [g["id"] for g in user.get("/groups").json()] == [mine]
        assert {g["id"] for g in admin.get("/groups").json()} >= {mine, theirs}
        assert user.get(f"/groups/{theirs}").status_code == 404  # not yours
        assert user.post(f"/groups/{theirs}/execute").status_code == 404
        refused = user.get(f"/groups/{mine}/download")
        assert refused.status_code == 401  # no download permission

        time.sleep(TTL + 0.5)
        expired = user.post(f"/groups/{mine}/execute")
        assert expired.status_code == 410, expired.text
        assert "expired" in expired.json()["detail"]
        listed = user.get("/groups").json()
        assert [(g["id"], g["state"]) for g in listed] == [(mine, "expired")]
        assert registry.blob_keys(f"groups/{mine}/") == []  # its zip is removed
        late = user.post(
            f"/groups/{mine}/commands", json={"op": "ingest", "type": "model", "url": BERT}
        )
        assert late.status_code == 410


def test_bad_commands_say_what_to_fix(admin: httpx.Client) -> None:
    group_id = new_group(admin)
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"op": "ingest", "type": "model", "url": "not a url"}, 400, "url"),
        ({"op": "update", "type": "model", "url": BERT, "name": "x"}, 400, "`id`"),
        ({"op": "ingest", "type": "model"}, 400, "`url`"),
        ({"op": "ingest", "type": "widget", "url": BERT}, 400, ""),
        ({"op": "explode", "type": "model", "url": BERT}, 400, ""),
    ]
    for command, status, words in cases:
        response = admin.post(f"/groups/{group_id}/commands", json=command)
        assert response.status_code == status, (command, response.text)
        assert words in response.json()["detail"], response.text
    empty = admin.post(f"/groups/{group_id}/execute")
    assert empty.status_code == 400
    assert "no commands" in empty.json()["detail"]
    assert admin.get("/groups/not-a-group").status_code == 400
    missing = admin.get("/groups/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
