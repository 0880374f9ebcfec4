"""What the quality scripts share: the floors (one place, `[tool.registry-quality]` in the root
pyproject.toml), the packages measured, the kinds of test, and the generated sections of
docs/quality.md.

Test kinds, by where the test lives (the test id's path):

- component-level ("unit"): a component's own test directory: `libs/<lib>/tests/`,
  `services/<service>/tests/`, `launcher/tests/`. They build one component through its
  composition root with fakes or with a real adapter started on loopback (SQLite, moto,
  embedded PostgreSQL), never the other services.
- integration: `tests/` outside `e2e` and `ui` (consumers across the bus, the fake servers, the
  scripts, the threat model) and `deploy/tests/`.
- end-to-end: `tests/e2e/` and `tests/ui/` (the whole registry through the gateway).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
QUALITY_DOC = REPO_ROOT / "docs" / "quality.md"

UNIT_TESTS = re.compile(r"^(libs/[^/]+/tests|services/[^/]+/tests|launcher/tests)/")
E2E_TESTS = re.compile(r"^tests/(e2e|ui)/")


def test_kind(test_id: str) -> str:
    """'unit', 'integration' or 'e2e' for a pytest node id (or a coverage context)."""
    if UNIT_TESTS.match(test_id):
        return "unit"
    if E2E_TESTS.match(test_id):
        return "e2e"
    return "integration"


@dataclass(frozen=True)
class Floors:
    """The targets (issue 16: 90 / 95 / 80) and what `make test` enforces today: a ratchet
    per package where a package is still below its target (`[...ratchet]` tables), raised as
    tests land and never lowered; a package without a ratchet entry is held to the target."""

    coverage_unit: float
    coverage_all: float
    error_messages: float
    unit_ratchet: dict[str, float] = field(default_factory=dict)
    all_ratchet: dict[str, float] = field(default_factory=dict)
    error_messages_ratchet: float | None = None

    def unit_for(self, package: str) -> float:
        return min(self.coverage_unit, self.unit_ratchet.get(package, self.coverage_unit))

    def all_for(self, package: str) -> float:
        return min(self.coverage_all, self.all_ratchet.get(package, self.coverage_all))

    def error_messages_enforced(self) -> float:
        if self.error_messages_ratchet is None:
            return self.error_messages
        return min(self.error_messages, self.error_messages_ratchet)


def floors() -> Floors:
    """The floors `make test` enforces; the merger changes them here and nowhere else."""
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["registry-quality"]
    ratchet = config.get("ratchet", {})
    messages = ratchet.get("error-messages")
    return Floors(
        coverage_unit=float(config["coverage-unit-floor"]),
        coverage_all=float(config["coverage-all-floor"]),
        error_messages=float(config["error-messages-floor"]),
        unit_ratchet={k: float(v) for k, v in ratchet.get("coverage-unit", {}).items()},
        all_ratchet={k: float(v) for k, v in ratchet.get("coverage-all", {}).items()},
        error_messages_ratchet=None if messages is None else float(messages),
    )


def packages() -> dict[str, Path]:
    """Every first-party package measured: libs/*, services/*, launcher (new ones included
    by themselves)."""
    found = {}
    for pattern in (
        "libs/*/src/registry_*",
        "services/*/src/registry_*",
        "launcher/src/registry_*",
    ):
        for path in sorted(REPO_ROOT.glob(pattern)):
            if path.is_dir():
                found[path.name] = path
    return found


def replace_section(text: str, name: str, body: str) -> str:
    """Replace what lies between `<!-- name:start -->` and `<!-- name:end -->`."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start not in text or end not in text:
        raise SystemExit(f"{QUALITY_DOC} lacks the markers {start} ... {end}")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{body.rstrip()}\n{end}{tail}"


def write_section(name: str, body: str) -> bool:
    """Write a generated section into docs/quality.md; True when it changed."""
    old = QUALITY_DOC.read_text()
    new = replace_section(old, name, body)
    if new != old:
        QUALITY_DOC.write_text(new)
    return new != old
