"""Hostile programs against every walled isolation level this host can build.

Each program is contained: it is stopped (timed out, killed on output or memory) or the
thing it reaches for is not there (a secret, a file, a socket). Limits are small so the
tests are fast; no test asserts an upper bound on time except one derived from the limits
it configured.
"""

from __future__ import annotations

import os
import socket
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from registry_common.sandbox import (
    GIB,
    KIB,
    MIB,
    Identity,
    Isolation,
    Limits,
    Outcome,
    Sandbox,
    SandboxOptions,
    SandboxRequest,
    available_levels,
)
from registry_common.sandbox.isolation import readable_by

from .conftest import PYTHON, walled_levels

pytestmark = pytest.mark.usefixtures("python_available")

SECRET = "PLANTED-ENV-SECRET-7c1f"


def _python(code: str, **fields: object) -> SandboxRequest:
    return SandboxRequest(PYTHON, ("-I", "-S", "-c", textwrap.dedent(code)), **fields)  # type: ignore[arg-type]


def _sandbox(level: Isolation, *hidden: Path) -> Sandbox:
    return Sandbox(SandboxOptions(isolation=level, hidden_paths=tuple(str(p) for p in hidden)))


@pytest.fixture
def listener() -> Iterator[tuple[int, list[int]]]:
    """A TCP server on the host's loopback counting the connections it accepts."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    accepted: list[int] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(1)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], accepted
    finally:
        stop.set()
        thread.join(timeout=2)
        server.close()


@pytest.mark.parametrize("level", walled_levels())
def test_no_secret_in_any_environ(level: Isolation, monkeypatch: pytest.MonkeyPatch) -> None:
    # The secret is in this (the parent) process's environment, as the services' are.
    monkeypatch.setenv("REGISTRY_TEST_SECRET", SECRET)
    program = f"""
        import os
        print("own:", dict(os.environ))
        for target in ("1", "{os.getpid()}", "{os.getppid()}"):
            try:
                print(target, open(f"/proc/{{target}}/environ", "rb").read())
            except OSError as exc:
                print(target, "refused", type(exc).__name__)
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    print(entry, open(f"/proc/{{entry}}/environ", "rb").read())
                except OSError as exc:
                    print(entry, "refused", type(exc).__name__)
        """
    result = _sandbox(level).run_blocking(_python(program))
    assert result.outcome is Outcome.COMPLETED, result
    assert result.exit_code == 0, result.stderr
    output = result.stdout + result.stderr
    assert SECRET.encode() not in output
    assert b"own: {" in result.stdout
    # The service's own process is not even visible: the program has its own pid namespace.
    assert f"/proc/{os.getpid()}".encode() not in output
    assert result.isolation is level


@pytest.mark.parametrize("level", walled_levels())
def test_data_directory_is_not_there(level: Isolation, data_dir: Path) -> None:
    secret = data_dir / "secret.txt"
    # By its permission bits anyone could read it: only the wall stands in the way.
    assert readable_by(str(secret), Identity.resolve(None))
    program = f"""
        import os
        for attempt in (lambda: open("{secret}").read(), lambda: os.listdir("{data_dir}")):
            try:
                print("READ", attempt())
            except OSError as exc:
                print("refused", type(exc).__name__)
        """
    result = _sandbox(level, data_dir).run_blocking(_python(program))
    assert result.outcome is Outcome.COMPLETED, result
    assert b"PLANTED-DATA-SECRET" not in result.stdout + result.stderr
    assert result.stdout.count(b"refused") + result.stdout.count(b"READ []") == 2, result.stdout


@pytest.mark.parametrize("level", walled_levels())
def test_network_none_reaches_nothing(level: Isolation, listener: tuple[int, list[int]]) -> None:
    port, accepted = listener
    program = f"""
        import socket
        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=3).close()
            print("CONNECTED")
        except OSError as exc:
            print("refused", type(exc).__name__, exc)
        """
    result = _sandbox(level).run_blocking(_python(program, network="none"))
    assert result.outcome is Outcome.COMPLETED, result
    assert b"refused" in result.stdout
    assert b"CONNECTED" not in result.stdout
    assert accepted == []
    # The control: the same program under the open policy does reach the host's loopback.
    opened = _sandbox(level).run_blocking(_python(program, network="open"))
    assert b"CONNECTED" in opened.stdout, opened
    assert accepted == [1]


@pytest.mark.parametrize("level", walled_levels())
def test_fork_bomb_is_contained(level: Isolation) -> None:
    if level is Isolation.BWRAP_USERNS:
        pytest.skip("without a dedicated uid the process limit is not applied (see docs)")
    limits = Limits(processes=16, wall_seconds=20)
    program = """
        import os, time
        children = 0
        try:
            while True:
                if os.fork() == 0:
                    time.sleep(60)
                    os._exit(0)
                children += 1
        except OSError as exc:
            print("forks refused after", children, type(exc).__name__)
        """
    result = _sandbox(level).run_blocking(_python(program, limits=limits))
    assert result.outcome is Outcome.COMPLETED, result
    assert b"forks refused after" in result.stdout
    children = int(result.stdout.split()[3])
    assert children < limits.processes
    # It finished by itself, long before the wall clock (the children die with the namespace).
    assert result.duration < limits.wall_seconds


@pytest.mark.parametrize("level", walled_levels())
def test_allocating_4_gib_is_stopped(level: Isolation) -> None:
    limits = Limits(memory_bytes=512 * MIB, wall_seconds=20)
    program = """
        block = bytearray(4 * 1024 ** 3)
        print("ALLOCATED", len(block))
        """
    result = _sandbox(level).run_blocking(_python(program, limits=limits))
    assert result.outcome is Outcome.KILLED_MEMORY, result
    assert b"ALLOCATED" not in result.stdout
    assert b"MemoryError" in result.stderr


@pytest.mark.parametrize("level", walled_levels())
def test_printing_1_gib_is_truncated_and_killed(level: Isolation) -> None:
    limits = Limits(output_bytes=64 * KIB, wall_seconds=60)
    program = """
        import sys
        chunk = b"x" * (1024 * 1024)
        for _ in range(1024):
            sys.stdout.buffer.write(chunk)
        print("PRINTED 1 GiB")
        """
    result = _sandbox(level).run_blocking(_python(program, limits=limits))
    assert result.outcome is Outcome.OUTPUT_TRUNCATED, result
    assert len(result.stdout) == limits.output_bytes
    assert b"PRINTED" not in result.stdout
    assert result.duration < limits.wall_seconds  # killed for its output, not by the clock


@pytest.mark.parametrize("level", walled_levels())
def test_sleeping_forever_times_out(level: Isolation) -> None:
    limits = Limits(wall_seconds=1.0)
    program = """
        import time
        print("sleeping", flush=True)
        time.sleep(10 ** 6)
        """
    result = _sandbox(level).run_blocking(_python(program, limits=limits))
    assert result.outcome is Outcome.TIMED_OUT, result
    assert result.duration >= limits.wall_seconds
    assert result.stdout == b"sleeping\n"
    assert "wall-clock" in result.message


@pytest.mark.parametrize("level", walled_levels())
def test_spinning_hits_the_cpu_limit(level: Isolation) -> None:
    limits = Limits(cpu_seconds=1, wall_seconds=30)
    result = _sandbox(level).run_blocking(_python("while True: pass", limits=limits))
    assert result.outcome is Outcome.KILLED_CPU, result
    assert result.duration < limits.wall_seconds


@pytest.mark.parametrize("level", walled_levels())
def test_files_args_identity_and_private_directory(level: Isolation) -> None:
    program = """
        import json, os, stat, sys
        run_dir = os.path.dirname(os.getcwd())
        info = os.stat(run_dir)
        print(json.dumps({
            "argv": sys.argv[1:],
            "uid": os.getuid(),
            "groups": os.getgroups(),
            "input": open("input.txt").read(),
            "run_dir_mode": oct(stat.S_IMODE(info.st_mode)),
            "run_dir_owner": info.st_uid,
            "home": os.environ["HOME"].startswith(run_dir),
            "tmp": os.environ["TMPDIR"].startswith(run_dir),
            "env": sorted(os.environ),
        }))
        sys.exit(3)
        """
    request = SandboxRequest(
        PYTHON,
        ("-I", "-S", "-c", textwrap.dedent(program), "MODEL", "alice"),
        files={"input.txt": b"hello"},
        env={"MODEL_NAME": "bert"},
    )
    sandbox = _sandbox(level)
    result = sandbox.run_blocking(request)
    assert result.outcome is Outcome.COMPLETED, result
    assert result.exit_code == 3
    import json

    seen = json.loads(result.stdout)
    assert seen["argv"] == ["MODEL", "alice"]
    assert seen["input"] == "hello"
    assert seen["run_dir_mode"] == "0o700"
    assert seen["home"]
    assert seen["tmp"]
    assert seen["env"] == ["HOME", "LANG", "LC_ALL", "MODEL_NAME", "PATH", "PWD", "TMPDIR"]
    if level is not Isolation.BWRAP_USERNS:  # (in a user namespace the uid is the service's)
        assert seen["groups"] == []
        assert seen["uid"] == sandbox.identity.uid != 0
        assert seen["run_dir_owner"] == sandbox.identity.uid


def test_large_allocation_under_the_limit_runs() -> None:
    """The control for the memory test: a program within its limit is not stopped."""
    level = available_levels()[0]
    if level is Isolation.RLIMITS:
        pytest.skip("no wall on this host")
    limits = Limits(memory_bytes=1 * GIB)
    result = _sandbox(level).run_blocking(
        _python("print(len(bytearray(64 * 1024 * 1024)))", limits=limits)
    )
    assert result.ok, result
    assert result.stdout == b"67108864\n"


@pytest.mark.parametrize("level", walled_levels())
def test_a_hidden_path_inside_a_readable_one_stays_hidden(level: Isolation, data_dir: Path) -> None:
    """A program may need to read a tree that holds a secret (an installation with its
    configuration inside): the secret is covered even there."""
    inner = data_dir / "config"
    inner.mkdir(mode=0o755)
    (inner / "settings.env").write_text("REGISTRY_DATABASE_PASSWORD=planted-f00d\n")
    (inner / "settings.env").chmod(0o644)
    (data_dir / "public.txt").write_text("fine to read\n")
    (data_dir / "public.txt").chmod(0o644)
    program = f"""
        for path in ("{data_dir}/public.txt", "{inner}/settings.env"):
            try:
                print(path, open(path).read().strip())
            except OSError as exc:
                print(path, "refused", type(exc).__name__)
        """
    request = _python(program, readonly_paths=(str(data_dir),))
    result = _sandbox(level, inner).run_blocking(request)
    assert result.outcome is Outcome.COMPLETED, result
    assert b"fine to read" in result.stdout
    assert b"planted-f00d" not in result.stdout + result.stderr
    assert b"settings.env refused" in result.stdout


ALLOW_LIST_LEVELS = [Isolation.BWRAP_UID, Isolation.BWRAP_USERNS]


@pytest.mark.parametrize("level", [p for p in walled_levels() if p.values[0] in ALLOW_LIST_LEVELS])
def test_allow_list_reaches_only_the_allowed_endpoint(
    level: Isolation, listener: tuple[int, list[int]]
) -> None:
    """Through the egress proxy: plain HTTP (absolute form) and CONNECT to the allowed
    endpoint work; another port, and any direct connection, do not."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Pong(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = f"pong {self.path}".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    allowed = ThreadingHTTPServer(("127.0.0.1", 0), Pong)
    threading.Thread(target=allowed.serve_forever, daemon=True).start()
    port, other_port = allowed.server_address[1], listener[0]
    program = f"""
        import os, socket, urllib.request
        print("via", os.environ["HTTP_PROXY"])
        print(urllib.request.urlopen("http://127.0.0.1:{port}/model?rev=1", timeout=5).read())
        try:
            urllib.request.urlopen("http://127.0.0.1:{other_port}/", timeout=5)
        except OSError as exc:
            print("other:", exc)
        proxy = socket.create_connection(("127.0.0.1", 3128), timeout=5)
        proxy.sendall(b"CONNECT 127.0.0.1:{port} HTTP/1.1\\r\\n\\r\\n")
        print("tunnel:", proxy.recv(100).split(b"\\r\\n")[0])
        proxy.sendall(b"GET /tunnelled HTTP/1.0\\r\\n\\r\\n")
        answer = b""  # HTTP/1.0: the answer ends when the server closes (it may come in parts)
        while chunk := proxy.recv(1000):
            answer += chunk
        print("through:", answer.split(b"\\r\\n\\r\\n")[-1])
        for target in [("127.0.0.1", {port}), ("127.0.0.1", {other_port})]:
            try:
                socket.create_connection(target, timeout=3)
                print("DIRECT", target)
            except OSError as exc:
                print("direct refused", type(exc).__name__)
        """
    request = _python(program, network="allow-list", allowed_endpoints=(f"127.0.0.1:{port}",))
    try:
        result = _sandbox(level).run_blocking(request)
    finally:
        allowed.shutdown()
        allowed.server_close()
    assert result.outcome is Outcome.COMPLETED, result
    assert result.exit_code == 0, result.stderr
    out = result.stdout.decode()
    assert "via http://127.0.0.1:3128" in out
    assert "b'pong /model?rev=1'" in out
    assert f"sandbox: network access to 127.0.0.1:{other_port} is not allowed" in out
    assert "tunnel: b'HTTP/1.1 200 Connection established'" in out
    assert "through: b'pong /tunnelled'" in out
    assert "DIRECT" not in out
    assert out.count("direct refused") == 2
    assert listener[1] == []  # the other port never saw a connection


@pytest.mark.skipif(
    Isolation.UNSHARE_UID not in available_levels(), reason="unshare+uid not available"
)
def test_allow_list_is_refused_where_egress_cannot_be_filtered() -> None:
    request = _python("print('ran')", network="allow-list", allowed_endpoints=("example.org:443",))
    result = _sandbox(Isolation.UNSHARE_UID).run_blocking(request)
    assert result.outcome is Outcome.DENIED
    assert "bubblewrap" in result.message
