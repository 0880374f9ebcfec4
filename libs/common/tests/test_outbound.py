"""The guarded outbound client: the address policy, resolve-once, redirects, deadline, cap.

Real servers here listen on 127.0.0.1 only; a "public" host is a resolver stub's answer and
its connection goes to a recording backend, never to the network.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpcore
import pytest

from registry_common.outbound import (
    FetchLimits,
    OutboundClient,
    OutboundError,
    OutboundPolicy,
    OutboundRefused,
    VettingBackend,
    address_refusal,
    guarded_client,
    origin_of,
    parse_origins,
)
from registry_common.settings import RuntimeSettings
from tests.harness.deadlines import within

# ---------------------------------------------------------------------- the address policy

REFUSED = [
    ("127.0.0.1", "a loopback address"),
    ("127.255.255.254", "a loopback address"),
    ("::1", "a loopback address"),
    ("10.0.0.5", "a private address"),
    ("172.16.3.4", "a private address"),
    ("192.168.1.1", "a private address"),
    ("169.254.169.254", "the cloud metadata address"),
    ("169.254.170.2", "the cloud metadata address"),
    ("fd00:ec2::254", "the cloud metadata address"),
    ("169.254.1.1", "a link-local address"),
    ("fe80::1", "a link-local address"),
    ("100.64.0.1", "a shared (CGNAT) address"),
    ("100.127.255.254", "a shared (CGNAT) address"),
    ("fc00::1", "a unique-local address"),
    ("fd12:3456::1", "a unique-local address"),
    ("0.0.0.0", "an unspecified address"),
    ("::", "an unspecified address"),
    ("224.0.0.1", "a multicast address"),
    ("ff02::1", "a multicast address"),
    ("240.0.0.1", "a private address"),  # 240/4 is "reserved", which Python files as private
    ("255.255.255.255", "a private address"),
    ("0.1.2.3", "a private address"),  # "this network"
    ("192.0.2.10", "a private address"),  # documentation
    ("198.18.0.1", "a private address"),  # benchmarking
    ("2001:db8::1", "a private address"),  # documentation
    ("::ffff:127.0.0.1", "a loopback address in IPv4-mapped form"),
    ("::ffff:10.1.2.3", "a private address in IPv4-mapped form"),
    ("::ffff:169.254.169.254", "the cloud metadata address in IPv4-mapped form"),
    ("::ffff:100.64.0.1", "a shared (CGNAT) address in IPv4-mapped form"),
    ("2002:7f00:1::1", "a loopback address in 6to4 form"),
    ("2002:a00:5::1", "a private address in 6to4 form"),
    ("64:ff9b::7f00:1", "a loopback address in NAT64 form"),
    ("64:ff9b::a9fe:a9fe", "the cloud metadata address in NAT64 form"),
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "a loopback address in Teredo form"),
]
PUBLIC = ["8.8.8.8", "140.82.112.3", "2606:4700::6810:84e5", "::ffff:8.8.8.8", "100.128.0.1"]


@pytest.mark.parametrize(("text", "phrase"), REFUSED)
def test_non_public_addresses_are_refused_with_a_reason(text: str, phrase: str) -> None:
    assert address_refusal(ipaddress.ip_address(text)) == phrase


@pytest.mark.parametrize("text", PUBLIC)
def test_public_addresses_pass(text: str) -> None:
    assert address_refusal(ipaddress.ip_address(text)) is None


# ---------------------------------------------------------------------- origins


def test_origins_are_scheme_host_and_port() -> None:
    assert origin_of("https://huggingface.co/x") == ("https", "huggingface.co", 443)
    assert origin_of("http://[::1]:8080/") == ("http", "::1", 8080)
    assert parse_origins(" http://10.0.0.5:8080, https://Mirror.Internal/ ,") == {
        ("http", "10.0.0.5", 8080),
        ("https", "mirror.internal", 443),
    }
    for bad in ("ftp://a", "http://a/path", "http://u:p@a", "http://a?q=1", "not an origin"):
        with pytest.raises(ValueError, match="not an origin"):
            parse_origins(bad)


def test_settings_trust_the_endpoints_by_exact_origin() -> None:
    runtime = RuntimeSettings(
        hf_endpoint="http://127.0.0.1:8101",
        github_api_url="https://api.github.com",
        outbound_allow_origins="http://10.0.0.5:9000",
    )
    policy = runtime.outbound_policy()
    assert policy.trusts("http://127.0.0.1:8101/api/models/x")
    assert policy.trusts("https://api.github.com:443/repos")
    assert policy.trusts("http://10.0.0.5:9000/file")
    assert not policy.trusts("http://127.0.0.1:8102/")  # same host, another port
    assert not policy.trusts("https://127.0.0.1:8101/")  # same host and port, another scheme
    assert not policy.trusts("http://localhost:8101/")  # another spelling is another origin
    with pytest.raises(ValueError, match="not an origin"):
        RuntimeSettings(outbound_allow_origins="http://10.0.0.5/some/path")


# ---------------------------------------------------------------------- resolve once


class _Recorder(httpcore.AsyncNetworkBackend):
    """Stands for the network: records where it is asked to connect, answers 200 "ok"."""

    def __init__(self) -> None:
        self.connected: list[tuple[str, int]] = []
        self.sent = b""

    async def connect_tcp(self, host: str, port: int, *args: Any, **kw: Any) -> Any:
        self.connected.append((host, port))
        return _Stream(self)

    async def sleep(self, seconds: float) -> None:
        return None


class _Stream(httpcore.AsyncNetworkStream):
    def __init__(self, recorder: _Recorder) -> None:
        self.recorder = recorder
        self.answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        chunk, self.answer = self.answer[:max_bytes], self.answer[max_bytes:]
        return chunk

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.recorder.sent += buffer

    async def aclose(self) -> None:
        return None


class _RebindingResolver:
    """A DNS server that answers a public address once, then loopback (a rebinding attack)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        return ["93.184.216.34"] if len(self.calls) == 1 else ["127.0.0.1"]


