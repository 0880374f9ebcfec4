"""Hostile input through the gateway (issue 13): every one gets a clear 4xx with a sentence,
never a 500, and the keep-alive connection it came on keeps working."""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from registry_common.settings import RuntimeSettings
from registry_gateway.config import GatewaySettings
from tests.harness.registry import RunningRegistry, embedded
from tests.harness.uploads import zip_of

pytestmark = pytest.mark.e2e

LONE_SURROGATE = b'"\\ud800"'


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    with embedded(Path(tmp_path_factory.mktemp("hostile")) / "registry") as running:
        yield running


@pytest.fixture(scope="module")
def admin(registry: RunningRegistry) -> Iterator[httpx.Client]:
    with registry.admin() as client:
        yield client


def _assert_clear(answer: httpx.Response, status: int, *words: str) -> None:
    assert answer.status_code == status, answer.text
    detail = answer.json()["detail"]
    assert detail.endswith("."), detail
    for word in words:
        assert word in detail, detail


@pytest.mark.parametrize(
    "trace_id",
    ["ab%01cd", "ab%3Fx=1", "ab%23cd", "ab%20cd", "ABABABABABABABABABABABABABABABAB", "ab"],
)
def test_a_malformed_trace_id_is_a_400_and_never_reaches_an_internal_url(
    admin: httpx.Client, trace_id: str
) -> None:
    _assert_clear(admin.get(f"/health/traces/{trace_id}"), 400, "trace_id")
    assert admin.get("/health").status_code == 200  # same connection


def test_a_well_formed_unknown_trace_id_is_a_404(admin: httpx.Client) -> None:
    _assert_clear(admin.get("/health/traces/" + "ab" * 16), 404, "abab")


def test_a_lone_surrogate_in_json_is_a_400_even_before_authentication(
    registry: RunningRegistry,
) -> None:
    body = (
        b'{"user": {"name": '
        + LONE_SURROGATE
        + b', "is_admin": false}, "secret": {"password": "x"}}'
    )
    with registry.client() as client:
        answer = client.put(
            "/authenticate", content=body, headers={"Content-Type": "application/json"}
        )
        _assert_clear(answer, 400, "not valid JSON")
        assert client.get("/health").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "template"),
    [
        ("POST", "/artifacts", b'[{"name": %s}]'),
        ("POST", "/artifact/model", b'{"url": %s}'),
        ("POST", "/artifact/byRegEx", b'{"regex": %s}'),
        (
            "POST",
            "/users",
            b'{"user": {"name": %s, "is_admin": false}, "secret": {"password": "p"}}',
        ),
        ("PUT", "/users/nobody/permissions", b'{"permissions": [%s]}'),
        (
            "PUT",
            "/artifacts/model/123",
            b'{"metadata": {"name": %s, "id": "123", "type": "model"}, "data": {"url": "u"}}',
        ),
        ("POST", "/artifact/model/123/license-check", b'{"github_url": %s}'),
    ],
)
def test_a_lone_surrogate_is_a_400_on_every_json_route(
    admin: httpx.Client, method: str, path: str, template: bytes
) -> None:
    answer = admin.request(
        method,
        path,
        content=template % LONE_SURROGATE,
        headers={"Content-Type": "application/json"},
    )
    _assert_clear(answer, 400, "not valid JSON")


@pytest.mark.parametrize("token", ["bearer t\xe9st", "bearer a\tb", "bearer " + "a" * 5000])
def test_a_malformed_token_is_a_403(registry: RunningRegistry, token: str) -> None:
    with registry.client() as client:
        answer = client.get("/users/me", headers={"X-Authorization": token.encode("latin-1")})
        _assert_clear(answer, 403, "X-Authorization")
        assert client.get("/health").status_code == 200


@pytest.mark.parametrize("offset", [str(2**63), str(2**64), "9" * 4301, "\u00b2", "-1", "1.5"])
def test_an_out_of_range_offset_is_a_400(admin: httpx.Client, offset: str) -> None:
    answer = admin.post("/artifacts", json=[{"name": "*"}], params={"offset": offset})
    _assert_clear(answer, 400, "offset")


def test_the_largest_offset_is_an_empty_page(admin: httpx.Client) -> None:
    answer = admin.post("/artifacts", json=[{"name": "*"}], params={"offset": str(2**63 - 1)})
    assert answer.status_code == 200, answer.text
    assert answer.json() == []


def test_a_json_body_over_the_ceiling_is_a_413_before_it_is_parsed(admin: httpx.Client) -> None:
    body = json.dumps([{"name": "x" * 100}] * 20_000).encode()  # ~2.4 MB
    answer = admin.post("/artifacts", content=body, headers={"Content-Type": "application/json"})
    _assert_clear(answer, 413, "1 MiB")
    assert admin.get("/health").status_code == 200


