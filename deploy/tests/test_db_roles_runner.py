"""The custom resource that runs the database-roles task: starts it, waits for it, and fails
the deployment unless it exited 0 (a stand-in ECS client that keeps the task's state)."""

from __future__ import annotations

from typing import Any

import pytest
from registry_deploy import db_roles_runner as runner

PROPS = {
    "Cluster": "arn:aws:ecs:us-east-1:1:cluster/registry",
    "TaskDefinition": "arn:aws:ecs:us-east-1:1:task-definition/registry-db-roles:3",
    "Subnets": ["subnet-1", "subnet-2"],
    "SecurityGroups": ["sg-1"],
    "AssignPublicIp": "DISABLED",
    "Trigger": "abc123:auth,ingest",
}


class FakeEcs:
    def __init__(self, *, start: bool = True) -> None:
        self.start = start
        self.runs: list[dict[str, Any]] = []
        self.task: dict[str, Any] = {"taskArn": "arn:task/1", "lastStatus": "PROVISIONING"}

    def run_task(self, **kwargs: Any) -> dict[str, Any]:
        self.runs.append(kwargs)
        if not self.start:
            return {"tasks": [], "failures": [{"reason": "RESOURCE:ENI"}]}
        return {"tasks": [self.task], "failures": []}

    def describe_tasks(self, *, cluster: str, tasks: list[str]) -> dict[str, Any]:
        assert cluster == PROPS["Cluster"]
        return {"tasks": [self.task] if tasks == [self.task["taskArn"]] else []}

    def stop(self, exit_code: int | None, reason: str = "Essential container exited") -> None:
        self.task = {
            **self.task,
            "lastStatus": "STOPPED",
            "stoppedReason": reason,
            "containers": [{"name": "db-roles", "exitCode": exit_code}],
        }


def _create(ecs: FakeEcs) -> dict[str, Any]:
    event = {"RequestType": "Create", "ResourceProperties": PROPS}
    return {**event, **runner.on_event(event, None, ecs=ecs)}


def test_runs_the_task_once_in_the_given_network_and_waits_for_exit_0() -> None:
    ecs = FakeEcs()
    event = _create(ecs)
    assert event["PhysicalResourceId"] == "db-roles-abc123:auth,ingest"
    (run,) = ecs.runs
    assert run["taskDefinition"] == PROPS["TaskDefinition"]
    assert run["launchType"] == "FARGATE"
    assert run["networkConfiguration"]["awsvpcConfiguration"] == {
        "subnets": ["subnet-1", "subnet-2"],
        "securityGroups": ["sg-1"],
        "assignPublicIp": "DISABLED",
    }
    assert runner.is_complete(event, None, ecs=ecs) == {"IsComplete": False}
    ecs.stop(0)
    assert runner.is_complete(event, None, ecs=ecs) == {"IsComplete": True}


def test_a_failed_task_fails_the_deployment_with_its_reason() -> None:
    ecs = FakeEcs()
    event = _create(ecs)
    ecs.stop(1)
    with pytest.raises(RuntimeError, match="exit code 1 \\(Essential container exited\\)"):
        runner.is_complete(event, None, ecs=ecs)
    ecs.stop(None, reason="CannotPullContainerError")
    with pytest.raises(RuntimeError, match="CannotPullContainerError"):
        runner.is_complete(event, None, ecs=ecs)


def test_a_task_that_cannot_start_fails_at_once() -> None:
    with pytest.raises(RuntimeError, match="did not start: RESOURCE:ENI"):
        _create(FakeEcs(start=False))


def test_deleting_the_resource_leaves_the_roles() -> None:
    ecs = FakeEcs()
    event = {"RequestType": "Delete", "ResourceProperties": PROPS, "PhysicalResourceId": "p"}
    assert runner.on_event(event, None, ecs=ecs) == {"PhysicalResourceId": "p"}
    assert runner.is_complete(event, None, ecs=ecs) == {"IsComplete": True}
    assert ecs.runs == []


def test_the_runner_fits_inline_in_a_template() -> None:
    from registry_deploy.database_roles import RUNNER_SOURCE

    # CloudFormation's inline Lambda code (ZipFile) holds at most 4096 bytes.
    assert len(RUNNER_SOURCE.read_bytes()) < 4096
