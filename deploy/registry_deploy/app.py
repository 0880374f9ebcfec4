"""Build the CDK app: the registry stack and the CI stack, from cdk.json's context plus
overrides. Synthesis needs no AWS credentials and makes no AWS calls: the stacks are
environment-agnostic (account and region are resolved at deploy time), and nothing looks
anything up."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEPLOY_DIR = Path(__file__).resolve().parent.parent
CDK_JSON = DEPLOY_DIR / "cdk.json"

# jsii runs the CDK in node; the machine's node may be one it warns about at length. The
# warning is about support, not correctness, and synthesis output is checked by the tests.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")

import aws_cdk as cdk  # noqa: E402 - after the environment above: jsii starts on import

from registry_deploy.ci_stack import CiStack  # noqa: E402
from registry_deploy.config import DeploymentConfig  # noqa: E402
from registry_deploy.registry_stack import RegistryStack  # noqa: E402


def stack_names(prefix: str) -> tuple[str, str]:
    base = "".join(part.capitalize() for part in prefix.split("-"))
    return base, f"{base}Ci"


def cdk_json_context() -> dict[str, Any]:
    context: dict[str, Any] = json.loads(CDK_JSON.read_text())["context"]
    return context


def build_app(
    context: Mapping[str, Any] | None = None, outdir: str | os.PathLike[str] | None = None
) -> cdk.App:
    """The app with cdk.json's context (feature flags) and `context` on top. Under the CDK
    CLI the same context also arrives through the environment; values agree."""
    app = cdk.App(
        context={**cdk_json_context(), **(context or {})},
        outdir=str(outdir) if outdir is not None else None,
        analytics_reporting=False,
    )
    config = DeploymentConfig.from_context(app.node.try_get_context)
    registry_name, ci_name = stack_names(config.prefix)
    registry = RegistryStack(
        app,
        registry_name,
        config=config,
        description="Trustworthy Model Registry: ECS Fargate services, SNS/SQS, S3, RDS",
    )
    CiStack(
        app,
        ci_name,
        config=config,
        registry_stack_name=registry.stack_name,
        description="Trustworthy Model Registry: ECR repositories and the GitHub OIDC deploy role",
    )
    cdk.Tags.of(app).add("project", "trustworthy-model-registry")
    cdk.Tags.of(app).add("deployment", config.prefix)
    return app