def test_a_streamed_json_body_over_the_ceiling_is_a_413(admin: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"["
        for _ in range(3000):
            yield b'{"name": "' + b"x" * 1000 + b'"},'
        yield b'{"name": "x"}]'

    answer = admin.post(
        "/artifacts", content=chunks(), headers={"Content-Type": "application/json"}
    )
    _assert_clear(answer, 413, "1 MiB")


def test_thousands_of_tiny_queries_are_refused_before_they_are_validated(
    admin: httpx.Client,
) -> None:
    answer = admin.post("/artifacts", json=[{"name": "a"}] * 5000)
    _assert_clear(answer, 413, "5000 queries")


def test_a_user_named_with_a_path_separator_stays_one_path_segment(admin: httpx.Client) -> None:
    answer = admin.delete("/users/..%2F..%2Finternal%2Freset")
    assert answer.status_code == 404, answer.text


# ---------------------------------------------------------------- uploads

UPLOAD_CEILING = 256 * 1024


@pytest.fixture(scope="module")
def small_uploads(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    def settings(runtime: RuntimeSettings) -> dict[str, Any]:
        return {"gateway": GatewaySettings(runtime=runtime, max_upload_bytes=UPLOAD_CEILING)}

    data_dir = Path(tmp_path_factory.mktemp("uploads")) / "registry"
    with embedded(data_dir, settings=settings) as running:
        yield running


def test_an_upload_over_the_ceiling_is_a_413_before_it_is_spooled(
    small_uploads: RunningRegistry,
) -> None:
    with small_uploads.admin() as admin:
        answer = admin.post(
            "/artifact/model/upload",
            files={"file": ("big.zip", os.urandom(UPLOAD_CEILING + 1), "application/zip")},
        )
        _assert_clear(answer, 413, "256 KiB")
        assert admin.get("/health").status_code == 200


def test_a_streamed_upload_over_the_ceiling_is_stopped_while_it_streams(
    small_uploads: RunningRegistry,
) -> None:
    """No Content-Length to refuse up front: the count while streaming stops it (that the
    reading stops there is shown in libs/common/tests/test_limits.py)."""
    boundary = "b0undary"

    def form() -> Iterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.zip"\r\n'
            "Content-Type: application/zip\r\n\r\n"
        ).encode()
        for _ in range(64):  # 4 MiB in 64 KiB chunks, no Content-Length
            yield os.urandom(64 * 1024)
        yield f"\r\n--{boundary}--\r\n".encode()

    with small_uploads.admin() as admin:
        answer = admin.post(
            "/artifact/model/upload",
            content=form(),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        _assert_clear(answer, 413, "256 KiB")
        assert admin.post("/artifacts", json=[{"name": "*"}]).json() == []  # nothing stored


def test_an_unauthenticated_upload_is_refused_before_its_body_is_read(
    small_uploads: RunningRegistry,
) -> None:
    with small_uploads.client() as client:
        answer = client.post(
            "/artifact/model/upload",
            files={"file": ("a.zip", zip_of({"README.md": b"# x"}), "application/zip")},
        )
    _assert_clear(answer, 403)


def test_a_zip_of_zeros_is_refused_by_its_compression_ratio(registry: RunningRegistry) -> None:
    """The honest 1 MB zip that became 2 GiB stored (issue 13), at a smaller scale."""
    archive = zip_of(
        {"README.md": b"# zeros", "model.safetensors": b"\0" * (64 * 1024**2)},
        compression=zipfile.ZIP_DEFLATED,
    )
    assert len(archive) < 256 * 1024
    with registry.admin() as admin:
        answer = admin.post(
            "/artifact/model/upload", files={"file": ("zeros.zip", archive, "application/zip")}
        )
    _assert_clear(answer, 413, "more than 100 times", "model.safetensors")


def test_an_upload_that_is_not_a_form_is_a_400(admin: httpx.Client) -> None:
    answer = admin.post(
        "/artifact/model/upload", content=b"PK\x03\x04", headers={"Content-Type": "application/zip"}
    )
    _assert_clear(answer, 400, "multipart/form-data")


def test_a_form_without_a_file_is_a_400(admin: httpx.Client) -> None:
    answer = admin.post("/artifact/model/upload", files={"name": (None, b"x")})
    _assert_clear(answer, 400, "file")


def test_a_small_upload_is_registered(small_uploads: RunningRegistry) -> None:
    archive = zip_of({"tiny/README.md": b"---\nlicense: mit\n---\n# tiny\n"})
    with small_uploads.admin() as admin:
        answer = admin.post(
            "/artifact/model/upload",
            files={"file": ("tiny.zip", archive, "application/zip")},
            data={"name": "tiny", "version": "1.0.0"},
        )
    assert answer.status_code in (201, 202), answer.text
    assert answer.json()["metadata"]["name"] == "tiny"


def test_a_user_with_a_non_ascii_name_can_use_the_registry(
    registry: RunningRegistry, admin: httpx.Client
) -> None:
    """The gateway forwards the caller's name to the services in a header; a name such as
    'José' used to fail every call that carried it with a 500."""
    name, password = "José 'ü' ✓", "Strong-Password-123"
    created = admin.post(
        "/users",
        json={
            "user": {"name": name, "is_admin": False},
            "secret": {"password": password},
            "permissions": ["search", "upload", "download"],
        },
    )
    assert created.status_code == 201, created.text
    with registry.client() as client:
        token = client.put(
            "/authenticate",
            json={"user": {"name": name, "is_admin": False}, "secret": {"password": password}},
        ).json()
        mine = {"X-Authorization": token}
        assert client.get("/users/me", headers=mine).json()["name"] == name
        assert client.get("/artifact/model/1/audit", headers=mine).status_code == 404
        archive = zip_of({"README.md": b"---\nlicense: mit\n---\n# mine\n"})
        uploaded = client.post(
            "/artifact/model/upload",
            files={"file": ("mine.zip", archive, "application/zip")},
            headers=mine,
        )
        assert uploaded.status_code in (201, 202), uploaded.text
        artifact_id = uploaded.json()["metadata"]["id"]
        details = client.get(f"/artifacts/model/{artifact_id}/details", headers=mine).json()
        assert details["uploader"] == name
        deleted = client.delete(f"/users/{name}", headers=mine)
        assert deleted.status_code == 200, deleted.text


def test_a_permission_list_of_thousands_is_a_400(admin: httpx.Client) -> None:
    answer = admin.put("/users/nobody/permissions", json={"permissions": ["search"] * 10_000})
    _assert_clear(answer, 400, "permissions")
