"""Build the gateway's served OpenAPI document so that it matches the contract.

FastAPI (0.165, ``fastapi/openapi/utils.py::get_openapi_path``) adds a ``422 Validation
Error`` response to every route that has parameters or a body, unless the route already
documents ``422``, ``4XX`` or ``default``; there is no switch to turn that off.  The contract
answers invalid input with ``400`` instead, so the supported way out is FastAPI's documented
"extending OpenAPI" hook: replace ``app.openapi`` with a function that calls
:func:`fastapi.openapi.utils.get_openapi` and post-processes the result.  :func:`build_openapi`
does exactly that and :func:`install_openapi` wires it into an app.

Typical use in the gateway::

    app = FastAPI(...)
    ...  # routes, plus an exception handler mapping RequestValidationError to 400
    install_openapi(app, extra_schemas=SPEC_SCHEMA_TYPES.values())
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from pydantic import TypeAdapter
from pydantic.json_schema import JsonSchemaMode

__all__ = [
    "VALIDATION_ERROR_COMPONENTS",
    "add_component_schemas",
    "build_openapi",
    "install_docs_page",
    "install_openapi",
    "mark_headers_required",
    "strip_validation_responses",
]

VALIDATION_ERROR_COMPONENTS = ("HTTPValidationError", "ValidationError")
"""Components FastAPI adds for its default 422 response."""

_REF_PREFIX = "#/components/schemas/"
_REF_TEMPLATE = _REF_PREFIX + "{model}"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def build_openapi(
    app: FastAPI,
    *,
    extra_schemas: Iterable[Any] = (),
    required_headers: Iterable[str] = (),
) -> dict[str, Any]:
    """Generate ``app``'s OpenAPI document the way ``FastAPI.openapi`` does, then fix it up.

    * every ``422`` response is removed, and so are the ``HTTPValidationError`` and
      ``ValidationError`` components once nothing references them any more;
    * ``extra_schemas`` (types usable with ``pydantic.TypeAdapter``) are added to
      ``components/schemas`` when no route references them (existing entries are kept);
    * header parameters named in ``required_headers`` are marked ``required: true`` (for a
      header a route declares optional so that it can answer 403 itself when it is missing).
    """
    document = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        summary=app.summary,
        description=app.description,
        terms_of_service=app.terms_of_service,
        contact=app.contact,
        license_info=app.license_info,
        routes=app.routes,
        webhooks=app.webhooks.routes,
        tags=app.openapi_tags,
        servers=app.servers,
        separate_input_output_schemas=app.separate_input_output_schemas,
        external_docs=app.openapi_external_docs,
    )
    document = strip_validation_responses(document)
    document = add_component_schemas(document, extra_schemas)
    return mark_headers_required(document, required_headers)


def install_openapi(
    app: FastAPI,
    *,
    extra_schemas: Iterable[Any] = (),
    required_headers: Iterable[str] = (),
) -> Callable[[], dict[str, Any]]:
    """Make ``app.openapi`` (and so ``/openapi.json`` and ``/docs``) serve :func:`build_openapi`.

    The document is cached in ``app.openapi_schema`` like FastAPI does; the cache is rebuilt
    when routes are added later (detected through the router's route version when available,
    otherwise through the number of routes).
    """
    schemas = tuple(extra_schemas)
    headers = tuple(required_headers)
    state: dict[str, Any] = {"version": None}

    def routes_version() -> Any:
        probe = getattr(app.router, "_get_routes_version", None)
        return probe() if callable(probe) else len(app.routes)

    def openapi() -> dict[str, Any]:
        version = routes_version()
        if app.openapi_schema is None or state["version"] != version:
            app.openapi_schema = build_openapi(app, extra_schemas=schemas, required_headers=headers)
            state["version"] = version
        return app.openapi_schema

    app.openapi_schema = None
    app.openapi = openapi  # type: ignore[method-assign]
    return openapi


def install_docs_page(app: FastAPI, path: str = "/docs") -> None:
    """Serve FastAPI's Swagger UI page at `path` with `<html lang="en">`: FastAPI's
    `get_swagger_ui_html` writes a bare `<html>`, which fails WCAG 2.1 SC 3.1.1 (axe's
    `html-has-lang`), and has no option for the attribute."""
    app.router.routes[:] = [
        route for route in app.router.routes if getattr(route, "path", None) != path
    ]
    openapi_url = app.openapi_url or "/openapi.json"

    async def docs_page() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=openapi_url, title=f"{app.title} - API documentation"
        )
        html = bytes(page.body).decode("utf-8").replace("<html>", '<html lang="en">', 1)
        return HTMLResponse(html)

    app.add_api_route(path, docs_page, include_in_schema=False, methods=["GET"])


def strip_validation_responses(document: Mapping[str, Any]) -> dict[str, Any]:
    """Copy of ``document`` without ``422`` responses and unused validation-error components."""
    result = copy.deepcopy(dict(document))
    for path_item in result.get("paths", {}).values():
        for method in _METHODS:
            operation = path_item.get(method) if isinstance(path_item, dict) else None
            if isinstance(operation, dict):
                operation.get("responses", {}).pop("422", None)
    schemas = result.get("components", {}).get("schemas")
    if isinstance(schemas, dict):
        for name in VALIDATION_ERROR_COMPONENTS:
            if name in schemas and name not in _referenced_components(result, exclude=name):
                # Only HTTPValidationError refers to ValidationError; drop it first so that the
                # second pass sees ValidationError unreferenced.
                del schemas[name]
        if not schemas:
            del result["components"]["schemas"]
        if not result["components"]:
            del result["components"]
    return result


def _referenced_components(document: Mapping[str, Any], *, exclude: str) -> set[str]:
    """Component names referenced anywhere in ``document`` except inside ``exclude`` itself."""
    found: set[str] = set()

    def walk(node: Any, skip: bool) -> None:
        if skip:
            return
        if isinstance(node, Mapping):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(_REF_PREFIX):
                found.add(ref[len(_REF_PREFIX) :])
            for key, value in node.items():
                walk(value, skip=node is schemas and key == exclude)
        elif isinstance(node, list):
            for item in node:
                walk(item, skip=False)

    schemas = document.get("components", {}).get("schemas", {})
    walk(document, skip=False)
    return found


def add_component_schemas(
    document: Mapping[str, Any], types: Iterable[Any], *, mode: JsonSchemaMode = "validation"
) -> dict[str, Any]:
    """Copy of ``document`` with the JSON schemas of ``types`` added to ``components/schemas``.

    Useful for contract components that no route references (e.g. ``HealthSummaryResponse``).
    Names follow pydantic's naming (the class or ``TypeAliasType`` name, like FastAPI); entries
    already present are left untouched.
    """
    result = copy.deepcopy(dict(document))
    wanted = list(types)
    if not wanted:
        return result
    inputs = [(index, mode, TypeAdapter(kind)) for index, kind in enumerate(wanted)]
    _, definitions = TypeAdapter.json_schemas(inputs, ref_template=_REF_TEMPLATE)
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in definitions.get("$defs", {}).items():
        schemas.setdefault(name, schema)
    result["components"]["schemas"] = dict(sorted(schemas.items()))
    return result


def mark_headers_required(document: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """Copy of ``document`` where header parameters called ``names`` are ``required: true``."""
    result = copy.deepcopy(dict(document))
    wanted = {name.lower() for name in names}
    if not wanted:
        return result
    for path_item in result.get("paths", {}).values():
        if not isinstance(path_item, dict):
            continue
        operations = [path_item.get(method) for method in _METHODS]
        for holder in [path_item, *operations]:
            if not isinstance(holder, dict):
                continue
            for parameter in holder.get("parameters", []):
                if (
                    isinstance(parameter, dict)
                    and parameter.get("in") == "header"
                    and str(parameter.get("name", "")).lower() in wanted
                ):
                    parameter["required"] = True
    return result
