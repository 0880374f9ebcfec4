"""`registry_common.serve`: both ASGI servers start, run one or several workers and serve."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from registry_common.serve import ServeSettings, import_path, worker_app
from tests.harness.registry import free_port

ROOT = Path(__file__).resolve().parents[3]


# Each worker is a fresh interpreter importing FastAPI (seconds on a loaded machine), so
# the matrix is kept to what differs: each server once, and several workers once (the count
# is handed to either server the same way).
@pytest.mark.parametrize(("server", "workers"), [("uvicorn", 1), ("granian", 2)])
def test_the_configured_server_starts_its_workers_and_serves(
    tmp_path: Path, server: str, workers: int
) -> None:
    payload = os.urandom(300_000)
    (tmp_path / "payload.bin").write_bytes(payload)
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PROBE_DIR": str(tmp_path),
        "PORT": str(port),
        "REGISTRY_INTERNAL_TOKEN": "probe-internal-token-0123456789",
        "REGISTRY_SERVE_SERVER": server,
        "REGISTRY_SERVE_WORKERS": str(workers),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.harness.asgi_probe"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while len(list(tmp_path.glob("worker-*"))) < workers:
            assert process.poll() is None, process.stdout.read().decode()  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.1)
        url = f"http://127.0.0.1:{port}"
        while True:
            try:
                answer = httpx.get(f"{url}/pid", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.1)
        started = {int(p.name.removeprefix("worker-")) for p in tmp_path.glob("worker-*")}
        assert answer.json()["pid"] in started
        assert process.pid not in started or workers == 1  # several: workers are children
        assert httpx.get(f"{url}/file", timeout=10).content == payload
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_settings_and_factories_are_checked() -> None:
    with pytest.raises(ValueError, match="workers"):
        ServeSettings(workers=0)
    with pytest.raises(ValueError, match="server"):
        ServeSettings(server="hypercorn")  # type: ignore[arg-type]
    assert import_path(worker_app) == "registry_common.serve:worker_app"
    with pytest.raises(ValueError, match="module-level factory"):
        import_path(lambda: None)


def test_embedded_mode_refuses_several_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    from registry_launcher.__main__ import main

    monkeypatch.setenv("REGISTRY_SERVE_WORKERS", "2")
    with pytest.raises(SystemExit, match="Embedded mode runs in one process"):
        main()
