"""The delivery pipeline's stack (ECR, GitHub OIDC role), and deployment variants."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from registry_deploy.topology import SERVICES

from deploy.tests import cfn
from deploy.tests.conftest import Synthesized, synthesize


def test_images_are_immutable_and_scanned(ci: dict[str, Any]) -> None:
    repositories = cfn.resources(ci, "AWS::ECR::Repository")
    assert {r["Properties"]["RepositoryName"] for r in repositories.values()} == {
        f"registry/{s.name}" for s in SERVICES
    }
    for repository in repositories.values():
        p = repository["Properties"]
        assert p["ImageTagMutability"] == "IMMUTABLE"
        assert p["ImageScanningConfiguration"] == {"ScanOnPush": True}
        assert repository["DeletionPolicy"] == "Retain"


def test_only_the_repositorys_protected_environment_can_assume_the_deploy_role(
    ci: dict[str, Any],
) -> None:
    (role_id, role) = cfn.one(ci, "AWS::IAM::Role", RoleName="registry-github-deploy")
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    equals = statement["Condition"]["StringEquals"]
    assert equals["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    assert equals["token.actions.githubusercontent.com:sub"] == {
        "Fn::Join": [
            "",
            ["repo:", {"Ref": "GitHubRepository"}, ":environment:", {"Ref": "GitHubEnvironment"}],
        ]
    }
    assert role["MaxSessionDuration"] == 3600
    grants = cfn.grants(ci, role_id)
    assert grants["ecr:GetAuthorizationToken"] == ["*"]
    assert "ecr:PutImage" in grants
    assert "*" not in grants["ecr:PutImage"]
    # Everything else goes through the CDK bootstrap roles.
    (assume,) = grants["sts:AssumeRole"]
    assert ":role/cdk-hnb659fds-*-" in json.dumps(assume)
    assert set(grants) <= {
        "ecr:GetAuthorizationToken",
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:CompleteLayerUpload",
        "ecr:DescribeImages",
        "ecr:InitiateLayerUpload",
        "ecr:PutImage",
        "ecr:UploadLayerPart",
        "sts:AssumeRole",
        "sts:TagSession",
        "cloudformation:DescribeStacks",
    }
    assert not cfn.resources(ci, "AWS::IAM::User")
    assert not cfn.resources(ci, "AWS::IAM::AccessKey")


def test_an_existing_oidc_provider_can_be_reused(ci: dict[str, Any]) -> None:
    (provider_id, _) = cfn.one(ci, "AWS::IAM::OIDCProvider")
    assert ci["Resources"][provider_id]["Condition"] == "CreateOidcProvider"


# ----------------------------------------------------------------------------- variants


@pytest.fixture(scope="module")
def lean(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    """No NAT gateway, HTTPS with a certificate, workers on Spot, data not retained, the
    default admin's initial password from a secret."""
    return synthesize(
        tmp_path_factory.mktemp("lean"),
        {
            "nat_gateways": "0",
            "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
            "spot_workers": "true",
            "retain_data": "false",
            "alarm_email": "ops@example.com",
            "initial_admin_password_secret_name": "registry/admin-initial-password",
        },
    )


def test_without_nat_tasks_get_public_ips_but_stay_closed(lean: Synthesized) -> None:
    registry = lean.registry
    assert not cfn.resources(registry, "AWS::EC2::NatGateway")
    for spec in SERVICES:
        network = cfn.ecs_service(registry, spec.name)["NetworkConfiguration"]
        assert network["AwsvpcConfiguration"]["AssignPublicIp"] == "ENABLED"
    (_, roles_run) = cfn.one(registry, "Custom::RegistryDatabaseRoles")
    assert roles_run["AssignPublicIp"] == "ENABLED"  # to reach ECR and Secrets Manager
    # Still no ingress from the internet to any task: only the load balancer's group.
    for rule in cfn.resources(registry, "AWS::EC2::SecurityGroupIngress").values():
        assert "CidrIp" not in rule["Properties"]


def test_with_a_certificate_http_redirects_to_https(lean: Synthesized) -> None:
    listeners = [
        p["Properties"]
        for p in cfn.resources(lean.registry, "AWS::ElasticLoadBalancingV2::Listener").values()
    ]
    by_port = {listener["Port"]: listener for listener in listeners}
    assert by_port[443]["Protocol"] == "HTTPS"
    assert by_port[80]["DefaultActions"][0]["Type"] == "redirect"
    assert by_port[80]["DefaultActions"][0]["RedirectConfig"]["Protocol"] == "HTTPS"
    outputs = lean.registry["Outputs"]["GatewayUrl"]["Value"]
    assert json.dumps(outputs).startswith('{"Fn::Join": ["", ["https://"')


def test_spot_is_only_for_the_event_workers(lean: Synthesized) -> None:
    for spec in SERVICES:
        strategy = cfn.ecs_service(lean.registry, spec.name).get("CapacityProviderStrategy")
        if spec.name in ("scoring", "lineage"):
            assert strategy == [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}]
        else:
            assert strategy is None


def test_alarm_email_is_subscribed_and_data_is_disposable(lean: Synthesized) -> None:
    registry = lean.registry
    emails = [
        s["Properties"]
        for s in cfn.resources(registry, "AWS::SNS::Subscription").values()
        if s["Properties"]["Protocol"] == "email"
    ]
    assert [e["Endpoint"] for e in emails] == ["ops@example.com"]
    (db_id, db) = cfn.one(registry, "AWS::RDS::DBInstance")
    assert db["DeletionProtection"] is False
    assert registry["Resources"][db_id]["DeletionPolicy"] == "Delete"


def test_the_initial_admin_password_comes_from_its_secret_to_auth_only(
    lean: Synthesized,
) -> None:
    for spec in SERVICES:
        secrets = {
            s["Name"]: s["ValueFrom"]
            for s in cfn.container(lean.registry, spec.name).get("Secrets", [])
        }
        if spec.name == "auth":
            assert "registry/admin-initial-password" in json.dumps(
                secrets["AUTH_INITIAL_ADMIN_PASSWORD"]
            )
        else:
            assert "AUTH_INITIAL_ADMIN_PASSWORD" not in secrets
