"""The stack's table of what each service needs (topology.py) must match the services' code:
a wrong entry is either a missing permission (the service fails in AWS) or a needless one."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest
from registry_deploy.topology import EVENT_TYPES as DEPLOYED_EVENT_TYPES
from registry_deploy.topology import SERVICES, ServiceSpec

from registry_common.events import EVENT_TYPES

ROOT = Path(__file__).resolve().parents[2]


def source_tree(spec: ServiceSpec) -> list[ast.Module]:
    src = ROOT / "services" / spec.name / "src" / spec.package
    return [ast.parse(path.read_text()) for path in sorted(src.rglob("*.py"))]


def called_names(spec: ServiceSpec) -> set[str]:
    names: set[str] = set()
    for module in source_tree(spec):
        for node in ast.walk(module):
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Name):
                    names.add(func.id)
                elif isinstance(func, ast.Attribute):
                    names.add(func.attr)
    return names


def test_every_event_type_has_a_topic() -> None:
    assert set(DEPLOYED_EVENT_TYPES) == set(EVENT_TYPES)


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_consumed_queues_equal_the_handlers(spec: ServiceSpec) -> None:
    """The bus drops any subscription of a queue its consumer does not handle, and cannot
    receive what is not subscribed: the stack must subscribe exactly the handled types."""
    try:
        handlers = importlib.import_module(f"{spec.package}.handlers")
    except ModuleNotFoundError:
        assert spec.consumes == ()
        return
    build = handlers.build_handlers
    arguments = [object()] * len(inspect.signature(build).parameters)
    handled = {event_cls.event_type for event_cls in build(*arguments)}
    assert set(spec.consumes) == handled


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_a_service_may_publish_every_event_it_builds(spec: ServiceSpec) -> None:
    built = called_names(spec) & set(EVENT_TYPES)
    assert built <= set(spec.publishes), f"{spec.name} builds {built - set(spec.publishes)}"
    assert set(spec.publishes) <= built, f"{spec.name} never builds {set(spec.publishes) - built}"


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_blob_access_only_where_a_blob_store_is_built(spec: ServiceSpec) -> None:
    uses_blobs = "create_blob_store" in called_names(spec)
    assert (spec.blobs != "none") == uses_blobs


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_database_only_where_the_service_kit_opens_one(spec: ServiceSpec) -> None:
    # ServiceKit.build opens the service's database unless told `database=False`; the
    # gateway builds no kit at all.
    opens_database = False
    for module in source_tree(spec):
        for node in ast.walk(module):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "build"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "ServiceKit"
            ):
                disabled = any(
                    k.arg == "database"
                    and isinstance(k.value, ast.Constant)
                    and k.value.value is False
                    for k in node.keywords
                )
                opens_database = opens_database or not disabled
    assert spec.database == opens_database


def test_only_the_gateway_is_public_and_health_runs_once() -> None:
    assert [s.name for s in SERVICES if s.public] == ["gateway"]
    assert [s.name for s in SERVICES if not s.scalable] == ["health"]