async def test_the_host_is_resolved_once_and_the_vetted_address_is_connected() -> None:
    resolver, network = _RebindingResolver(), _Recorder()
    pool = httpcore.AsyncConnectionPool(network_backend=VettingBackend(resolver, network))
    async with pool:
        response = await pool.request("GET", "http://rebind.example:8080/model.bin")
    assert response.status == 200
    assert resolver.calls == ["rebind.example"]  # one lookup: no second answer to rebind with
    assert network.connected == [("93.184.216.34", 8080)]  # the address that was checked
    assert b"Host: rebind.example:8080\r\n" in network.sent  # the name still goes to the server


async def test_one_bad_address_among_several_refuses_the_host() -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.0.0.5"]

    network = _Recorder()
    backend = VettingBackend(resolver, network)
    with pytest.raises(OutboundRefused, match=r"'two.example' resolves to a private address"):
        await backend.connect_tcp("two.example", 80)
    assert network.connected == []


async def test_a_host_without_addresses_or_a_local_socket_is_not_fetched() -> None:
    async def nothing(host: str, port: int) -> list[str]:
        return []

    network = _Recorder()
    backend = VettingBackend(nothing, network)
    with pytest.raises(OutboundError) as empty:
        await backend.connect_tcp("void.example", 80)
    assert (empty.value.reason, empty.value.message) == (
        "unresolvable",
        "The host 'void.example' has no address.",
    )
    with pytest.raises(OutboundRefused) as socket_refused:
        await backend.connect_unix_socket("/var/run/docker.sock")
    assert socket_refused.value.message == "The registry does not fetch from local sockets."
    assert network.connected == []


