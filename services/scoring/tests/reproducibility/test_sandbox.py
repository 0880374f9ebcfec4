"""The sandbox: limits, reachability, isolation from the parent, and the hook's own integrity."""

from __future__ import annotations

import asyncio
import dis
import json
import os
import textwrap
import time
from pathlib import Path

import pytest

from registry_scoring.reproducibility import _bootstrap
from registry_scoring.reproducibility.sandbox import MIB, SandboxConfig, run_program
from tests.harness.deadlines import within

from .conftest import NO_WALL


def _config(hub_url: str, **overrides: object) -> SandboxConfig:
    settings: dict[str, object] = {"timeout": 10.0}
    settings.update(overrides)
    return SandboxConfig(hub_endpoint=hub_url, **settings)  # type: ignore[arg-type]


async def _run(source: str, hub_url: str, **overrides: object):  # type: ignore[no-untyped-def]
    return await run_program(textwrap.dedent(source), _config(hub_url, **overrides))


# --- running and reporting ------------------------------------------------------------------


async def test_a_program_that_runs_is_ok_and_its_output_is_captured(hub_url: str) -> None:
    outcome = await _run("import sys\nprint('hello')\nprint('warn', file=sys.stderr)", hub_url)
    assert outcome.ok
    assert outcome.returncode == 0
    assert outcome.failure is None
    assert outcome.stdout == "hello\n"
    assert outcome.stderr == "warn\n"
    assert 0 < outcome.duration < 5


async def test_an_exception_is_reported_with_type_message_name_and_line(hub_url: str) -> None:
    outcome = await _run("x = 1\n\nprint(undefined_thing)\n", hub_url)
    assert not outcome.ok
    assert outcome.returncode == 1
    failure = outcome.failure
    assert failure is not None
    assert failure.kind == "exception"
    assert failure.exc_type == "NameError"
    assert failure.name == "undefined_thing"
    assert failure.lineno == 3
    assert failure.summary() == "NameError: name 'undefined_thing' is not defined"
    assert "Traceback" in outcome.stderr
    assert "__repro_sandbox_failure__" not in outcome.stderr


async def test_syntax_errors_and_exit_codes(hub_url: str) -> None:
    broken = await _run("print('a'\n", hub_url)
    assert broken.failure is not None
    assert broken.failure.exc_type == "SyntaxError"
    exited = await _run("import sys\nsys.exit(3)", hub_url)
    assert exited.returncode == 3
    assert exited.failure is not None
    assert exited.failure.kind == "exit"
    clean = await _run("raise SystemExit(0)", hub_url)
    assert clean.ok


async def test_stdin_is_closed(hub_url: str) -> None:
    outcome = await _run("input('name? ')", hub_url)
    assert outcome.failure is not None
    assert outcome.failure.exc_type == "EOFError"


async def test_output_is_truncated(hub_url: str) -> None:
    outcome = await _run("print('x' * 500_000)", hub_url, output_bytes=1000)
    assert outcome.ok
    assert len(outcome.stdout) < 1100
    assert outcome.stdout.endswith("[... output truncated ...]\n")


# --- limits -----------------------------------------------------------------------------------


async def test_an_infinite_loop_is_killed_at_the_wall_clock_limit(hub_url: str) -> None:
    timeout = 1.0
    started = time.perf_counter()
    outcome = await _run("while True:\n    pass\n", hub_url, timeout=timeout)
    assert time.perf_counter() - started < within(timeout)
    assert outcome.failure is not None
    assert outcome.failure.kind == "timeout"
    assert outcome.returncode == -9


async def test_a_sleeping_program_is_killed_too(hub_url: str) -> None:
    outcome = await _run("import time\ntime.sleep(60)", hub_url, timeout=0.8)
    assert outcome.failure is not None
    assert outcome.failure.exc_type == "Timeout"
    assert outcome.duration < 3


async def test_cpu_time_limit(hub_url: str) -> None:
    outcome = await _run("while True:\n    pass\n", hub_url, timeout=20.0, cpu_seconds=1)
    assert outcome.failure is not None
    assert outcome.failure.kind == "signal"
    assert outcome.failure.exc_type == "SIGXCPU"
    # Stopped by the CPU limit, not the clock (a loaded 2-core host stretches 1 CPU second).
    assert outcome.duration < 20.0


