"""Plain URLs: one guarded, bounded GET against a loopback server started here.

The server's origin is allowed the way an operator would (an allowed origin); anything the
user can fix is a 400 with a sentence, and only "needs credentials" and "too big" are still
registered as metadata.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import time
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from registry_common.outbound import OutboundError, OutboundPolicy, OutboundRefused, origin_of
from registry_ingest.sources.urls import parse_source_url
from services.ingest.tests.sources.helpers import make_fetcher
from tests.harness.deadlines import within

pytestmark = pytest.mark.integration

PAYLOAD = b"\x01\x02weights" * 100


def _bundle_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("model/README.md", "---\nlicense: mit\n---\n# Zipped model\n")
        archive.writestr("model/config.json", json.dumps({"model_type": "bert"}))
        archive.writestr("model/model.safetensors", b"\x00" * 64)
    return buffer.getvalue()


BUNDLE_ZIP = _bundle_zip()


def _bad_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../evil.py", "print('x')")
    return buffer.getvalue()


ROUTES: dict[str, tuple[int, dict[str, str], bytes]] = {
    "/files/model.bin": (200, {"Content-Type": "application/octet-stream"}, PAYLOAD),
    "/": (200, {"Content-Type": "text/html; charset=utf-8"}, b"<html>hello</html>"),
    "/secret/model.bin": (401, {"WWW-Authenticate": "Bearer"}, b"no"),
    "/gone": (404, {}, b"missing"),
    "/broken": (500, {}, b"oops"),
    "/moved": (302, {"Location": "/files/model.bin"}, b""),
    "/loop": (302, {"Location": "/loop"}, b""),
    "/elsewhere": (302, {"Location": "ftp://127.0.0.1/x"}, b""),
    "/big.bin": (200, {}, b"x" * 5000),
    "/bundle.zip": (200, {"Content-Type": "application/zip"}, BUNDLE_ZIP),
    "/evil.zip": (200, {"Content-Type": "application/zip"}, _bad_zip()),
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/trickle":  # 14 bytes, one every 0.2 s: each read is quick, the whole is not
            self.send_response(200)
            self.send_header("Content-Length", "14")
            self.end_headers()
            for byte in b"fourteen bytes":
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.2)
            return
        status, headers, body = ROUTES.get(path, (404, {}, b""))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def web() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def _fetch(url: str, tmp_path: Path, *, allow: str | None = None, **kw):  # type: ignore[no-untyped-def]
    """Fetch ``url`` with ``allow`` (default: the URL's own origin) as an allowed origin."""
    policy = OutboundPolicy(frozenset({origin_of(allow or url)}))
    fetcher = make_fetcher(**{"timeout": 5.0, "outbound": policy, **kw})
    return await fetcher.fetch(parse_source_url(url, "model"), tmp_path / "work")


async def test_file_is_stored(web: str, tmp_path: Path) -> None:
    source = await _fetch(f"{web}/files/model.bin", tmp_path)
    assert len(source.files) == 1
    item = source.files[0]
    assert (item.path, item.size, item.kind) == ("model.bin", len(PAYLOAD), "weights")
    assert item.sha256 == hashlib.sha256(PAYLOAD).hexdigest()
    assert item.local_path is not None
    assert item.local_path.read_bytes() == PAYLOAD
    assert source.complete is True
    assert source.notes == []
    meta = source.metadata
    assert meta["source_kind"] == "url"
    assert meta["http_status"] == 200
    assert meta["content_type"] == "application/octet-stream"
    assert meta["fetched_bytes"] == len(PAYLOAD)


async def test_name_from_content_type_and_redirects(web: str, tmp_path: Path) -> None:
    root = await _fetch(f"{web}/", tmp_path / "root")
    assert [f.path for f in root.files] == ["content.html"]
    moved = await _fetch(f"{web}/moved", tmp_path / "moved")
    assert [f.path for f in moved.files] == ["model.bin"]
    assert moved.metadata["final_url"] == f"{web}/files/model.bin"


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("/secret/model.bin", "HTTP 401: the content needs credentials"),
        ("/big.bin", "over the 4.9 KiB ingest limit"),
    ],
)
async def test_credentials_and_size_are_metadata_only(
    web: str, tmp_path: Path, path: str, fragment: str
) -> None:
    source = await _fetch(f"{web}{path}", tmp_path, max_fetch_bytes=5000 - 1)
    assert source.files == []
    assert source.complete is False
    assert len(source.notes) == 1
    assert fragment in source.notes[0]
    assert source.notes[0].endswith("Only the URL is stored.")
    assert source.metadata["fetch_error"]


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("/gone", "HTTP 404: nothing is at that address"),
        ("/broken", "HTTP 500"),
        ("/loop", "redirected more than 5 times"),
        ("/elsewhere", "only fetches http(s) links"),
    ],
)
async def test_what_the_user_can_fix_is_a_400(
    web: str, tmp_path: Path, path: str, fragment: str
) -> None:
    with pytest.raises(OutboundError) as failed:
        await _fetch(f"{web}{path}", tmp_path)
    assert failed.value.status == 400
    assert fragment in failed.value.message
    assert failed.value.message.endswith("Nothing was registered.")


