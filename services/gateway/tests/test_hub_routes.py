"""The gateway's Hub-compatible routes under /hf (registry_gateway.hub_api) through HTTP, with
auth and ingest faked at the transport: which answers a Hub client gets, in the Hub's error
format (JSON `error`, X-Error-Message, X-Error-Code), and the repository info, tree and
paths-info built from ingest's snapshot."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from registry_common.blobs.local import LocalBlobStore
from registry_common.errors import RegistryError
from registry_common.http import ServiceClient
from registry_common.settings import RuntimeSettings
from registry_gateway.clients import ServiceClients
from registry_gateway.config import GatewaySettings
from registry_gateway.hub_api import INVALID_CREDENTIALS, build_hub_router, translate
from services.gateway.tests.test_gateway_service import FakeServices
from services.gateway.tests.test_hub_files import _entries

COMMIT = "c" * 40
TOKEN = {"Authorization": "Bearer a-registry-token"}
CONFIG = b'{"model_type": "bert"}'


def _snapshot(files: list[dict[str, Any]], artifact_id: str = "42") -> dict[str, Any]:
    return {
        "repo_id": "acme/bert",
        "artifact": {"name": "bert", "id": artifact_id, "type": "model"},
        "commit": COMMIT,
        "revision": 2,
        "source_url": "https://huggingface.co/acme/bert",
        "source_revision": "a" * 40,
        "uploader": "alice",
        "created_at": "2026-01-01T00:00:00+00:00",
        "last_modified": "2026-02-01T10:00:00",
        "version": "1.0.0",
        "versions": [],
        "vetted": True,
        "net_score": 0.8,
        "license": "mit",
        "card_data": {"tags": ["nlp"], "pipeline_tag": "fill-mask"},
        "config": {"model_type": "bert", "architectures": ["BertModel"]},
        "complete": True,
        "files": files,
    }


def _file(path: str, size: int, lfs: bool = False, **place: Any) -> dict[str, Any]:
    return {"path": path, "size": size, "oid": "1" * 40, "sha256": "2" * 64, "lfs": lfs, **place}


FILES = [
    _file("config.json", 22),
    _file("onnx/model.onnx", 1000, lfs=True),
    _file("onnx/fp16/model.onnx", 500, lfs=True),
]


def _user(permissions: list[str]) -> httpx.Response:
    return httpx.Response(200, json={"name": "ada", "is_admin": False, "permissions": permissions})


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, FakeServices]]:
    services = FakeServices()
    clients = ServiceClients(
        **{
            name: ServiceClient(name, f"http://{name}.internal", transport=services.transport(name))
            for name in ("auth", "ingest", "scoring", "lineage", "health")
        }
    )
    app = FastAPI()
    app.state.clients = clients
    app.state.settings = GatewaySettings(runtime=RuntimeSettings(data_dir=tmp_path))
    app.state.blobs = LocalBlobStore(tmp_path / "blobs")
    await app.state.blobs.start()
    app.include_router(build_hub_router(clients))
    services.answer("auth", "POST", "/internal/tokens/spend", _user(["search", "download"]))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
        yield client, services
    await clients.aclose()


Hub = tuple[httpx.AsyncClient, FakeServices]


def _hub_refusal(response: httpx.Response, status: int, code: str | None) -> str:
    assert response.status_code == status, response.text
    assert response.headers.get("X-Error-Code") == code
    message: str = response.json()["error"]
    assert response.headers["X-Error-Message"] == message
    return message


async def test_an_anonymous_call_is_told_to_set_hf_token(hub: Hub) -> None:
    client, _ = hub
    answer = await client.get("/hf/api/models/acme/bert")
    assert _hub_refusal(answer, 401, "RepoNotFound") == (
        "The registry serves repositories to signed-in users only: set HF_TOKEN to a registry "
        "token (PUT /authenticate)."
    )


async def test_a_bad_token_is_the_hubs_invalid_credentials(hub: Hub) -> None:
    client, services = hub
    services.answer(
        "auth",
        "POST",
        "/internal/tokens/spend",
        httpx.Response(403, json={"detail": "The token expired.", "code": "authentication_failed"}),
    )
    answer = await client.get("/hf/api/models/acme/bert", headers=TOKEN)
    assert _hub_refusal(answer, 401, None) == INVALID_CREDENTIALS


async def test_a_caller_without_download_permission_sees_a_gated_repo(hub: Hub) -> None:
    client, services = hub
    services.answer("auth", "POST", "/internal/tokens/spend", _user(["search"]))
    answer = await client.get("/hf/acme/bert/resolve/main/config.json", headers=TOKEN)
    assert (
        _hub_refusal(answer, 403, "GatedRepo")
        == "The user 'ada' lacks the 'download' permission; ask an admin."
    )


async def test_routes_the_registry_does_not_serve_name_what_it_does(hub: Hub) -> None:
    client, _ = hub
    spaces = await client.get("/hf/api/spaces/acme/demo", headers=TOKEN)
    assert _hub_refusal(spaces, 404, None) == (
        "Only /api/models/{repo} and /api/datasets/{repo} (with /revision, /tree and "
        "/paths-info) are served; see docs/hub-api.md."
    )
    refs = await client.get("/hf/api/models/acme/bert/refs/main", headers=TOKEN)
    assert _hub_refusal(refs, 404, None) == (
        "The Hub route 'refs/main' is not served by the registry; see docs/hub-api.md for the "
        "routes it serves."
    )
    post = await client.post("/hf/api/models/acme/bert/tree/main", headers=TOKEN)
    assert _hub_refusal(post, 405, None) == "Only POST .../paths-info/{revision} is served."
    blob = await client.get("/hf/acme/bert/blob/main/config.json", headers=TOKEN)
    assert _hub_refusal(blob, 404, None) == (
        "Files are at /hf/{repo}/resolve/{revision}/{path} (datasets under /hf/datasets/); "
        "see docs/hub-api.md."
    )


async def test_ingests_refusals_keep_their_hub_code_and_commit(hub: Hub) -> None:
    client, services = hub
    services.answer(
        "ingest",
        "GET",
        "/internal/hub/model/snapshot",
        httpx.Response(
            404,
            json={
                "detail": "'x.bin' is not a file of 'bert' at r2.",
                "code": "EntryNotFound",
                "details": {"commit": COMMIT},
            },
        ),
    )
    answer = await client.head("/hf/acme/bert/resolve/main/x.bin", headers=TOKEN)
    assert answer.status_code == 404
    assert answer.headers["X-Error-Code"] == "EntryNotFound"
    assert answer.headers["X-Repo-Commit"] == COMMIT
    assert answer.headers["X-Error-Message"] == "'x.bin' is not a file of 'bert' at r2."


async def test_repository_info_from_the_snapshot(hub: Hub) -> None:
    client, services = hub
    services.answer(
        "ingest", "GET", "/internal/hub/model/snapshot", httpx.Response(200, json=_snapshot(FILES))
    )
    answer = await client.get("/hf/api/models/acme/bert/revision/main?blobs=true", headers=TOKEN)
    assert answer.status_code == 200, answer.text
    info = answer.json()
    assert (info["id"], info["author"], info["sha"]) == ("acme/bert", "acme", COMMIT)
    assert info["lastModified"] == "2026-02-01T10:00:00.000Z"
    assert info["tags"] == ["nlp", "license:mit", "registry:vetted"]
    assert info["library_name"] == "transformers"
    assert info["config"] == {"architectures": ["BertModel"], "model_type": "bert"}
    assert info["usedStorage"] == 1522
    onnx = next(s for s in info["siblings"] if s["rfilename"] == "onnx/model.onnx")
    assert onnx["lfs"]["sha256"] == "2" * 64
    assert info["registry"]["artifact_id"] == "42"
    (asked,) = services.sent("ingest")
    assert dict(asked.url.params) == {"repo": "acme/bert", "revision": "main"}


async def test_an_artifact_id_moves_to_its_repository_pinned_at_its_commit(hub: Hub) -> None:
    client, services = hub
    services.answer(
        "ingest", "GET", "/internal/hub/model/snapshot", httpx.Response(200, json=_snapshot(FILES))
    )
    info = await client.get("/hf/api/models/42?blobs=1", headers=TOKEN)
    assert info.status_code == 307
    assert info.headers["location"] == f"/hf/api/models/acme/bert/revision/{COMMIT}?blobs=1"
    tree = await client.get("/hf/api/models/42/tree/main/onnx", headers=TOKEN)
    assert tree.status_code == 307
    assert tree.headers["location"] == f"/hf/api/models/acme/bert/tree/{COMMIT}/onnx"


async def test_tree_and_paths_info(hub: Hub) -> None:
    client, services = hub
    services.answer(
        "ingest", "GET", "/internal/hub/model/snapshot", httpx.Response(200, json=_snapshot(FILES))
    )
    top = await client.get("/hf/api/models/acme/bert/tree/main", headers=TOKEN)
    assert [(e["type"], e["path"]) for e in top.json()] == [
        ("file", "config.json"),
        ("directory", "onnx"),
    ]
    deep = await client.get("/hf/api/models/acme/bert/tree/main/onnx?recursive=1", headers=TOKEN)
    assert [e["path"] for e in deep.json()] == [
        "onnx/fp16",
        "onnx/fp16/model.onnx",
        "onnx/model.onnx",
    ]
    missing = await client.get("/hf/api/models/acme/bert/tree/main/tf", headers=TOKEN)
    assert _hub_refusal(missing, 404, "EntryNotFound") == (
        "'tf' does not exist at revision 'main'."
    )
    assert missing.headers["X-Repo-Commit"] == COMMIT
    info = await client.post(
        "/hf/api/models/acme/bert/paths-info/main",
        headers=TOKEN,
        data={"paths": ["config.json", "onnx/model.onnx", "nothing.txt"]},
    )
    assert [e["path"] for e in info.json()] == ["config.json", "onnx/model.onnx"]
    assert info.json()[1]["lfs"]["size"] == 1000


async def test_a_file_is_served_from_the_stored_bundle(hub: Hub, tmp_path: Path) -> None:
    client, services = hub
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("config.json", CONFIG, compress_type=zipfile.ZIP_DEFLATED)
    place = _entries(buffer.getvalue())["config.json"]
    blobs = LocalBlobStore(tmp_path / "blobs")
    await blobs.start()
    await blobs.put("artifacts/42/r2/full.zip", buffer.getvalue())
    entry = {**_file("config.json", len(CONFIG)), **place}
    services.answer(
        "ingest",
        "GET",
        "/internal/hub/model/download",
        httpx.Response(200, json={**_snapshot([entry]), "key": "artifacts/42/r2/full.zip"}),
    )
    answer = await client.get(
        "/hf/acme/bert/resolve/main/config.json", headers={**TOKEN, "X-Forwarded-For": "9.9.9.9"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.content == CONFIG
    assert answer.headers["X-Repo-Commit"] == COMMIT
    (asked,) = services.sent("ingest")
    assert asked.url.params["path"] == "config.json"
    assert asked.headers["X-Registry-User"] == "ada"
    again = await client.get(
        "/hf/acme/bert/resolve/main/config.json",
        headers={**TOKEN, "If-None-Match": answer.headers["ETag"]},
    )
    assert again.status_code == 304


def test_translation_of_registry_failures() -> None:
    refused = translate(RegistryError("The monitor refused.", 403, code="monitor_refused"))
    assert (refused.status, refused.code) == (403, "GatedRepo")
    gone = translate(RegistryError("No model artifact has id '9'.", 404, code="not_found"))
    assert (gone.status, gone.code) == (404, "RepoNotFound")
    limited = translate(
        RegistryError("Too many calls.", 429, code="rate_limited", details={"retry_after": 3})
    )
    assert limited.status == 429
    outage = RegistryError("ingest is unavailable.", 503, code="component_unavailable")
    with pytest.raises(RegistryError, match="ingest is unavailable"):
        translate(outage)


async def test_ranges_of_a_file_and_head_of_a_large_one(hub: Hub, tmp_path: Path) -> None:
    client, services = hub
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("config.json", CONFIG, compress_type=zipfile.ZIP_STORED)
    blobs = LocalBlobStore(tmp_path / "blobs")
    await blobs.start()
    await blobs.put("artifacts/42/r2/full.zip", buffer.getvalue())
    entry = {**_file("config.json", len(CONFIG)), **_entries(buffer.getvalue())["config.json"]}
    services.answer(
        "ingest",
        "GET",
        "/internal/hub/model/download",
        httpx.Response(200, json={**_snapshot([entry]), "key": "artifacts/42/r2/full.zip"}),
    )
    url = "/hf/acme/bert/resolve/main/config.json"
    part = await client.get(url, headers={**TOKEN, "Range": "bytes=2-5"})
    assert part.status_code == 206
    assert part.content == CONFIG[2:6]
    assert part.headers["Content-Range"] == f"bytes 2-5/{len(CONFIG)}"
    beyond = await client.get(url, headers={**TOKEN, "Range": "bytes=999-"})
    assert beyond.status_code == 416
    assert beyond.headers["Content-Range"] == f"bytes */{len(CONFIG)}"

    weights = _file("model.safetensors", 4096, lfs=True, offset=0, method="stored")
    services.answer(
        "ingest",
        "GET",
        "/internal/hub/model/snapshot",
        httpx.Response(200, json=_snapshot([weights])),
    )
    head = await client.head("/hf/acme/bert/resolve/main/model.safetensors", headers=TOKEN)
    assert head.status_code == 200
    assert head.headers["X-Linked-Etag"] == f'"{"2" * 64}"'
    assert head.headers["X-Linked-Size"] == "4096"
    moved = await client.head("/hf/42/resolve/main/model.safetensors", headers=TOKEN)
    assert moved.status_code == 307
    assert moved.headers["location"] == f"/hf/acme/bert/resolve/{COMMIT}/model.safetensors"
