"""The `registry` command end to end against a real embedded registry (fake Hugging Face Hub
and GitHub behind it, the scoring double rating every model 0.8): every command, the exit
codes, the token file's rights and a resumed download checked byte for byte.

The CLI runs in this process (`registry_cli.__main__.main`, as the console script does) with
its configuration directory under tmp_path; one test runs the installed console script."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from registry_cli.__main__ import main
from tests.harness.registry import DEFAULT_ADMIN, DEFAULT_PASSWORD, RunningRegistry, free_port
from tests.harness.topology import Setup, Topology, topology

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

HF = "https://huggingface.co"
BERT = f"{HF}/google-bert/bert-base-uncased"
# Rated by the double (fast), visible at once.
CLI_SETUP = Setup(ratings={"": 0.8})


@pytest.fixture(scope="module")
def cli_topology(request: pytest.FixtureRequest) -> Iterator[Topology]:
    # The embedded topology only: the CLI is an HTTP client of the gateway, which both
    # topologies serve the same way (tests/e2e prove that); this keeps the module cheap.
    with topology("embedded", CLI_SETUP, request, pooled=False) as running:
        yield running


@pytest.fixture
def registry(cli_topology: Topology, request: pytest.FixtureRequest) -> Iterator[RunningRegistry]:
    with cli_topology.fresh(request) as running:
        yield running


class Cli:
    """Runs `registry ...` in this process with its own configuration directory."""

    def __init__(self, capsys: pytest.CaptureFixture[str], config: Path, url: str) -> None:
        self.capsys = capsys
        self.config = config
        self.url = url

    def run(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = self.capsys.readouterr()
        return code, out, err

    def ok_json(self, *args: str) -> Any:
        code, out, err = self.run("--json", *args)
        assert code == 0, err
        return json.loads(out)

    def login(self) -> None:
        code, _, err = self.run(
            "--url", self.url, "login", "-u", DEFAULT_ADMIN, "-p", DEFAULT_PASSWORD, "--admin"
        )
        assert code == 0, err


@pytest.fixture
def cli(
    registry: RunningRegistry,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Cli:
    config = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    monkeypatch.delenv("REGISTRY_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    return Cli(capsys, config, registry.url)


def model_directory(root: Path, size: int = 400_000) -> tuple[Path, bytes]:
    """A small Hugging Face-like model folder; the weights are random (incompressible), so
    the bundle is large enough to be downloaded in several chunks."""
    directory = root / "tiny-model"
    directory.mkdir()
    weights = os.urandom(size)
    (directory / "model.safetensors").write_bytes(weights)
    (directory / "config.json").write_text(json.dumps({"model_type": "bert"}))
    (directory / "README.md").write_text("---\nlicense: mit\n---\n# tiny-model\nA test model.\n")
    return directory, weights


def test_login_caches_the_token_owner_only_and_commands_use_it(cli: Cli) -> None:
    cli.login()
    path = cli.config / "registry" / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = json.loads(path.read_text())
    assert saved["url"] == cli.url
    assert saved["user"] == DEFAULT_ADMIN
    assert saved["token"].startswith("bearer ")
    # No --url any more: the saved registry and token are used.
    assert cli.ok_json("search") == []

    code, _, _ = cli.run("logout")
    assert code == 0
    assert not path.exists()
    code, _, err = cli.run("--url", cli.url, "search")
    assert code == 2
    assert "registry login" in err


def test_a_wrong_password_is_an_auth_error_in_one_line(cli: Cli) -> None:
    code, _, err = cli.run("--url", cli.url, "login", "-u", DEFAULT_ADMIN, "-p", "wrong")
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("registry: error: ")
    assert "HTTP 401" in lines[0] or "HTTP 403" in lines[0]
    assert not (cli.config / "registry" / "credentials.json").exists()


def test_ingest_show_rate_search_and_delete(cli: Cli) -> None:
    cli.login()
    created = cli.ok_json("ingest", BERT, "--name", "cli-bert")
    meta = created["metadata"]
    assert meta["name"] == "cli-bert"
    assert meta["type"] == "model"
    model_id = meta["id"]

    code, out, _ = cli.run("show", "model", model_id)
    assert code == 0
    assert "cli-bert" in out
    assert BERT in out
    assert cli.ok_json("show", "model", model_id) == created

    rating = cli.ok_json("rate", model_id)
    assert rating["net_score"] == pytest.approx(0.8)
    code, out, _ = cli.run("rate", model_id)
    assert code == 0
    assert "net_score" in out

    assert [a["id"] for a in cli.ok_json("search", "cli-bert")] == [model_id]
    assert cli.ok_json("search", "cli-bert", "--type", "dataset") == []
    assert [a["id"] for a in cli.ok_json("search", "--regex", "^cli-b.rt$")] == [model_id]
    assert cli.ok_json("search", "--regex", "no-such-thing-here") == []
    code, out, _ = cli.run("search", "--regex", "cli-")
    assert code == 0
    assert model_id in out

    assert cli.ok_json("delete", "model", model_id) == {
        "deleted": {"type": "model", "id": model_id}
    }
    code, _, err = cli.run("show", "model", model_id)
    assert code == 3
    assert "HTTP 404" in err
    assert len(err.strip().splitlines()) == 1


def test_upload_a_directory_and_a_zip_and_search_by_version(cli: Cli, tmp_path: Path) -> None:
    cli.login()
    directory, _ = model_directory(tmp_path)
    uploaded = cli.ok_json("upload", str(directory), "--version", "1.2.0")
    assert uploaded["metadata"]["name"] == "tiny-model"
    first = uploaded["metadata"]["id"]

    archive = tmp_path / "packed.zip"
    with zipfile.ZipFile(archive, "w") as packed:
        packed.writestr("packed/README.md", "# packed\nA zipped dataset.\n")
        packed.writestr("packed/data.csv", "a,b\n1,2\n")
    second = cli.ok_json("upload", str(archive), "--type", "dataset", "--version", "2.0.1")
    assert second["metadata"]["name"] == "packed"
    assert second["metadata"]["type"] == "dataset"

    assert [a["id"] for a in cli.ok_json("search", "--version", "^1.0.0")] == [first]
    assert [a["id"] for a in cli.ok_json("search", "--version", "1.0.0-3.0.0")] == [
        first,
        second["metadata"]["id"],
    ]
    assert cli.ok_json("search", "tiny-model", "--version", "~2.0.0") == []

    not_zip = tmp_path / "notes.txt"
    not_zip.write_text("hello")
    code, _, err = cli.run("upload", str(not_zip))
    assert code == 1
    assert "neither a directory nor a zip" in err


def test_download_with_progress_then_resume_a_partial_file_byte_for_byte(
    cli: Cli, tmp_path: Path
) -> None:
    cli.login()
    directory, weights = model_directory(tmp_path, size=600_000)
    model_id = cli.ok_json("upload", str(directory))["metadata"]["id"]

    whole = tmp_path / "whole.zip"
    code, out, err = cli.run("download", "model", model_id, "-o", str(whole))
    assert code == 0, err
    assert "sha256 verified" in out
    with zipfile.ZipFile(whole) as bundle:
        assert bundle.read("model.safetensors") == weights
        assert "manifest.json" in bundle.namelist()
    reference = whole.read_bytes()

    # A download cut off halfway, then resumed: only the rest is fetched (Range).
    partial = tmp_path / "partial.zip"
    cut = len(reference) // 2
    partial.write_bytes(reference[:cut])
    result = cli.ok_json("download", "model", model_id, "-o", str(partial), "--resume")
    assert result["resumed_from"] == cut
    assert partial.read_bytes() == reference
    assert result["bytes"] == len(reference)

    # Resuming a complete file fetches nothing and verifies it.
    again = cli.ok_json("download", "model", model_id, "-o", str(partial), "--resume")
    assert again["resumed_from"] == len(reference)
    assert partial.read_bytes() == reference

    # A corrupt partial file is caught by the checksum, not saved as good.
    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(b"x" * cut)
    code, _, err = cli.run("download", "model", model_id, "-o", str(corrupt), "--resume")
    assert code == 1
    assert "does not match the registry's checksum" in err

    # One part only: the weights.
    weights_zip = cli.ok_json("download", "model", model_id, "--part", "weights")
    assert weights_zip["path"] == f"model-{model_id}-weights.zip"
    with zipfile.ZipFile(tmp_path / weights_zip["path"]) as bundle:
        assert bundle.read("model.safetensors") == weights
        assert "config.json" not in bundle.namelist()


def test_lineage_is_rendered_as_a_tree(cli: Cli) -> None:
    cli.login()
    base = cli.ok_json("ingest", f"{HF}/lineage-lab/minilm-base")["metadata"]["id"]
    tuned = cli.ok_json("ingest", f"{HF}/lineage-lab/minilm-imdb-sentiment")["metadata"]["id"]
    graph = cli.ok_json("lineage", tuned)
    assert {node["artifact_id"] for node in graph["nodes"]} >= {base, tuned}

    code, out, _ = cli.run("lineage", tuned)
    assert code == 0
    lines = out.splitlines()
    assert f"minilm-imdb-sentiment [{tuned}]" in lines[0]  # the model at the root
    parent = next(line for line in lines if f"[{base}]" in line)
    assert parent.startswith(("└── ", "├── "))  # its parent one level down
    assert "minilm-base" in parent


def test_exit_codes_for_usage_missing_login_and_an_unreachable_registry(
    cli: Cli, registry: RunningRegistry
) -> None:
    code, _, err = cli.run("--url", cli.url, "search", "bert", "--regex", "b")
    assert code == 1
    assert "--regex searches on its own" in err
    code, _, err = cli.run("--url", cli.url, "show", "widget", "1")
    assert code == 1

    code, _, err = cli.run("--url", cli.url, "show", "model", "1")
    assert code == 2
    assert "Not signed in" in err

    cli.login()
    code, _, err = cli.run("rate", "1234567890123456")
    assert code == 3

    # A token the registry does not know (e.g. expired): 403, told to log in again.
    path = cli.config / "registry" / "credentials.json"
    saved = json.loads(path.read_text())
    path.write_text(json.dumps(saved | {"token": "bearer not-a-token"}))
    code, _, err = cli.run("search")
    assert code == 2
    assert "registry login" in err

    nobody = f"http://127.0.0.1:{free_port()}"
    code, _, err = cli.run("--url", nobody, "login", "-u", "a", "-p", "b")
    assert code == 4
    assert "could not be reached" in err


def test_the_installed_console_script(cli: Cli, tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "registry"
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "script-config")}
    login = subprocess.run(
        [
            str(script),
            "--url",
            cli.url,
            "--json",
            "login",
            "-u",
            DEFAULT_ADMIN,
            "-p",
            DEFAULT_PASSWORD,
            "--admin",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert login.returncode == 0, login.stderr
    assert json.loads(login.stdout)["user"] == DEFAULT_ADMIN
    missing = subprocess.run(
        [str(script), "show", "model", "1234567890123456"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert missing.returncode == 3
    assert missing.stderr.startswith("registry: error: ")
