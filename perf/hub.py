"""Serve the perf workload's fake Hub and fake GitHub on loopback until stdin closes.

`python -m perf.hub --models 500` prints one line `HUB <url> GITHUB <url>` and serves until
its parent closes stdin (or it is interrupted), so it never outlives the experiment.
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

from perf.fixtures import perf_table
from tests.fakes.github import FakeGitHub
from tests.fakes.hub import FakeHub
from tests.fakes.server import serve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=int, default=500)
    args = parser.parse_args()
    table = perf_table(args.models)
    with serve(FakeHub(table).app) as hub_url, serve(FakeGitHub(table).app) as github_url:
        print(f"HUB {hub_url} GITHUB {github_url}", flush=True)
        sys.stdin.read()  # EOF: the parent is done (or gone)


if __name__ == "__main__":
    main()