async def test_the_client_uses_the_vetting_backend() -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return {"internal.example": ["10.0.0.5"], "meta.example": ["fd00:ec2::254"]}[host]

    async with guarded_client(OutboundPolicy(), resolver=resolver) as client:
        with pytest.raises(OutboundRefused) as refused:
            await client.get("http://internal.example/")
        assert refused.value.message == (
            "The host 'internal.example' resolves to a private address (10.0.0.5), which the "
            "registry does not fetch from."
        )
        with pytest.raises(OutboundRefused, match="the cloud metadata address"):
            await client.get("https://meta.example/latest/")
        with pytest.raises(OutboundRefused, match="only fetches http"):
            await client.get("ftp://internal.example/")


# ---------------------------------------------------------------------- real loopback servers


class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, Any] = {}

    def do_GET(self) -> None:
        route = self.routes.get(self.path.split("?", 1)[0])
        if route is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        route(self)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve(routes: dict[str, Any]) -> tuple[ThreadingHTTPServer, str]:
    handler = type("Handler", (_Handler,), {"routes": routes})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _answer(body: bytes, *, length: bool = True, status: int = 200, **headers: str) -> Any:
    def reply(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name.replace("_", "-"), value)
        if length:
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return reply


def _trickle(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", "14")
    handler.end_headers()
    for byte in b"fourteen bytes":
        handler.wfile.write(bytes([byte]))
        handler.wfile.flush()
        time.sleep(0.2)


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[str, str]]:
    """``(allowed, other)``: two loopback servers; the tests' policy trusts only the first."""
    other_server, other = _serve({"/secret": _answer(b"internal secret")})
    allowed_routes = {
        "/file.bin": _answer(b"x" * 1000),
        "/to-other": _answer(b"", status=302, Location=f"{other}/secret"),
        "/to-localhost": _answer(b"", status=302, Location="/file.bin"),  # patched below
        "/to-ftp": _answer(b"", status=302, Location="ftp://example.com/x"),
        "/loop": _answer(b"", status=302, Location="/loop"),
        "/moved": _answer(b"", status=301, Location="/file.bin"),
        "/big-declared": _answer(b"y" * 5000),
        "/big-chunked": _answer(b"z" * 5000, length=False, Connection="close"),
        "/trickle": _trickle,
        "/private": _answer(b"no", status=401),
    }
    allowed_server, allowed = _serve(allowed_routes)
    port = allowed_server.server_address[1]
    allowed_routes["/to-localhost"] = _answer(
        b"", status=302, Location=f"http://localhost:{port}/file.bin"
    )
    try:
        yield allowed, other
    finally:
        for server in (allowed_server, other_server):
            server.shutdown()
            server.server_close()


def _client(allowed: str) -> OutboundClient:
    return OutboundClient(OutboundPolicy(parse_origins(allowed)))


LIMITS = FetchLimits(deadline=10.0, max_bytes=4096, read_timeout=5.0)


async def _download(allowed: str, url: str, tmp_path: Path, limits: FetchLimits = LIMITS) -> Any:
    async with _client(allowed) as client:
        return await client.download(url, limits, lambda final, kind: tmp_path / "body")


async def test_an_allowed_origin_is_fetched_and_redirects_are_followed(
    servers: tuple[str, str], tmp_path: Path
) -> None:
    allowed, _ = servers
    fetched = await _download(allowed, f"{allowed}/moved", tmp_path)
    assert (fetched.url, fetched.status, fetched.size) == (f"{allowed}/file.bin", 200, 1000)
    assert (tmp_path / "body").read_bytes() == b"x" * 1000


