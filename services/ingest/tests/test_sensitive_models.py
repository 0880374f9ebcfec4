"""Sensitive models in ingest, on SQLite and PostgreSQL: the tables of migration 0005, the
history's order and pages, and how each sandbox outcome becomes a verdict and an error.

The sandbox here is a stand-in that returns the outcome a test chooses (the real one, with
Node.js 24, is exercised end to end in tests/e2e/test_sensitive_models.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import structlog

from registry_common.blobs.local import LocalBlobStore
from registry_common.db import create_engine, run_migrations, session_factory
from registry_common.errors import RegistryError
from registry_common.sandbox import Isolation, Outcome, SandboxRequest, SandboxResult
from registry_common.settings import RuntimeSettings
from registry_ingest.app import MIGRATIONS
from registry_ingest.audit import Actor, AuditTrail
from registry_ingest.catalog import Catalog
from registry_ingest.config import IngestSettings
from registry_ingest.monitor_store import MonitorStore
from registry_ingest.monitors import PROGRAM_FILE, ZIP_FILE, SensitiveModels
from registry_ingest.tables import ArtifactRow

ZIP = b"PK\x03\x04 not really a zip, but bytes the monitor gets a copy of"


class ChosenOutcomes:
    """Answers each run with the next chosen result and keeps the requests it saw."""

    def __init__(self) -> None:
        self.results: list[SandboxResult] = []
        self.requests: list[SandboxRequest] = []

    async def run(self, request: SandboxRequest) -> SandboxResult:
        self.requests.append(request)
        return self.results.pop(0)


Parts = tuple[SensitiveModels, MonitorStore, ChosenOutcomes, LocalBlobStore, Catalog]


def _result(outcome: Outcome, exit_code: int | None, stdout: bytes = b"") -> SandboxResult:
    return SandboxResult(outcome, exit_code, stdout, b"", 0.25, Isolation.BWRAP_UID, "ended")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'ingest.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def parts(database_url: str, tmp_path: Path) -> AsyncIterator[Parts]:
    engine = create_engine(database_url)
    await run_migrations(engine, MIGRATIONS, version_table="alembic_ingest")
    sessions = session_factory(engine)
    store = MonitorStore(sessions)
    blobs = LocalBlobStore(tmp_path / "blobs")
    sandbox = ChosenOutcomes()
    settings = IngestSettings(
        runtime=RuntimeSettings(data_dir=tmp_path / "data"),
        monitor_node="/opt/node24/bin/node",
        monitor_message_bytes=64,
    )
    sensitive = SensitiveModels(
        settings, store, AuditTrail(sessions), blobs, sandbox, structlog.get_logger()
    )
    async with sessions.begin() as session:
        session.add(_model())
    yield sensitive, store, sandbox, blobs, Catalog(sessions)
    await engine.dispose()


async def _reloaded(catalog: Catalog, row: ArtifactRow) -> ArtifactRow:
    """The row as a download reads it (its copy of the sensitive flag included)."""
    fresh = await catalog.get(row.id)
    assert fresh is not None
    return fresh


def _model(uploader: str = "alice") -> ArtifactRow:
    now = datetime.now(UTC)
    return ArtifactRow(
        id="1234",
        name="acme",
        type="model",
        status="ready",
        revision=1,
        source_url="upload://acme",
        source_kind="upload",
        uploader=uploader,
        created_at=now,
        updated_at=now,
    )


async def test_outcomes_become_verdicts_errors_and_history(
    parts: Parts,
) -> None:
    sensitive, store, sandbox, blobs, catalog = parts
    row = _model()
    info = await blobs.put("artifacts/1234/r1/full.zip", ZIP)
    await sensitive.set(row, True, "process.exit(0)", Actor("bob"))
    row = await _reloaded(catalog, row)
    bob = Actor("bob")

    sandbox.results.append(_result(Outcome.COMPLETED, 0, b"ok"))
    await sensitive.check_download(row, "full", info, bob, "10.0.0.7")
    request = sandbox.requests[-1]
    assert request.args[1:] == (PROGRAM_FILE, "acme", "alice", "bob", ZIP_FILE)
    assert request.files[ZIP_FILE] == ZIP
    assert request.network == "open"
    assert request.command == "/opt/node24/bin/node"

    cases = [
        (_result(Outcome.COMPLETED, 2, b"no" * 100), 403, "monitor_refused", "refused"),
        (_result(Outcome.TIMED_OUT, -9), 403, "monitor_timed_out", "timed_out"),
        (_result(Outcome.KILLED_MEMORY, 134), 403, "monitor_failed", "failed"),
        (_result(Outcome.OUTPUT_TRUNCATED, -9, b"x" * 64), 403, "monitor_failed", "failed"),
        (_result(Outcome.FAILED_TO_START, 127), 503, "monitor_unavailable", "failed"),
        (_result(Outcome.DENIED, None), 503, "monitor_unavailable", "failed"),
    ]
    for result, status, code, _ in cases:
        sandbox.results.append(result)
        with pytest.raises(RegistryError) as refused:
            await sensitive.check_download(row, "card", info, bob, None)
        assert (refused.value.status, refused.value.code) == (status, code)

    page = await sensitive.history(row, Actor("alice"), 0, 100)
    assert page["total"] == 7
    verdicts = [entry["verdict"] for entry in page["items"]]
    assert verdicts == [case[3] for case in reversed(cases)] + ["allowed"]
    refused_entry = page["items"][5]
    assert refused_entry["output"] == "no" * 32  # capped at monitor_message_bytes
    assert page["items"][-1]["client"] == "10.0.0.7"
    assert (await store.last_monitored(row.id)) == page["items"][0]


async def test_history_pages_and_who_may_read_it(
    parts: Parts,
) -> None:
    sensitive, _store, _sandbox, blobs, catalog = parts
    row = _model()
    info = await blobs.put("artifacts/1234/r1/weights.zip", ZIP)
    await sensitive.set(row, True, None, Actor("alice"))
    row = await _reloaded(catalog, row)
    for user in ("u0", "u1", "u2", "u3", "u4"):
        await sensitive.check_download(row, "weights", info, Actor(user), None)
    first = await sensitive.history(row, Actor("root", is_admin=True), 0, 2)
    assert [e["user"] for e in first["items"]] == ["u4", "u3"]
    assert first["next_offset"] == 2
    last = await sensitive.history(row, Actor("alice"), 4, 2)
    assert [e["user"] for e in last["items"]] == ["u0"]
    assert last["next_offset"] is None
    assert all(not e["monitored"] for e in first["items"])
    with pytest.raises(RegistryError) as forbidden:
        await sensitive.history(row, Actor("u1"), 0, 2)
    assert forbidden.value.status == 403


async def test_not_sensitive_models_are_neither_checked_nor_recorded(
    parts: Parts,
) -> None:
    sensitive, _store, sandbox, blobs, catalog = parts
    row = _model()
    info = await blobs.put("artifacts/1234/r1/full.zip", ZIP)
    await sensitive.set(row, False, "process.exit(1)", Actor("bob"))
    row = await _reloaded(catalog, row)
    await sensitive.check_download(row, "full", info, Actor("bob"), None)
    assert sandbox.requests == []
    assert (await sensitive.history(row, Actor("alice"), 0, 10))["total"] == 0
    described = await sensitive.describe(row, Actor("carol"))
    assert described["sensitive"] is False
    assert described["program"] == "process.exit(1)"
    assert described["updated_by"] == "bob"


async def test_the_artifact_row_carries_the_flag_a_download_reads(
    parts: Parts,
) -> None:
    """Downloads decide from the artifact row alone (no monitor read for plain models), so
    its copy of the flag must follow every change of the monitor's, in the same commit."""
    sensitive, store, sandbox, blobs, catalog = parts
    row = await _reloaded(catalog, _model())
    assert row.sensitive is False
    info = await blobs.put("artifacts/1234/r1/full.zip", ZIP)
    await sensitive.set(row, True, None, Actor("bob"))
    row = await _reloaded(catalog, row)
    assert row.sensitive is True
    await sensitive.check_download(row, "full", info, Actor("carol"), None)
    assert (await store.history(row.id, 0, 10))[1] == 1  # recorded: it is sensitive
    await sensitive.set(row, False, None, Actor("bob"))
    row = await _reloaded(catalog, row)
    assert row.sensitive is False
    await sensitive.check_download(row, "full", info, Actor("carol"), None)
    assert (await store.history(row.id, 0, 10))[1] == 1  # not recorded any more
    assert sandbox.requests == []


