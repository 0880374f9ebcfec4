"""Flame graphs of the registry serving downloads (docs/performance.md, white box).

    python -m perf.profile --compare REF    # this checkout and git revision REF, same run

Starts the perf fake Hub and the registry (and the one at REF), registers the ~26 MB model,
then for each registry runs wrk (100 connections, `--seconds`) on its download route while
py-spy samples the registry process (100 Hz, idle frames left out), writing
`docs/performance/flame-download-<label>.svg` plus the registry's CPU seconds per download.
py-spy samples from outside the process, so what it shows is not slowed by the profiler
much; the figures in the tables come from runs without it (perf/run.py).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from perf.run import (
    ROOT,
    WrkResult,
    cpu_seconds,
    fake_hub,
    loadavg,
    parse_wrk,
    registry,
    source_tree,
    wrk,
)
from perf.seed import seed

OUT = ROOT / "docs" / "performance"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--compare", metavar="REF", help="also profile the registry at REF")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--out", type=Path, default=ROOT / ".perf")
    parser.add_argument("--svg-dir", type=Path, default=OUT, help="where the graphs go")
    args = parser.parse_args()
    beside = Path(sys.executable).parent / "py-spy"  # the dev dependency, in the venv
    py_spy = str(beside) if beside.exists() else shutil.which("py-spy")
    if py_spy is None:
        raise SystemExit("py-spy is missing: `make install` installs the dev dependencies")
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="profile-", dir=args.out))
    args.svg_dir.mkdir(parents=True, exist_ok=True)
    variants: dict[str, Path | None] = {"after": None}
    if args.compare:
        variants["before"] = source_tree(args.compare, work / "baseline")
    with ExitStack() as stack:
        hub = stack.enter_context(fake_hub(1, work))
        for label, source in variants.items():
            url, pid = stack.enter_context(registry(label, hub, work, source))
            # Ten clients are enough tokens for a short wrk run (1,000 calls each).
            seeded = asyncio.run(seed(url, 1, 10, 1, work / f"seed-{label}"))
            target = f"{url}/artifacts/model/{seeded['big_model_id']}/download"
            tokens = work / f"seed-{label}" / "tokens.txt"
            svg = args.svg_dir / f"flame-download-{label}.svg"
            spy = subprocess.Popen(
                [
                    py_spy,
                    "record",
                    "--pid",
                    str(pid),
                    "--rate",
                    "100",
                    "--format",
                    "flamegraph",
                    "--duration",
                    str(args.seconds),
                    "--output",
                    str(svg),
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            before = cpu_seconds(pid)
            raw = wrk(target, tokens, seconds=args.seconds, connections=args.connections)
            spent = cpu_seconds(pid) - before
            spy.wait(timeout=args.seconds + 60)
            result = parse_wrk(raw, WrkResult(label, "download", 1, load=loadavg()))
            per = spent * 1000 / result.requests if result.requests else float("nan")
            print(
                f"{label}: {result.requests} downloads, {result.mb_per_s:.1f} MB/s, "
                f"{per:.1f} ms CPU per download, load {result.load} -> {svg}"
            )


if __name__ == "__main__":
    main()