async def test_the_same_host_on_another_port_is_refused(
    servers: tuple[str, str], tmp_path: Path
) -> None:
    allowed, other = servers
    with pytest.raises(OutboundRefused, match=r"'127\.0\.0\.1' is a loopback address"):
        await _download(allowed, f"{other}/secret", tmp_path)


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("/to-other", "redirects to http://127.0.0.1:"),
        ("/to-localhost", "the host 'localhost' resolves to a loopback address"),
        ("/to-ftp", "only fetches http(s) links, not 'ftp:'"),
    ],
)
async def test_every_redirect_hop_is_checked(
    servers: tuple[str, str], tmp_path: Path, path: str, fragment: str
) -> None:
    allowed, _ = servers
    with pytest.raises(OutboundRefused) as refused:
        await _download(allowed, f"{allowed}{path}", tmp_path)
    assert fragment in refused.value.message
    assert not (tmp_path / "body").exists()


async def test_redirects_are_bounded(servers: tuple[str, str], tmp_path: Path) -> None:
    allowed, _ = servers
    with pytest.raises(OutboundError, match="redirected more than 5 times"):
        await _download(allowed, f"{allowed}/loop", tmp_path)


async def test_a_trickled_body_meets_the_total_deadline(
    servers: tuple[str, str], tmp_path: Path
) -> None:
    allowed, _ = servers
    limits = FetchLimits(deadline=1.0, max_bytes=4096, read_timeout=5.0)  # each read is quick
    started = time.monotonic()
    with pytest.raises(OutboundError) as failed:
        await _download(allowed, f"{allowed}/trickle", tmp_path, limits)
    assert failed.value.reason == "deadline"
    assert "within 1 s" in failed.value.message
    assert time.monotonic() - started < within(limits.deadline)
    assert not (tmp_path / "body").exists()


@pytest.mark.parametrize("path", ["/big-declared", "/big-chunked"])
async def test_the_byte_cap_stops_the_download(
    servers: tuple[str, str], tmp_path: Path, path: str
) -> None:
    allowed, _ = servers
    with pytest.raises(OutboundError) as failed:
        await _download(allowed, f"{allowed}{path}", tmp_path)
    assert failed.value.reason == "too_large"
    assert "over the limit of 4,096 bytes" in failed.value.message
    assert not (tmp_path / "body").exists()


async def test_error_answers_carry_the_status(servers: tuple[str, str], tmp_path: Path) -> None:
    allowed, _ = servers
    with pytest.raises(OutboundError) as failed:
        await _download(allowed, f"{allowed}/private", tmp_path)
    assert (failed.value.reason, failed.value.http_status) == ("status", 401)
    assert "needs credentials" in failed.value.message
    with pytest.raises(OutboundError, match="HTTP 404: nothing is at that address"):
        await _download(allowed, f"{allowed}/nothing", tmp_path)


async def test_unresolvable_hosts_and_odd_spellings(tmp_path: Path) -> None:
    async with OutboundClient(OutboundPolicy()) as client:
        for url in ("http://2130706433/", "http://127.1/", "http://0x7f.1/"):
            with pytest.raises(OutboundRefused, match=r"resolves to a loopback address \(127"):
                await client.download(url, LIMITS, lambda final, kind: tmp_path / "x")
        with pytest.raises(OutboundRefused, match="not an http"):
            await client.download("http://0177.0.0.1/", LIMITS, lambda f, k: tmp_path / "x")
        with pytest.raises(OutboundError, match="could not be resolved") as failed:
            await client.download("http://no-such-host.invalid/", LIMITS, lambda f, k: tmp_path)
        assert failed.value.reason == "unresolvable"


def test_an_outbound_error_is_a_400_with_a_sentence() -> None:
    error = OutboundRefused("The host 'x' resolves to a loopback address.", reason="address")
    assert error.status == 400
    assert error.to_body() == {
        "detail": "The host 'x' resolves to a loopback address.",
        "code": "url_refused",
        "details": {"reason": "address"},
    }


async def test_proxies_from_the_environment_are_ignored(
    servers: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proxy would connect on our behalf, past the check: the guarded client uses none."""
    allowed, _ = servers
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    fetched = await _download(allowed, f"{allowed}/file.bin", tmp_path)
    assert fetched.size == 1000