NODE24 = Path(__file__).resolve().parents[3] / ".tools/node24/node_modules/.bin/node"
CONNECT = r"""
const net = require('net');
const socket = net.connect(Number(process.env.PORT_TO_TRY), '127.0.0.1');
socket.on('connect', () => { console.log('reached the host'); process.exit(0); });
socket.on('error', (e) => { console.log('no network: ' + e.code); process.exit(4); });
"""


@pytest.mark.integration
@pytest.mark.skipif(not NODE24.exists(), reason="needs `make node24` (Node.js 24 from npm)")
async def test_network_none_keeps_a_real_monitor_off_the_hosts_loopback(tmp_path: Path) -> None:
    """With INGEST_MONITOR_NETWORK=none a real node monitor, in the real sandbox, cannot
    reach a listener on the host's loopback, and the download is refused with its words."""
    import asyncio

    from registry_ingest.app import build_sandbox

    seen: list[bool] = []

    async def on_connect(_r: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(True)
        writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'ingest.sqlite3'}")
    await run_migrations(engine, MIGRATIONS, version_table="alembic_ingest")
    sessions = session_factory(engine)
    settings = IngestSettings(
        runtime=RuntimeSettings(data_dir=tmp_path / "data"),
        monitor_network="none",
        monitor_wall_seconds=10,
    )
    blobs = LocalBlobStore(tmp_path / "blobs")
    info = await blobs.put("artifacts/1234/r1/full.zip", ZIP)
    sensitive = SensitiveModels(
        settings,
        MonitorStore(sessions),
        AuditTrail(sessions),
        blobs,
        build_sandbox(settings),
        structlog.get_logger(),
    )
    catalog = Catalog(sessions)
    await catalog.insert(_model())
    row = await _reloaded(catalog, _model())
    # The port reaches the program as its source text: the environment is the sandbox's own.
    await sensitive.set(
        row, True, CONNECT.replace("process.env.PORT_TO_TRY", str(port)), Actor("alice")
    )
    row = await _reloaded(catalog, row)
    try:
        with pytest.raises(RegistryError) as refused:
            await sensitive.check_download(row, "full", info, Actor("bob"), None)
    finally:
        server.close()
        await server.wait_closed()
        await engine.dispose()
    assert refused.value.status == 403
    assert "no network" in refused.value.message
    assert seen == []