async def test_the_configured_deadline_bounds_the_whole_download(web: str, tmp_path: Path) -> None:
    deadline = 0.5
    started = time.monotonic()
    with pytest.raises(OutboundError) as failed:
        await _fetch(f"{web}/trickle", tmp_path, timeout=5.0, deadline=deadline)
    assert failed.value.reason == "deadline"
    assert "did not finish answering within 0.5 s" in failed.value.message
    assert time.monotonic() - started < within(deadline)


async def test_unreachable_and_unresolvable_hosts(tmp_path: Path) -> None:
    with pytest.raises(OutboundError, match="could not be fetched: connecting to"):
        await _fetch("http://127.0.0.1:9/model.bin", tmp_path / "a", timeout=2.0)
    with pytest.raises(OutboundError, match=r"'no-such-host\.invalid' could not be resolved"):
        await _fetch("http://no-such-host.invalid/x", tmp_path / "b", allow="http://127.0.0.1:9")


async def test_internal_addresses_are_refused(web: str, tmp_path: Path) -> None:
    with pytest.raises(OutboundRefused, match="the cloud metadata address"):
        await _fetch("http://169.254.169.254/latest/meta-data/", tmp_path / "a", allow=web)
    # The fakes' own origins are trusted; the same host on another port is not.
    with pytest.raises(OutboundRefused, match="is a loopback address"):
        await _fetch(f"{web}/files/model.bin", tmp_path / "b", allow="http://127.0.0.1:9")
    assert not (tmp_path / "b" / "work" / "url").exists() or not any(
        (tmp_path / "b" / "work" / "url").iterdir()
    )


async def test_zip_bundle_is_unpacked_like_an_upload(web: str, tmp_path: Path) -> None:
    source = await _fetch(f"{web}/bundle.zip", tmp_path)
    assert [f.path for f in source.files] == ["README.md", "config.json", "model.safetensors"]
    assert source.card_data == {"license": "mit"}
    assert source.config == {"model_type": "bert"}
    assert source.complete
    assert source.metadata["license"] == "mit"
    assert source.metadata["archive_sha256"] == hashlib.sha256(BUNDLE_ZIP).hexdigest()


async def test_unsafe_zip_is_kept_as_one_file(web: str, tmp_path: Path) -> None:
    source = await _fetch(f"{web}/evil.zip", tmp_path)
    assert [f.path for f in source.files] == ["evil.zip"]
    assert "'..'" in source.notes[0]
    assert "stored as one file" in source.notes[0]
    assert not (tmp_path / "work" / "evil.py").exists()
