"""The server helper and the ``python -m`` entry points, plus the fixture table's own checks."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.fakes.fixtures import TABLE, FixtureTable, HubFile
from tests.fakes.github import create_app as create_github_app
from tests.fakes.server import serve

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_serve_picks_a_free_port_and_stops_cleanly() -> None:
    with serve(create_github_app()) as first, serve(create_github_app()) as second:
        assert first != second
        assert first.startswith("http://127.0.0.1:")
        assert httpx.get(f"{first}/repos/openai/whisper").status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{first}/rate_limit", timeout=2)


@pytest.mark.parametrize(
    ("module", "probe"),
    [
        ("tests.fakes.hub", "/api/models/openai/whisper-tiny"),
        ("tests.fakes.github", "/repos/openai/whisper"),
    ],
)
def test_module_entry_point_serves_on_the_printed_url(module: str, probe: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", module, "--port", "0"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        url = first_line.rsplit(" ", 1)[-1].strip()
        assert url.startswith("http://127.0.0.1:"), first_line
        assert httpx.get(f"{url}{probe}", timeout=10).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_fixture_table_rejects_inconsistent_records() -> None:
    repo = TABLE.hub_repo("openai/whisper-tiny")
    broken = dataclasses.replace(repo, files=(HubFile(path="late.bin", since_revision=99),))

    with pytest.raises(ValueError, match="revision index out of range"):
        FixtureTable(hub_repos=(broken,), github_repos=(), github_users={})
    with pytest.raises(ValueError, match="duplicate Hub id"):
        FixtureTable(hub_repos=(repo, repo), github_repos=(), github_users={})


def test_fixture_table_lookups() -> None:
    assert TABLE.hub_repo("bert-base-uncased").repo_id == "google-bert/bert-base-uncased"
    assert TABLE.hub_repo("wikipedia", repo_type="dataset").repo_id == "wikimedia/wikipedia"
    assert TABLE.github_repo("OpenAI/Whisper").full_name == "openai/whisper"
    assert {r.repo_id for r in TABLE.datasets} == {
        "bookcorpus/bookcorpus",
        "wikimedia/wikipedia",
        "stanfordnlp/imdb",
    }
    with pytest.raises(KeyError):
        TABLE.hub_repo("nobody/nothing")
