"""Small readers of a synthesized CloudFormation template (a dict)."""

from __future__ import annotations

import json
from typing import Any

Template = dict[str, Any]


def resources(template: Template, kind: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == kind
    }


def props(template: Template, logical_id: str) -> dict[str, Any]:
    result: dict[str, Any] = template["Resources"][logical_id].get("Properties", {})
    return result


def one(template: Template, kind: str, **match: Any) -> tuple[str, dict[str, Any]]:
    """The single resource of `kind` whose properties include `match`."""
    found = [
        (logical_id, resource.get("Properties", {}))
        for logical_id, resource in resources(template, kind).items()
        if all(resource.get("Properties", {}).get(k) == v for k, v in match.items())
    ]
    assert len(found) == 1, f"expected one {kind} with {match}, found {len(found)}"
    return found[0]


def ref_id(value: Any) -> str | None:
    """The logical id a Ref / Fn::GetAtt points at."""
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
    return None


def mentions(value: Any, logical_id: str) -> bool:
    return f'"{logical_id}"' in json.dumps(value)


def task_definition(template: Template, service: str) -> dict[str, Any]:
    return one(template, "AWS::ECS::TaskDefinition", Family=f"registry-{service}")[1]


def container(template: Template, service: str, name: str | None = None) -> dict[str, Any]:
    definitions = task_definition(template, service)["ContainerDefinitions"]
    wanted = name or service
    matches = [c for c in definitions if c["Name"] == wanted]
    assert len(matches) == 1, f"{service}: no container {wanted}"
    result: dict[str, Any] = matches[0]
    return result


def statements_of_role(template: Template, role_id: str) -> list[dict[str, Any]]:
    """Every statement of the inline policies attached to a role."""
    result: list[dict[str, Any]] = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        properties = policy["Properties"]
        if any(ref_id(role) == role_id for role in properties.get("Roles", [])):
            result += properties["PolicyDocument"]["Statement"]
    return result


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def grants(template: Template, role_id: str) -> dict[str, list[Any]]:
    """action -> every resource an Allow statement of the role grants it on."""
    result: dict[str, list[Any]] = {}
    for statement in statements_of_role(template, role_id):
        assert statement["Effect"] == "Allow"
        for action in as_list(statement["Action"]):
            result.setdefault(action, []).extend(as_list(statement["Resource"]))
    return result


def task_role(template: Template, service: str) -> str:
    role = ref_id(task_definition(template, service)["TaskRoleArn"])
    assert role is not None
    return role


def execution_role(template: Template, service: str) -> str:
    role = ref_id(task_definition(template, service)["ExecutionRoleArn"])
    assert role is not None
    return role


def ecs_service(template: Template, service: str) -> dict[str, Any]:
    return one(template, "AWS::ECS::Service", ServiceName=f"registry-{service}")[1]


def queue_id(template: Template, name: str) -> str:
    return one(template, "AWS::SQS::Queue", QueueName=name)[0]


def topic_id(template: Template, name: str) -> str:
    return one(template, "AWS::SNS::Topic", TopicName=name)[0]
