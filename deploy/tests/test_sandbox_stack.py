"""The sandbox runner's task: untrusted programs run where no secret and no permission is
(docs/security/sandbox.md), read from the synthesized registry template."""

from __future__ import annotations

from typing import Any

from deploy.tests import cfn
from deploy.tests.test_registry_stack import group_of, ingress_sources


def _sandbox_group(registry: dict[str, Any]) -> str:
    return group_of(registry, "sandbox")


def test_the_sandbox_task_holds_no_secret(registry: dict[str, Any]) -> None:
    task = cfn.task_definition(registry, "sandbox")
    for container in task["ContainerDefinitions"]:
        assert "Secrets" not in container, container["Name"]
        names = {e["Name"] for e in container.get("Environment", [])}
        assert not {n for n in names if "TOKEN" in n or "PASSWORD" in n or "DATABASE" in n}
    # Its execution role reads no secret (it only pulls the image and writes logs).
    grants = cfn.grants(registry, cfn.execution_role(registry, "sandbox"))
    assert not [action for action in grants if action.startswith("secretsmanager:")]
    assert not [action for action in grants if action.startswith("kms:")]


def test_the_sandbox_task_role_grants_nothing(registry: dict[str, Any]) -> None:
    role = cfn.task_role(registry, "sandbox")
    assert cfn.statements_of_role(registry, role) == []
    properties = cfn.props(registry, role)
    assert "ManagedPolicyArns" not in properties
    assert "Policies" not in properties
    # ... and it is not the role of any service.
    for name in ("gateway", "auth", "ingest", "scoring", "lineage", "health"):
        assert cfn.task_role(registry, name) != role


def test_only_scoring_and_ingest_reach_the_sandbox_and_it_reaches_only_https(
    registry: dict[str, Any],
) -> None:
    group = _sandbox_group(registry)
    assert ingress_sources(registry, group) == {
        (group_of(registry, "scoring"), 8000),
        (group_of(registry, "ingest"), 8000),
    }
    egress = cfn.props(registry, group)["SecurityGroupEgress"]
    assert [(rule["CidrIp"], rule["IpProtocol"], rule["FromPort"]) for rule in egress] == [
        ("0.0.0.0/0", "tcp", 443)
    ]
    # Not the database, nor any service.
    (_, db) = cfn.one(registry, "AWS::RDS::DBInstance")
    db_group = cfn.ref_id(db["VPCSecurityGroups"][0])
    assert db_group is not None
    assert group not in {source for source, _ in ingress_sources(registry, db_group)}
    for name in ("gateway", "auth", "ingest", "scoring", "lineage", "health"):
        assert group not in {
            source for source, _ in ingress_sources(registry, group_of(registry, name))
        }


def test_the_runner_gives_each_program_its_own_uid(registry: dict[str, Any]) -> None:
    runner = cfn.container(registry, "sandbox")
    assert runner["EntryPoint"] == ["python", "-m", "registry_common.sandbox"]
    assert runner["User"] == "0"  # root only to drop each program to the sandbox uid
    env = {e["Name"]: e["Value"] for e in runner["Environment"]}
    assert env["SANDBOX_ISOLATION"] == "uid"
    assert runner["ReadonlyRootFilesystem"] is True
    dropped = set(runner["LinuxParameters"]["Capabilities"]["Drop"])
    assert {"NET_RAW", "MKNOD", "SYS_CHROOT"} <= dropped
    assert "Add" not in runner["LinuxParameters"]["Capabilities"]
    service = cfn.ecs_service(registry, "sandbox")
    assert service.get("EnableExecuteCommand") in (None, False)
    assert service["ServiceRegistries"], "reachable by name through Cloud Map"


def test_scoring_and_ingest_send_their_programs_to_the_sandbox(registry: dict[str, Any]) -> None:
    scoring = {e["Name"]: e["Value"] for e in cfn.container(registry, "scoring")["Environment"]}
    assert scoring["SCORING_SANDBOX_URL"] == "http://sandbox.registry.internal:8000"
    ingest = {e["Name"]: e["Value"] for e in cfn.container(registry, "ingest")["Environment"]}
    assert ingest["INGEST_SANDBOX_URL"] == "http://sandbox.registry.internal:8000"
    assert ingest["INGEST_MONITOR_NODE"] == "/opt/node24/bin/node"
    others = ("gateway", "auth", "lineage", "health")
    for name in others:
        env = {e["Name"] for e in cfn.container(registry, name)["Environment"]}
        assert not {n for n in env if n.endswith("_SANDBOX_URL")}, name
