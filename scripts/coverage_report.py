"""Line coverage per package, from the component-level tests alone and from every test, out of
the one coverage database of a `make test` run (`pytest --cov --cov-context=test`).

    python -m scripts.coverage_report [--data .coverage] [--write] [--no-check]

Every line a test runs is recorded under that test's id (coverage's dynamic contexts, from
pytest-cov). The component-level figure counts the lines run under a context whose test lives
in a component's own test directory (`scripts.quality.test_kind`); the all-tests figure counts
every line run, including those of the service processes the distributed topology starts
(they inherit the measurement through coverage's `patch = ["subprocess"]` and record under the
empty context, as does what runs while pytest imports the modules).

Lines that run when a module is imported (imports, `def`, `class`, constants: statements
outside any function body) run during collection, under no test's context. They count as
covered by the component-level tests when those tests ran any line of the module, or when the
module has no function bodies at all; otherwise only for all tests.

Fails (exit 1) when a package, or the total, is below a floor of `[tool.registry-quality]`.
`--write` puts the table into docs/quality.md between its markers.
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import sys
from dataclasses import dataclass, field
from pathlib import Path

import coverage

from scripts.quality import REPO_ROOT, UNIT_TESTS, floors, packages, write_section


@dataclass
class Tally:
    statements: int = 0
    unit: int = 0
    all: int = 0
    worst: list[tuple[float, str, int]] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.statements += other.statements
        self.unit += other.unit
        self.all += other.all

    def percent(self, covered: int) -> float:
        return 100.0 * covered / self.statements if self.statements else 100.0


def import_time_lines(source: str) -> set[int]:
    """Lines of statements that run at import: those not inside a function or lambda body."""
    lines: set[int] = set()

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt) and not in_function:
                lines.add(child.lineno)
            nested = in_function or isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
            )
            visit(child, nested)

    visit(ast.parse(source), False)
    return lines


def measure(data_file: Path) -> dict[str, tuple[Tally, list[tuple[str, int, int, int]]]]:
    cov = coverage.Coverage(data_file=str(data_file), config_file=str(REPO_ROOT / "pyproject.toml"))
    cov.load()
    data = cov.get_data()
    # The component-level contexts, by the test's directory (coverage matches with re.search).
    data.set_query_contexts([UNIT_TESTS.pattern])
    unit_lines = {path: set(data.lines(path) or ()) for path in data.measured_files()}
    data.set_query_contexts(None)
    omit = cov.config.run_omit or []
    results: dict[str, tuple[Tally, list[tuple[str, int, int, int]]]] = {}
    for package, root in packages().items():
        tally = Tally()
        files = []
        for path in sorted(root.rglob("*.py")):
            if any(fnmatch.fnmatch(str(path), pattern) for pattern in omit):
                continue
            _, statements, _, _, _ = cov.analysis2(str(path))
            statements_set = set(statements)
            if not statements_set:
                continue
            every = set(data.lines(str(path)) or ()) & statements_set
            by_unit = unit_lines.get(str(path), set()) & statements_set
            imports = import_time_lines(path.read_text()) & statements_set
            if by_unit or not statements_set - imports:
                by_unit |= imports & every
            file_tally = Tally(len(statements_set), len(by_unit), len(every))
            tally.add(file_tally)
            files.append(
                (
                    path.relative_to(REPO_ROOT).as_posix(),
                    len(statements_set),
                    len(by_unit),
                    len(every),
                )
            )
        results[package] = (tally, files)
    return results


def table(results: dict[str, tuple[Tally, list[tuple[str, int, int, int]]]]) -> str:
    total = Tally()
    rows = [
        "| package | statements | component-level tests | all tests |",
        "| --- | ---: | ---: | ---: |",
    ]
    for package, (tally, _) in results.items():
        total.add(tally)
        rows.append(
            f"| `{package}` | {tally.statements} | {tally.percent(tally.unit):.1f} % "
            f"| {tally.percent(tally.all):.1f} % |"
        )
    rows.append(
        f"| **total** | {total.statements} | {total.percent(total.unit):.1f} % "
        f"| {total.percent(total.all):.1f} % |"
    )
    return "\n".join(rows)


def least_covered(
    results: dict[str, tuple[Tally, list[tuple[str, int, int, int]]]], count: int
) -> str:
    files = [file for _, (_, listed) in results.items() for file in listed]
    files.sort(key=lambda f: f[2] - f[1])  # most statements missed by the unit tests first
    rows = ["| module | statements | missed by component-level tests | missed by all tests |"]
    rows.append("| --- | ---: | ---: | ---: |")
    for path, statements, unit, every in files[:count]:
        rows.append(f"| `{path}` | {statements} | {statements - unit} | {statements - every} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO_ROOT / ".coverage")
    parser.add_argument("--write", action="store_true", help="update docs/quality.md")
    parser.add_argument("--no-check", action="store_true", help="report without the floors")
    parser.add_argument("--worst", type=int, default=0, help="list the N least covered modules")
    args = parser.parse_args(argv)

    if not args.data.exists():
        print(f"{args.data} does not exist: run pytest with --cov --cov-context=test first")
        return 2
    results = measure(args.data)
    rendered = table(results)
    print(rendered)
    if args.worst:
        print()
        print(least_covered(results, args.worst))
    if args.write:
        write_section("coverage", rendered)

    limits = floors()
    failures: list[str] = []
    short: list[str] = []
    total = Tally()
    for package, (tally, _) in [*results.items()]:
        total.add(tally)
        failures += check(package, tally, limits.unit_for(package), limits.all_for(package))
        short += check(package, tally, limits.coverage_unit, limits.coverage_all)
    failures += check("total", total, limits.unit_for("total"), limits.all_for("total"))
    short += check("total", total, limits.coverage_unit, limits.coverage_all)
    if short:
        print("\nStill below the targets (enforced by the ratchet until they are met):")
        print("\n".join(f"- {gap}" for gap in short))
    if failures and not args.no_check:
        print("\nBelow the coverage floors ([tool.registry-quality] in pyproject.toml):")
        print("\n".join(f"- {failure}" for failure in failures))
        return 1
    return 0


def check(name: str, tally: Tally, unit_floor: float, all_floor: float) -> list[str]:
    problems = []
    if tally.percent(tally.unit) < unit_floor:
        problems.append(
            f"{name}: {tally.percent(tally.unit):.1f} % from component-level tests "
            f"(floor {unit_floor:g} %)"
        )
    if tally.percent(tally.all) < all_floor:
        problems.append(
            f"{name}: {tally.percent(tally.all):.1f} % from all tests (floor {all_floor:g} %)"
        )
    return problems


if __name__ == "__main__":
    sys.exit(main())
