"""The failure table of docs/robustness.md is rendered from the failure-injection rows, and
the check fails when the committed document disagrees with them."""

from __future__ import annotations

import json
from pathlib import Path

from scripts.robustness_report import BEGIN, END, main, render

OPERATIONS = ("read", "ingest", "rate", "update", "delete", "download")


def rows(outcome: str) -> list[dict[str, str]]:
    return [
        {
            "topology": "distributed",
            "component": "blob store",
            "fault": "S3 connections reset",
            "operation": operation,
            "outcome": "ok" if operation == "read" else outcome,
            "named": "" if operation == "read" else "blob store",
            "health": "critical",
            "recovered": "ok",
            "events": "exactly once",
        }
        for operation in OPERATIONS
    ]


def test_a_row_per_topology_and_component_naming_what_each_error_names() -> None:
    table = render(rows("503"))
    lines = table.splitlines()
    assert len(lines) == 3  # header, rule, the one outage
    assert lines[2].startswith("| distributed | blob store | S3 connections reset | ok | 503")
    assert "503, names the blob store" in lines[2]
    assert lines[2].endswith("| critical | ok | exactly once |")


def test_check_fails_on_a_stale_document_and_passes_once_rendered(tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    (results / "distributed--blob-store.json").write_text(json.dumps(rows("503")))
    document = tmp_path / "robustness.md"
    document.write_text(f"# Robustness\n\n{BEGIN}\nold table\n{END}\n\nafter\n")
    args = ["--results", str(results), "--document", str(document)]
    assert main([*args, "--check"]) == 1
    assert main(args) == 0
    assert main([*args, "--check"]) == 0
    assert document.read_text().endswith(f"{END}\n\nafter\n")
    # An outcome changes: the committed table is stale again.
    (results / "distributed--blob-store.json").write_text(json.dumps(rows("502")))
    assert main([*args, "--check"]) == 1


def test_check_fails_without_results(tmp_path: Path) -> None:
    document = tmp_path / "robustness.md"
    document.write_text(f"{BEGIN}\n{END}\n")
    assert main(["--check", "--results", str(tmp_path), "--document", str(document)]) == 1