async def test_a_memory_hog_fails_with_memory_error(hub_url: str) -> None:
    hog = """
        chunks = []
        while True:
            chunks.append(bytearray(50 * 1024 * 1024))
    """
    outcome = await _run(hog, hub_url, memory_bytes=256 * MIB)
    assert outcome.failure is not None
    assert outcome.failure.exc_type == "MemoryError"


async def test_file_size_limit(hub_url: str) -> None:
    program = "open('big.bin', 'wb').write(b'0' * (2 * 1024 * 1024))"
    outcome = await _run(program, hub_url, file_size_bytes=1 * MIB)
    assert outcome.failure is not None
    assert outcome.failure.exc_type == "OSError"
    assert "File too large" in outcome.failure.message


# --- network ----------------------------------------------------------------------------------


async def test_the_hub_endpoint_is_reachable(hub_url: str) -> None:
    program = """
        import os, urllib.request
        endpoint = os.environ["HF_ENDPOINT"]
        print(urllib.request.urlopen(endpoint + "/ping", timeout=5).read().decode())
        # the loopback alias of the same endpoint (the fake hub's "CDN" redirects there)
        port = endpoint.rsplit(":", 1)[1]
        print(urllib.request.urlopen(f"http://localhost:{port}/", timeout=5).status)
    """
    outcome = await _run(program, hub_url)
    assert outcome.ok, outcome.stderr
    assert outcome.stdout.splitlines() == [f"pong from {hub_url.rsplit(':', 1)[1]}", "200"]


async def test_other_loopback_ports_are_refused(hub_url: str, other_url: str) -> None:
    program = f"""
        import urllib.request
        urllib.request.urlopen("{other_url}/", timeout=5).read()
    """
    outcome = await _run(program, hub_url)
    assert outcome.failure is not None
    port = other_url.rsplit(":", 1)[1]
    assert f"network access to 127.0.0.1:{port} is not allowed" in outcome.failure.message


@pytest.mark.parametrize(
    "program",
    [
        "import socket\nsocket.getaddrinfo('example.com', 443)",
        "import socket\nsocket.create_connection(('10.0.0.1', 80), timeout=1)",
        "import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect('/var/run/docker.sock')",
        "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "s.sendto(b'x', ('8.8.8.8', 53))",
        "import socket\nsocket.socket(socket.AF_INET, socket.SOCK_RAW, 1)",
        "import socket\ns = socket.socket()\ns.bind(('0.0.0.0', 0))",
    ],
    ids=["dns", "connect", "unix", "udp", "raw", "bind-any"],
)
async def test_network_escapes_are_refused(hub_url: str, program: str) -> None:
    outcome = await _run(program, hub_url)
    assert outcome.failure is not None
    assert outcome.failure.exc_type == "PermissionError"
    assert outcome.failure.message.startswith("sandbox: ")


# --- processes, signals, secrets --------------------------------------------------------------


@pytest.mark.parametrize(
    "program",
    [
        "import subprocess\nsubprocess.run(['echo', 'hi'])",
        "import os\nos.system('echo hi')",
        "import os\nos.fork()",
        "import os\nos.execv('/bin/echo', ['echo'])",
        "import os\nos.posix_spawn('/bin/echo', ['echo'], {})",
        "import _posixsubprocess\n_posixsubprocess.fork_exec()",
        "import sys, importlib.util\ndel sys.modules['_posixsubprocess']\nimport _posixsubprocess",
        "import sys\nclass Sneaky(str):\n    def __eq__(self, other):\n        return False\n"
        "    __hash__ = str.__hash__\ndel sys.modules['_posixsubprocess']\n"
        "__import__(Sneaky('_posixsubprocess')).fork_exec()",
        "import multiprocessing\np = multiprocessing.Process(target=print)\np.start()",
        "import pty\npty.spawn('/bin/sh')",
    ],
    ids=[
        *("popen", "system", "fork", "exec", "posix_spawn", "fork_exec", "reload"),
        *("str-subclass-reload", "multiprocessing", "pty"),
    ],
)
async def test_spawning_processes_is_refused(hub_url: str, program: str) -> None:
    outcome = await _run(program, hub_url)
    assert outcome.failure is not None, outcome.stderr
    assert outcome.failure.exc_type == "PermissionError", outcome.stderr
    assert "hi" not in outcome.stdout


