"""Regression: spawning a sandbox must not run Python's at-fork hooks in the child.

uvloop's subprocess spawn runs them; huggingface_hub registers one that closes its HTTP
client, which deadlocked the child whenever another thread held that client's lock at fork
time (seen in embedded mode: ingest downloading while scoring ran a card's demo). The
sandbox now spawns with subprocess.Popen (no preexec_fn: no hooks) from a worker thread.
"""

from __future__ import annotations

import os
import threading
import time

import uvloop

from registry_scoring.reproducibility.sandbox import SandboxConfig, run_program

_ARMED = threading.Event()
_HELD = threading.Lock()


def _deadlock_in_child() -> None:
    if _ARMED.is_set():
        _HELD.acquire()  # held by a parent thread at fork time: never released in the child


os.register_at_fork(after_in_child=_deadlock_in_child)


def test_sandbox_spawn_runs_no_fork_hooks_under_uvloop() -> None:
    config = SandboxConfig(hub_endpoint="http://127.0.0.1:9", timeout=20)
    _HELD.acquire()
    _ARMED.set()
    try:
        outcome = uvloop.run(run_program("print('ran')", config))
    finally:
        _ARMED.clear()
        _HELD.release()
    assert outcome.ok, outcome.stderr
    assert outcome.stdout.strip() == "ran"


def test_the_armed_hook_really_blocks_a_forked_child() -> None:
    """Without this, the test above could pass with a hook that never blocks."""
    _HELD.acquire()
    _ARMED.set()
    try:
        pid = os.fork()
        if pid == 0:  # child: reaches here only if the hook did not block
            os._exit(0)
        time.sleep(0.5)
        finished, _status = os.waitpid(pid, os.WNOHANG)
        assert finished == 0  # still running: stuck in the hook
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    finally:
        _ARMED.clear()
        _HELD.release()
