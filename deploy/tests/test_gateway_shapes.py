"""R22: the CDK app deploys the gateway as Fargate tasks (default) or as a Lambda function."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from registry_deploy.config import DeploymentConfig

from deploy.tests import cfn
from deploy.tests.conftest import Synthesized, synthesize


@pytest.fixture(scope="module")
def on_lambda(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    return synthesize(
        tmp_path_factory.mktemp("lambda"),
        {"gateway_shape": "lambda", "gateway_lambda_memory_mib": "2048"},
    )


def _functions(template: dict[str, Any]) -> dict[str, Any]:
    return {
        key: r
        for key, r in cfn.resources(template, "AWS::Lambda::Function").items()
        if r["Properties"].get("FunctionName") == "registry-gateway"
    }


def test_the_default_gateway_is_a_fargate_service(synthesized: Synthesized) -> None:
    assert cfn.ecs_service(synthesized.registry, "gateway")
    assert _functions(synthesized.registry) == {}
    groups = cfn.resources(synthesized.registry, "AWS::ElasticLoadBalancingV2::TargetGroup")
    assert [g["Properties"]["TargetType"] for g in groups.values()] == ["ip"]


def test_the_lambda_gateway_replaces_the_service_behind_the_same_balancer(
    on_lambda: Synthesized,
) -> None:
    registry = on_lambda.registry
    names = {
        s["Properties"]["ServiceName"]
        for s in cfn.resources(registry, "AWS::ECS::Service").values()
    }
    assert "registry-gateway" not in names
    assert "registry-ingest" in names  # the other services stay on Fargate
    ((function_id, function),) = _functions(registry).items()
    props = function["Properties"]
    assert props["PackageType"] == "Image"
    assert props["ImageConfig"] == {
        "Command": ["registry_gateway.lambda_handler.handler"],
        "EntryPoint": ["python", "-m", "awslambdaric"],
    }
    assert props["MemorySize"] == 2048
    assert props["Timeout"] == 90
    assert props["VpcConfig"]["SecurityGroupIds"]
    env = props["Environment"]["Variables"]
    assert env["GATEWAY_DOWNLOAD_REDIRECT"] == "true"  # 6 MB responses: never stream bundles
    assert "REGISTRY_INTERNAL_TOKEN" not in env  # read from Secrets Manager at cold start
    assert "GATEWAY_INTERNAL_TOKEN_SECRET_ARN" in env
    (group,) = cfn.resources(registry, "AWS::ElasticLoadBalancingV2::TargetGroup").values()
    assert group["Properties"]["TargetType"] == "lambda"
    assert group["Properties"]["Targets"] == [{"Id": {"Fn::GetAtt": [function_id, "Arn"]}}]
    permissions = cfn.resources(registry, "AWS::Lambda::Permission").values()
    assert any(
        p["Properties"]["Principal"] == "elasticloadbalancing.amazonaws.com" for p in permissions
    )


def test_the_shape_is_checked() -> None:
    with pytest.raises(ValueError, match="gateway_shape"):
        DeploymentConfig(gateway_shape="ec2")
    with pytest.raises(ValueError, match="128-10240"):
        DeploymentConfig(gateway_lambda_memory_mib=64)
