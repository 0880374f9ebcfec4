"""Synthesize once per session (jsii starts node, synthesis takes seconds); tests read the
templates as plain JSON, or through aws_cdk.assertions.Template."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from registry_deploy.app import build_app, stack_names


@dataclass(frozen=True)
class Synthesized:
    outdir: Path
    registry: dict[str, Any]
    ci: dict[str, Any]

    def templates(self) -> list[Path]:
        return sorted(self.outdir.glob("*.template.json"))


def synthesize(outdir: Path, context: dict[str, Any] | None = None) -> Synthesized:
    app = build_app(context or {}, outdir=outdir)
    app.synth()
    registry_name, ci_name = stack_names("registry")
    return Synthesized(
        outdir=outdir,
        registry=json.loads((outdir / f"{registry_name}.template.json").read_text()),
        ci=json.loads((outdir / f"{ci_name}.template.json").read_text()),
    )


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    """The default deployment (what `make deploy-check` synthesizes)."""
    return synthesize(tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="session")
def registry(synthesized: Synthesized) -> dict[str, Any]:
    return synthesized.registry


@pytest.fixture(scope="session")
def ci(synthesized: Synthesized) -> dict[str, Any]:
    return synthesized.ci