async def test_signalling_the_parent_is_refused_but_not_itself(hub_url: str) -> None:
    outcome = await _run("import os, signal\nos.kill(os.getppid(), signal.SIGTERM)", hub_url)
    assert outcome.failure is not None
    assert "signalling" in outcome.failure.message
    itself = await _run("import os\nos.kill(os.getpid(), 0)\nprint('alive')", hub_url)
    assert itself.ok
    assert itself.stdout == "alive\n"


async def test_the_parent_environment_is_not_inherited(
    hub_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("HF_TOKEN", "hf_secret_token")
    monkeypatch.setenv("PYTHONPATH", "/tmp/evil")
    outcome = await _run("import json, os, sys\nprint(json.dumps(dict(os.environ)))", hub_url)
    env = json.loads(outcome.stdout)
    assert "AWS_SECRET_ACCESS_KEY" not in env
    assert "HF_TOKEN" not in env
    assert "wJalrXUtnFEMI" not in outcome.stdout
    assert env["HF_ENDPOINT"] == hub_url
    assert env["HF_HUB_DISABLE_TELEMETRY"] == "1"
    assert env["HOME"].startswith(env["TMPDIR"].rsplit("/", 1)[0])
    assert env["HF_HUB_CACHE"].startswith(env["HF_HOME"])


async def test_the_parent_process_environment_cannot_be_read_through_proc(hub_url: str) -> None:
    outcome = await _run("import os\nopen(f'/proc/{os.getppid()}/environ', 'rb').read()", hub_url)
    assert outcome.failure is not None
    assert "other processes" in outcome.failure.message
    own = await _run("print(len(open('/proc/self/status').read()) > 0)", hub_url)
    assert own.ok
    assert own.stdout == "True\n"


# --- file system ------------------------------------------------------------------------------


async def test_writes_stay_inside_the_sandbox_directory(hub_url: str, tmp_path: Path) -> None:
    target = tmp_path / "outside.txt"
    outcome = await _run(f"open({str(target)!r}, 'w').write('pwned')", hub_url)
    assert outcome.failure is not None
    assert "writing outside" in outcome.failure.message
    assert not target.exists()


async def test_symlinks_do_not_lead_out_of_the_sandbox(hub_url: str, tmp_path: Path) -> None:
    target = tmp_path / "victim.txt"
    target.write_text("original")
    program = f"""
        import os
        os.symlink({str(target)!r}, "link.txt")
        with open("link.txt", "w") as handle:
            handle.write("pwned")
    """
    outcome = await _run(program, hub_url)
    assert outcome.failure is not None
    assert outcome.failure.exc_type == "PermissionError"
    assert target.read_text() == "original"


async def test_directory_descriptors_and_moves_out_are_refused(
    hub_url: str, tmp_path: Path
) -> None:
    fd_trick = await _run("import os\nfd = os.open('/etc', os.O_RDONLY)", hub_url)
    assert fd_trick.failure is not None
    assert "directory descriptors" in fd_trick.failure.message
    move = await _run(
        f"import os\nopen('a', 'w').close()\nos.rename('a', {str(tmp_path / 'a')!r})", hub_url
    )
    assert move.failure is not None
    assert move.failure.exc_type == "PermissionError"
    assert not (tmp_path / "a").exists()


async def test_working_inside_the_sandbox_is_fine_and_it_is_removed_afterwards(
    hub_url: str,
) -> None:
    program = """
        import os, shutil, tempfile
        open("notes.txt", "w").write("ok")
        scratch = tempfile.mkdtemp()
        os.makedirs(os.path.join(scratch, "a", "b"))
        open(os.path.join(scratch, "a", "b", "c.txt"), "w").write("x")
        shutil.rmtree(scratch)
        with open(os.devnull, "w") as sink:
            sink.write("discarded")
        print(os.getcwd())
    """
    outcome = await _run(program, hub_url)
    assert outcome.ok, outcome.stderr
    workdir = Path(outcome.stdout.strip())
    assert workdir.name == "work"
    assert not workdir.parent.exists()


async def test_denied_paths_cannot_be_read(hub_url: str, tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "credentials").write_text("aws_secret_access_key = abc")
    program = f"print(open({str(secrets / 'credentials')!r}).read())"
    outcome = await _run(program, hub_url, deny_read=(str(secrets),))
    assert outcome.failure is not None
    assert "reading" in outcome.failure.message
    assert "abc" not in outcome.stdout
    listing = await _run(
        f"import os\nprint(os.listdir({str(secrets)!r}))", hub_url, deny_read=(str(secrets),)
    )
    assert listing.failure is not None


async def test_by_default_the_service_working_directory_is_not_readable(hub_url: str) -> None:
    service_file = Path.cwd() / "pyproject.toml"
    assert service_file.exists()
    outcome = await _run(f"open({str(service_file)!r}).read()", hub_url)
    assert outcome.failure is not None
    assert "reading" in outcome.failure.message
    # ... while the interpreter's own libraries (also below that directory here) still import
    libraries = await _run("import huggingface_hub, json\nprint('ok')", hub_url)
    assert libraries.ok, libraries.stderr


async def test_native_code_written_by_the_program_is_not_loaded(hub_url: str) -> None:
    program = """
        import ctypes, shutil, sys, _json
        shutil.copy(_json.__file__, "mine.so")
        ctypes.CDLL("./mine.so")
    """
    outcome = await _run(program, hub_url)
    assert outcome.failure is not None
    assert "native code" in outcome.failure.message
    libc = await _run("import ctypes\nctypes.CDLL(None).connect", hub_url)
    assert libc.failure is not None
    assert "native symbol" in libc.failure.message


# --- the hook's own integrity -----------------------------------------------------------------


def test_the_hook_looks_up_no_global_or_builtin_name_at_call_time() -> None:
    for function in (_bootstrap._audit, _bootstrap._resolve):
        code = function.__code__
        assert code.co_freevars == ()
        codes = [code, *(c for c in code.co_consts if hasattr(c, "co_code"))]
        for each in codes:
            loads = {i.opname for i in dis.get_instructions(each)}
            assert not loads & {"LOAD_GLOBAL", "LOAD_NAME", "LOAD_DEREF", "STORE_GLOBAL"}, (
                function.__name__
            )


def test_the_hook_state_is_immutable() -> None:
    config = {"root": "/tmp/x", "endpoints": [["127.0.0.1", 1]], "deny_read": ["/root"]}
    hook = _bootstrap.build_hook(config, (frozenset({"127.0.0.1"}), frozenset({("127.0.0.1", 1)})))

    def check(value: object) -> None:
        if isinstance(value, tuple | frozenset):
            for item in value:
                check(item)
            return
        assert isinstance(value, str | int | type | type(len)) or callable(value), type(value)
        assert not isinstance(value, list | dict | set | bytearray)

    assert hook.func is _bootstrap._audit  # type: ignore[attr-defined]
    check(hook.args)  # type: ignore[attr-defined]


async def test_monkeypatching_builtins_does_not_disable_the_hook(
    hub_url: str, other_url: str
) -> None:
    port = other_url.rsplit(":", 1)[1]
    program = f"""
        import builtins, os, posixpath, socket
        sock = socket.socket()
        saved = builtins.type, builtins.len, builtins.PermissionError, posixpath.realpath
        builtins.PermissionError = type("Nope", (Exception,), {{}})
        builtins.type = lambda value: str
        builtins.len = lambda value: 0
        posixpath.realpath = lambda path, **kw: "/tmp/ok"
        try:
            sock.connect(("127.0.0.1", {port}))
            result = "connected"
        except BaseException as exc:
            result = exc
        builtins.type, builtins.len, builtins.PermissionError, posixpath.realpath = saved
        print(type(result).__name__, result)
    """
    outcome = await _run(program, hub_url)
    assert outcome.ok, outcome.stderr
    assert outcome.stdout.startswith("PermissionError sandbox: network access to 127.0.0.1:")


async def test_the_refusing_frame_exposes_nothing_mutable(hub_url: str, other_url: str) -> None:
    port = other_url.rsplit(":", 1)[1]
    program = f"""
        import socket
        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=2)
        except PermissionError as refusal:
            tb = refusal.__traceback__
            while tb.tb_next is not None:
                tb = tb.tb_next
            mutable = []
            def walk(value):
                if isinstance(value, (tuple, frozenset)):
                    for item in value:
                        walk(item)
                elif isinstance(value, (list, dict, set, bytearray)):
                    mutable.append(type(value).__name__)
            for name, value in tb.tb_frame.f_locals.items():
                walk(value)
            print(tb.tb_frame.f_code.co_name, mutable)
    """
    outcome = await _run(program, hub_url)
    assert outcome.ok, outcome.stderr
    assert outcome.stdout.strip() == "_audit []"


async def test_the_hook_code_cannot_be_replaced(hub_url: str, other_url: str) -> None:
    port = other_url.rsplit(":", 1)[1]
    program = f"""
        import socket, sys, types
        frame = sys._getframe()
        while frame is not None and "_audit" not in frame.f_globals:
            frame = frame.f_back
        audit = frame.f_globals["_audit"]
        try:
            audit.__code__ = (lambda state, event, args: None).__code__
        except PermissionError as refused:
            print(refused)
        # the standard library's own __code__ assignments keep working
        @types.coroutine
        def legacy():
            yield
        socket.create_connection(("127.0.0.1", {port}), timeout=2)
    """
    outcome = await _run(program, hub_url)
    assert outcome.stdout == "sandbox: replacing the sandbox's code is not allowed\n"
    assert outcome.failure is not None
    assert "network access" in outcome.failure.message


async def test_cancelling_a_run_kills_the_child(hub_url: str, tmp_path: Path) -> None:
    task = asyncio.create_task(
        run_program("import time\ntime.sleep(60)", _config(hub_url, base_dir=str(tmp_path)))
    )
    await asyncio.sleep(0.5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    def survivors() -> list[str]:
        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if str(tmp_path).encode() in cmdline:
                found.append(pid)
        return found

    assert survivors() == []
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="a dedicated uid needs a service started as root")
async def test_run_as_an_unprivileged_uid(hub_url: str) -> None:
    outcome = await _run(
        "import os\nprint(os.getuid(), os.getgid())", hub_url, run_as=(65534, 65534)
    )
    assert outcome.ok, outcome.stderr
    assert outcome.stdout == "65534 65534\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="a dedicated uid needs a service started as root")
async def test_by_default_it_runs_as_its_own_uid_behind_a_wall(hub_url: str) -> None:
    outcome = await _run("import os\nprint(os.getuid())", hub_url)
    assert outcome.ok, outcome.stderr
    assert int(outcome.stdout) not in (0, os.getuid())
    assert outcome.isolation in ("bwrap+uid", "unshare+uid", "uid")


@pytest.mark.skipif(NO_WALL, reason="no sandbox wall on this host (docs/security/sandbox.md)")
async def test_native_code_past_the_hook_still_meets_the_wall(
    hub_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documented gap of the audit hook (ctypes calling libc's open and read, which the
    hook never sees) no longer reaches a secret: the OS is the wall."""
    monkeypatch.setenv("REGISTRY_DATABASE_PASSWORD", "planted-db-password-51f0")
    program = f"""
        import ctypes, os
        libc = ctypes.CDLL(None)
        buffer = ctypes.create_string_buffer(1 << 16)
        seen = []
        for pid in ["1", "{os.getpid()}", "{os.getppid()}", *os.listdir("/proc")]:
            if not pid.isdigit():
                continue
            fd = libc.open(f"/proc/{{pid}}/environ".encode(), 0)
            if fd < 0:
                seen.append((pid, "refused"))
                continue
            size = libc.read(fd, buffer, len(buffer))
            libc.close(fd)
            seen.append((pid, buffer.raw[: max(size, 0)].decode("latin-1")))
        print(seen)
    """
    outcome = await _run(program, hub_url)
    assert outcome.ok, outcome.stderr  # the hook did not stop it ...
    assert "planted-db-password-51f0" not in outcome.stdout  # ... the wall did


async def test_a_timeout_names_the_last_refusal(hub_url: str) -> None:
    program = """
        import socket, sys, time
        while True:  # a client logging and retrying a refused connection, like huggingface_hub
            try:
                socket.getaddrinfo("cdn.example.com", 443)
            except PermissionError as error:
                print(f"'{error}' thrown while requesting HEAD; retrying", file=sys.stderr)
                time.sleep(0.1)
    """
    outcome = await _run(program, hub_url, timeout=1.0)
    assert outcome.failure is not None
    assert outcome.failure.kind == "timeout"
    assert outcome.failure.message == (
        "killed after the 1 s wall-clock limit "
        "(last refusal: sandbox: name resolution is limited to the hub endpoint)"
    )
