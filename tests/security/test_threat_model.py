"""The threat model (docs/security/threat_model.py) stays in sync with the code.

Each test derives a fact from the code itself (the service packages, the event classes the
services build and handle, the endpoint settings, the internal base URLs, who imports the
sandbox) and asserts that the pytm model shows it, so the checked-in diagram cannot silently
drift from the system. None of this needs graphviz: only `make threat-model` renders.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from registry_common.events import EVENT_TYPES
from registry_common.settings import SERVICES as SERVICE_NAMES
from registry_common.settings import RuntimeSettings

ROOT = Path(__file__).resolve().parents[2]
SECURITY_DOCS = ROOT / "docs" / "security"


def _load_threat_model() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "registry_threat_model", SECURITY_DOCS / "threat_model.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the module executes.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


tm_code = _load_threat_model()


@pytest.fixture(scope="module")
def model() -> Any:
    return tm_code.build_model()


def service_packages() -> dict[str, Path]:
    """Every service under services/: name -> its source package directory."""
    found = {}
    for src in sorted((ROOT / "services").glob("*/src/registry_*")):
        if (src / "__init__.py").exists():
            found[src.parent.parent.name] = src
    return found


def source_modules(service: str) -> list[ast.Module]:
    src = service_packages()[service]
    return [ast.parse(path.read_text()) for path in sorted(src.rglob("*.py"))]


def called_names(service: str) -> set[str]:
    names: set[str] = set()
    for module in source_modules(service):
        for node in ast.walk(module):
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Name):
                    names.add(func.id)
                elif isinstance(func, ast.Attribute):
                    names.add(func.attr)
    return names


def attribute_names(service: str) -> set[str]:
    return {
        node.attr
        for module in source_modules(service)
        for node in ast.walk(module)
        if isinstance(node, ast.Attribute)
    }


def handled_event_types(service: str) -> set[str]:
    package = service_packages()[service].name
    try:
        handlers = importlib.import_module(f"{package}.handlers")
    except ModuleNotFoundError:
        return set()
    build = handlers.build_handlers
    arguments = [object()] * len(inspect.signature(build).parameters)
    return {event_cls.event_type for event_cls in build(*arguments)}


def flow_event_names(flows: list[Any]) -> set[str]:
    return {data.name for flow in flows for data in flow.data}


def test_the_model_is_consistent_for_pytm(model: Any) -> None:
    assert model.tm.check()
    assert all(name in model.elements for name in tm_code.THIRD_PARTY_CALLS)


def test_every_service_package_is_an_element_inside_the_service_mesh(model: Any) -> None:
    packages = set(service_packages())
    assert packages == set(SERVICE_NAMES), "services/ and registry_common.settings.SERVICES differ"
    for name in packages:
        element = f"{name} service"
        assert element in model.elements, f"services/{name} is not in the threat model"
        assert model.boundary_of(element) == model.boundaries["mesh"].name


@pytest.mark.parametrize("service", sorted(SERVICE_NAMES))
def test_every_event_a_service_builds_flows_from_it_to_the_bus(model: Any, service: str) -> None:
    built = called_names(service) & set(EVENT_TYPES)
    shown = flow_event_names(model.flows_between(f"{service} service", tm_code.SNS))
    assert built == shown, f"{service} builds {sorted(built)}, the model shows {sorted(shown)}"


@pytest.mark.parametrize("service", sorted(SERVICE_NAMES))
def test_every_event_a_service_handles_flows_from_the_bus_to_it(model: Any, service: str) -> None:
    handled = handled_event_types(service)
    shown = flow_event_names(model.flows_between(tm_code.SQS, f"{service} service"))
    assert handled == shown, f"{service} handles {sorted(handled)}, the model {sorted(shown)}"


def test_every_event_type_crosses_the_bus(model: Any) -> None:
    published = flow_event_names([f for f in model.flows if f.sink.name == tm_code.SNS])
    fanned_out = flow_event_names(model.flows_between(tm_code.SNS, tm_code.SQS))
    assert published == set(EVENT_TYPES)
    assert fanned_out == set(EVENT_TYPES)


def test_every_endpoint_setting_is_placed_in_the_model(model: Any) -> None:
    endpoint_fields = {
        name
        for name in RuntimeSettings.model_fields
        if name.endswith(("_url", "_endpoint", "_endpoint_url"))
    }
    assert endpoint_fields == set(tm_code.ENDPOINT_SETTINGS), (
        "a RuntimeSettings endpoint is missing from ENDPOINT_SETTINGS in threat_model.py"
    )
    for setting, elements in tm_code.ENDPOINT_SETTINGS.items():
        for element in elements:
            assert any(element in (f.source.name, f.sink.name) for f in model.flows), (
                f"{setting}: no flow reaches {element}"
            )


@pytest.mark.parametrize("service", sorted(SERVICE_NAMES))
def test_a_service_reading_a_third_party_endpoint_has_a_flow_to_it(
    model: Any, service: str
) -> None:
    read = attribute_names(service)
    for setting, entity in tm_code.THIRD_PARTY_SETTINGS.items():
        reads_it = setting in read
        callers = {name for name, _ in tm_code.THIRD_PARTY_CALLS[entity]}
        assert reads_it == (service in callers), (
            f"{service} {'reads' if reads_it else 'does not read'} {setting}; "
            f"THIRD_PARTY_CALLS[{entity!r}] says otherwise"
        )
        if reads_it:
            assert model.flows_between(f"{service} service", entity)
            assert model.flows_between(entity, f"{service} service")


def test_every_internal_base_url_setting_is_a_flow(model: Any) -> None:
    from registry_gateway.config import GatewaySettings
    from registry_health.config import HealthSettings

    for caller, settings_cls in (("gateway", GatewaySettings), ("health", HealthSettings)):
        for field in settings_cls.model_fields:
            callee = field.removesuffix("_url")
            if field.endswith("_url") and callee in SERVICE_NAMES:
                assert model.flows_between(f"{caller} service", f"{callee} service"), (
                    f"{caller} calls {callee} ({settings_cls.__name__}.{field}) but the "
                    "model has no such flow"
                )


def test_whoever_imports_the_sandbox_has_a_flow_into_it_and_hands_it_no_secret(model: Any) -> None:
    importers = set()
    for service in SERVICE_NAMES:
        for module in source_modules(service):
            for node in ast.walk(module):
                if isinstance(node, ast.ImportFrom) and "sandbox" in (node.module or ""):
                    importers.add(service)
                if isinstance(node, ast.Import) and any("sandbox" in a.name for a in node.names):
                    importers.add(service)
    assert importers, "no service runs the sandbox any more: update the model"
    into = [f for f in model.flows if f.sink.name == tm_code.SANDBOX]
    assert {f.source.name for f in into} == {f"{s} service" for s in importers}
    assert model.boundary_of(tm_code.SANDBOX) == model.boundaries["sandbox"].name
    assert not any(d.isCredentials for f in into for d in f.data)
    # Out of the sandbox: its answer to the caller, the allow-listed hub, and (download
    # monitors, whose network is open by default for audit servers) arbitrary web hosts.
    out = {f.sink.name for f in model.flows if f.source.name == tm_code.SANDBOX}
    assert out <= {*(f"{s} service" for s in importers), tm_code.HF_HUB, tm_code.WEB}


def test_the_internet_reaches_only_the_load_balancer(model: Any) -> None:
    internet = model.boundaries["internet"].name
    from_internet = {
        f.sink.name for f in model.flows if model.boundary_of(f.source.name) == internet
    }
    assert from_internet == {tm_code.ALB}


def test_every_element_is_inside_a_trust_boundary(model: Any) -> None:
    for name in model.elements:
        assert model.boundary_of(name) is not None, f"{name} is in no boundary"


def test_the_checked_in_diagram_is_the_model(model: Any) -> None:
    """dfd.dot is what `make threat-model` renders to dfd.png/svg: regenerate when this fails."""
    checked_in = (SECURITY_DOCS / "dfd.dot").read_text()
    assert checked_in == tm_code.dot_source(model), (
        "docs/security/dfd.dot is stale: run `make threat-model` and commit the diagram"
    )
    for image in ("dfd.png", "dfd.svg"):
        assert (SECURITY_DOCS / image).stat().st_size > 0