async def test_refused_programs_and_pages_say_what_to_send(
    parts: Parts,
) -> None:
    sensitive, store, _sandbox, _blobs, _catalog = parts
    row = _model()
    alice = Actor("alice")
    ceiling = IngestSettings.model_fields["monitor_max_program_bytes"].default
    with pytest.raises(RegistryError) as empty:
        await sensitive.set(row, True, "  \n", alice)
    assert (empty.value.status, empty.value.message) == (
        400,
        "The monitor program is empty; send JavaScript, or DELETE the monitor.",
    )
    with pytest.raises(RegistryError) as nul:
        await sensitive.set(row, True, "process.exit(0)\x00", alice)
    assert nul.value.message == "The monitor program contains a NUL character; send text."
    with pytest.raises(RegistryError) as large:
        await sensitive.set(row, True, "x" * (ceiling + 1), alice)
    assert large.value.status == 413
    assert large.value.message == (
        f"The monitor program is {ceiling + 1} bytes; at most {ceiling} bytes are accepted."
    )
    assert await store.get(row.id) is None  # nothing refused was stored

    with pytest.raises(RegistryError) as nothing:
        await sensitive.remove_program(row, alice)
    assert (nothing.value.status, nothing.value.message) == (
        404,
        "The model 'acme' has no monitor program to delete.",
    )
    await sensitive.set(row, True, "process.exit(0)", alice)
    removed = await sensitive.remove_program(row, alice)
    assert (removed["sensitive"], removed["program"]) == (True, None)

    with pytest.raises(RegistryError) as bad_page:
        await sensitive.history(row, alice, -1, 10)
    assert bad_page.value.message.startswith("Use offset >= 0 and 1 <= limit <= ")
    with pytest.raises(RegistryError) as stranger:
        await sensitive.history(row, Actor("mallory"), 0, 10)
    assert stranger.value.message == (
        "Only the uploader of 'acme' and admins may read its download history."
    )
