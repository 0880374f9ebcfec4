"""The custom resource that runs the database-roles task on every deployment and waits for it.

Deployed inline as a Lambda function (Python, boto3 only, no packaging): `on_event` starts
the one-off ECS task (`python -m registry_common.db_roles`); `is_complete`, polled by the CDK
provider framework, reports when it has stopped, and fails the deployment (so CloudFormation
rolls back) unless it exited 0. The services depend on this resource, so they start only
once their roles and schemas exist.
"""

from __future__ import annotations

from typing import Any

CONTAINER = "db-roles"


def _ecs() -> Any:
    import boto3  # the Lambda runtime's; imported here so the module loads without it

    return boto3.client("ecs")


def on_event(event: dict[str, Any], _context: Any, ecs: Any = None) -> dict[str, Any]:
    props = event["ResourceProperties"]
    physical = f"db-roles-{props['Trigger']}"
    if event["RequestType"] == "Delete":
        # Roles and schemas stay with the data (the database may be retained).
        return {"PhysicalResourceId": event.get("PhysicalResourceId", physical)}
    client = ecs or _ecs()
    response = client.run_task(
        cluster=props["Cluster"],
        taskDefinition=props["TaskDefinition"],
        launchType="FARGATE",
        count=1,
        startedBy="registry-db-roles",
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": props["Subnets"],
                "securityGroups": props["SecurityGroups"],
                "assignPublicIp": props["AssignPublicIp"],
            }
        },
    )
    tasks = response.get("tasks") or []
    if not tasks:
        reasons = "; ".join(f.get("reason", "?") for f in response.get("failures", []))
        raise RuntimeError(f"the database-roles task did not start: {reasons or 'no reason'}")
    return {"PhysicalResourceId": physical, "Data": {"TaskArn": tasks[0]["taskArn"]}}


def is_complete(event: dict[str, Any], _context: Any, ecs: Any = None) -> dict[str, Any]:
    if event["RequestType"] == "Delete":
        return {"IsComplete": True}
    client = ecs or _ecs()
    task_arn = event["Data"]["TaskArn"]
    cluster = event["ResourceProperties"]["Cluster"]
    described = client.describe_tasks(cluster=cluster, tasks=[task_arn])
    tasks = described.get("tasks") or []
    if not tasks:
        raise RuntimeError(f"the database-roles task {task_arn} is gone")
    task = tasks[0]
    if task.get("lastStatus") != "STOPPED":
        return {"IsComplete": False}
    containers = [c for c in task.get("containers", []) if c.get("name") == CONTAINER]
    exit_code = containers[0].get("exitCode") if containers else None
    if exit_code == 0:
        return {"IsComplete": True}
    raise RuntimeError(
        f"the database-roles task stopped with exit code {exit_code} "
        f"({task.get('stoppedReason', 'no reason given')}); its log group says why"
    )
