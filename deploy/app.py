"""CDK entry point: `cdk synth` / `cdk deploy` run this (cdk.json), and so does
`make deploy-check` directly (`python deploy/app.py` writes deploy/cdk.out)."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from registry_deploy.app import build_app  # noqa: E402

if __name__ == "__main__":
    # Under the CLI, CDK_OUTDIR and the context arrive through the environment.
    build_app(outdir=None if "CDK_OUTDIR" in __import__("os").environ else HERE / "cdk.out").synth()
