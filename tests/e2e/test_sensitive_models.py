"""Sensitive models end to end through the gateway (R18, R19): a JavaScript monitor run under
Node.js 24 in the sandbox before every download, and the download history.

Needs `make node24` (Node.js 24 from npm under .tools/node24) and the sandbox's tools
(`make sandbox-tools`); the monitors get a 2 s wall-clock limit so the hanging one is quick.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from registry_common.settings import RuntimeSettings
from registry_ingest.config import IngestSettings
from tests.harness.registry import DEFAULT_ADMIN, RunningRegistry, embedded
from tests.harness.scoring_double import scoring_double
from tests.harness.uploads import upload, uploaded_id

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

PASSWORD = "Strong-Password-123"
WALL_SECONDS = 2.0
PARTS = ("full", "weights", "config", "card")
SECRET_NAME = "REGISTRY_MONITOR_TEST_SECRET"
SECRET_VALUE = "planted-secret-7f3a9c"

ALLOW = r"""
const fs = require('fs');
const [name, uploader, downloader, zip] = process.argv.slice(2);
const bytes = fs.readFileSync(zip);
console.log(JSON.stringify({name, uploader, downloader, zip, size: bytes.length,
  magic: bytes.subarray(0, 2).toString(), node: process.version}));
"""
REFUSE = r"""
console.log(`download of ${process.argv[2]} by ${process.argv[4]} is not approved`);
process.exit(7);
"""
HANG = r"""
console.log('asking the approvals server...');
setInterval(() => {}, 1000);
"""
SNOOP = r"""
const fs = require('fs');
const report = {env: process.env, procs: []};
for (const [key, path] of [['file', FILE], ['dir', DIR], ['db', DB]]) {
  try {
    report[key] = fs.statSync(path).isDirectory() ? fs.readdirSync(path)
      : fs.readFileSync(path, 'utf8');
  } catch (e) { report[key] = 'error:' + e.code; }
}
for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
    if (text.includes(SECRET)) report.procs.push(pid);
  } catch (e) {}
}
console.log(JSON.stringify(report));
"""


MODEL_FILES = {
    "acme/README.md": b"---\nlicense: mit\n---\n# ACME sensitive model\n",
    "acme/config.json": b'{"model_type": "bert"}',
    "acme/tokenizer.json": b'{"version": "1.0"}',
    "acme/model.safetensors": bytes(range(256)) * 4096,
}


def _settings(runtime: RuntimeSettings) -> dict[str, Any]:
    return {
        "ingest": IngestSettings(
            runtime=runtime, rating_wait_seconds=10, monitor_wall_seconds=WALL_SECONDS
        )
    }


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    mp = pytest.MonkeyPatch()
    # A secret in the registry's own environment: no monitor may see it.
    mp.setenv(SECRET_NAME, SECRET_VALUE)
    data_dir = tmp_path_factory.mktemp("sensitive") / "registry"
    try:
        with embedded(
            data_dir, settings=_settings, factories={"scoring": scoring_double()}
        ) as running:
            with running.admin() as admin:
                for name, permissions in {
                    "alice": ["upload", "search", "download"],
                    "bob": ["search", "download"],
                }.items():
                    created = admin.post(
                        "/users",
                        json={
                            "user": {"name": name, "is_admin": False},
                            "secret": {"password": PASSWORD},
                            "permissions": permissions,
                        },
                    )
                    assert created.status_code == 201, created.text
            yield running
    finally:
        mp.undo()


def _client(registry: RunningRegistry, name: str) -> httpx.Client:
    with registry.client() as client:
        response = client.put(
            "/authenticate",
            json={"user": {"name": name, "is_admin": False}, "secret": {"password": PASSWORD}},
        )
        assert response.status_code == 200, response.text
        token = response.json()
    return registry.client(headers={"X-Authorization": token})


@pytest.fixture
def alice(registry: RunningRegistry) -> Iterator[httpx.Client]:
    with _client(registry, "alice") as client:
        yield client


@pytest.fixture
def bob(registry: RunningRegistry) -> Iterator[httpx.Client]:
    with _client(registry, "bob") as client:
        yield client


@pytest.fixture
def admin(registry: RunningRegistry) -> Iterator[httpx.Client]:
    with registry.admin() as client:
        yield client


def _upload(client: httpx.Client, name: str) -> str:
    return uploaded_id(upload(client, "model", name, MODEL_FILES, version="1.0.0"))


def _set_monitor(client: httpx.Client, model_id: str, program: str | None) -> dict[str, Any]:
    response = client.put(
        f"/artifacts/model/{model_id}/monitor", json={"sensitive": True, "program": program}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _history(client: httpx.Client, model_id: str, **params: int) -> dict[str, Any]:
    response = client.get(f"/artifacts/model/{model_id}/downloads", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_an_allowing_monitor_sees_the_right_arguments_and_the_download_is_byte_identical(
    alice: httpx.Client, bob: httpx.Client
) -> None:
    model_id = _upload(alice, "acme-allowed")
    plain = bob.get(f"/artifacts/model/{model_id}/download")
    assert plain.status_code == 200
    assert _history(alice, model_id)["total"] == 0  # not sensitive yet: nothing recorded

    monitor = _set_monitor(bob, model_id, ALLOW)  # any user may set it (R18)
    assert monitor["sensitive"] is True
    assert monitor["program"] == ALLOW
    assert monitor["updated_by"] == "bob"
    assert monitor["last_outcome"] is None  # bob is not the uploader

    download = bob.get(f"/artifacts/model/{model_id}/download")
    assert download.status_code == 200, download.text
    assert download.content == plain.content
    assert hashlib.sha256(download.content).hexdigest() == download.headers["X-Checksum-SHA256"]

    last = alice.get(f"/artifacts/model/{model_id}/monitor").json()["last_outcome"]
    assert last["verdict"] == "allowed"
    assert last["exit_code"] == 0
    assert last["user"] == "bob"
    seen = json.loads(last["output"])
    assert seen["name"] == "acme-allowed"
    assert seen["uploader"] == "alice"
    assert seen["downloader"] == "bob"
    assert seen["size"] == len(download.content)
    assert seen["magic"] == "PK"
    assert seen["node"].startswith("v24.")

    audit = alice.get(f"/artifact/model/{model_id}/audit").json()
    assert {"action": "UPDATE", "user": "bob"} in [
        {"action": e["action"], "user": e["user"]["name"]} for e in audit
    ]


def test_a_refusing_monitor_blocks_the_download_with_its_output(
    alice: httpx.Client, bob: httpx.Client
) -> None:
    model_id = _upload(alice, "acme-refused")
    _set_monitor(alice, model_id, REFUSE)
    refused = bob.get(f"/artifacts/model/{model_id}/download")
    assert refused.status_code == 403
    body = refused.json()
    assert "download of acme-refused by bob is not approved" in body["detail"]
    assert "exit code 7" in body["detail"]
    assert body["code"] == "monitor_refused"
    entry = _history(alice, model_id)["items"][0]
    assert entry["verdict"] == "refused"
    assert entry["exit_code"] == 7
    assert "is not approved" in entry["output"]


def test_a_hanging_monitor_is_stopped_at_its_limit_and_refused(
    alice: httpx.Client, bob: httpx.Client
) -> None:
    model_id = _upload(alice, "acme-hangs")
    _set_monitor(alice, model_id, HANG)
    started = time.monotonic()
    refused = bob.get(f"/artifacts/model/{model_id}/download")
    elapsed = time.monotonic() - started
    assert refused.status_code == 403
    assert f"within its {WALL_SECONDS:g} s limit" in refused.json()["detail"]
    assert refused.json()["code"] == "monitor_timed_out"
    assert WALL_SECONDS <= elapsed < WALL_SECONDS + 10
    entry = _history(alice, model_id)["items"][0]
    assert entry["verdict"] == "timed_out"
    assert "asking the approvals server" in entry["output"]


def test_a_monitor_cannot_read_the_registrys_files_or_environment(
    registry: RunningRegistry, alice: httpx.Client, bob: httpx.Client
) -> None:
    planted = registry.data_dir / "planted-secret.txt"
    planted.write_text(SECRET_VALUE)
    databases = sorted(registry.data_dir.rglob("*.db")) or sorted(
        registry.data_dir.rglob("*.sqlite*")
    )
    assert databases, "the embedded registry keeps SQLite files in its data directory"
    program = (
        f"const FILE = {json.dumps(str(planted))};"
        f" const DIR = {json.dumps(str(registry.data_dir))};"
        f" const DB = {json.dumps(str(databases[0]))}; const SECRET = {json.dumps(SECRET_NAME)};"
        + SNOOP
    )
    model_id = _upload(alice, "acme-snooped")
    _set_monitor(alice, model_id, program)
    assert bob.get(f"/artifacts/model/{model_id}/download").status_code == 200
    entry = _history(alice, model_id)["items"][0]
    assert SECRET_VALUE not in entry["output"]
    report = json.loads(entry["output"])
    assert SECRET_NAME not in report["env"]
    assert set(report["env"]) <= {"PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "PWD"}
    assert report["file"] == "error:ENOENT"
    assert report["dir"] == "error:ENOENT"
    assert report["db"] == "error:ENOENT"
    assert report["procs"] == []


def test_every_part_goes_through_the_monitor(alice: httpx.Client, bob: httpx.Client) -> None:
    model_id = _upload(alice, "acme-parts")
    _set_monitor(alice, model_id, REFUSE)
    for part in PARTS:
        refused = bob.get(f"/artifacts/model/{model_id}/download", params={"part": part})
        assert refused.status_code == 403, part
        assert "is not approved" in refused.json()["detail"]
    _set_monitor(alice, model_id, ALLOW)
    sizes = {}
    for part in PARTS:
        allowed = bob.get(f"/artifacts/model/{model_id}/download", params={"part": part})
        assert allowed.status_code == 200, part
        sizes[part] = len(allowed.content)
    history = _history(alice, model_id, limit=8)["items"]
    assert [(e["part"], e["verdict"]) for e in history] == [
        *[(part, "allowed") for part in reversed(PARTS)],
        *[(part, "refused") for part in reversed(PARTS)],
    ]
    # The monitor got the zip of the part being downloaded.
    for entry in history[:4]:
        assert json.loads(entry["output"])["size"] == sizes[entry["part"]]


def test_the_history_records_every_attempt_newest_first_paginated_for_uploader_and_admins(
    alice: httpx.Client, bob: httpx.Client, admin: httpx.Client
) -> None:
    model_id = _upload(alice, "acme-history")
    _set_monitor(alice, model_id, ALLOW)
    assert bob.get(f"/artifacts/model/{model_id}/download").status_code == 200
    _set_monitor(alice, model_id, REFUSE)
    assert bob.get(f"/artifacts/model/{model_id}/download?part=card").status_code == 403
    deleted = bob.delete(f"/artifacts/model/{model_id}/monitor")
    assert deleted.status_code == 200
    assert deleted.json()["program"] is None
    assert deleted.json()["sensitive"] is True
    assert bob.delete(f"/artifacts/model/{model_id}/monitor").status_code == 404
    assert admin.get(f"/artifacts/model/{model_id}/download?part=config").status_code == 200

    first = _history(alice, model_id, limit=2)
    assert first["total"] == 3
    assert first["next_offset"] == 2
    second = _history(alice, model_id, offset=2, limit=2)
    assert second["next_offset"] is None
    entries = first["items"] + second["items"]
    assert [(e["user"], e["part"], e["verdict"], e["monitored"]) for e in entries] == [
        (DEFAULT_ADMIN, "config", "allowed", False),  # no program: recorded, not checked
        ("bob", "card", "refused", True),
        ("bob", "full", "allowed", True),
    ]
    assert all(e["client"] == "127.0.0.1" for e in entries)
    dates = [e["date"] for e in entries]
    assert dates == sorted(dates, reverse=True)
    assert _history(admin, model_id) == _history(alice, model_id)

    forbidden = bob.get(f"/artifacts/model/{model_id}/downloads")
    assert forbidden.status_code == 403
    assert "uploader" in forbidden.json()["detail"]
    assert alice.get(f"/artifacts/model/{model_id}/downloads?limit=0").status_code == 400

    unmarked = alice.put(f"/artifacts/model/{model_id}/monitor", json={"sensitive": False})
    assert unmarked.json()["sensitive"] is False
    assert bob.get(f"/artifacts/model/{model_id}/download").status_code == 200
    assert _history(alice, model_id)["total"] == 3  # no longer sensitive: not recorded


def test_monitor_programs_are_bounded_and_only_for_models(
    alice: httpx.Client, registry: RunningRegistry
) -> None:
    model_id = _upload(alice, "acme-bounds")
    too_big = alice.put(
        f"/artifacts/model/{model_id}/monitor",
        json={"sensitive": True, "program": "//" + "x" * (64 * 1024)},
    )
    assert too_big.status_code == 413
    assert "65536 bytes" in too_big.json()["detail"]
    blank = alice.put(
        f"/artifacts/model/{model_id}/monitor", json={"sensitive": True, "program": "  "}
    )
    assert blank.status_code == 400
    assert alice.get("/artifacts/model/does-not-exist/monitor").status_code == 404
    with registry.client() as anonymous:
        assert anonymous.get(f"/artifacts/model/{model_id}/monitor").status_code == 403
    fresh = alice.get(f"/artifacts/model/{model_id}/monitor").json()
    assert fresh == {
        "sensitive": False,
        "program": None,
        "updated_by": None,
        "updated_at": None,
        "last_outcome": None,
    }


def test_a_presigned_redirect_waits_for_the_monitor(
    tmp_path: Path, aws_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_DOWNLOAD_REDIRECT", "true")
    with (
        embedded(
            tmp_path / "registry",
            runtime={"blob_backend": "s3", "aws_endpoint_url": aws_endpoint},
            settings=_settings,
            factories={"scoring": scoring_double()},
        ) as running,
        running.admin() as admin,
    ):
        model_id = _upload(admin, "acme-s3")
        _set_monitor(admin, model_id, REFUSE)
        for part in PARTS:
            refused = admin.get(f"/artifacts/model/{model_id}/download?part={part}")
            assert refused.status_code == 403, part
        _set_monitor(admin, model_id, ALLOW)
        redirected = admin.get(f"/artifacts/model/{model_id}/download")
        assert redirected.status_code == 307
        assert redirected.headers["location"].startswith(aws_endpoint)
        history = _history(admin, model_id)
        assert [e["verdict"] for e in history["items"]] == ["allowed"] + ["refused"] * 4
