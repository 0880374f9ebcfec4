"""The contract comparator, and FastAPI documents built with ``openapi_doc``."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import FastAPI, Header, Query
from fastapi.testclient import TestClient
from pydantic import BaseModel

from registry_gateway.openapi_doc import (
    add_component_schemas,
    build_openapi,
    install_openapi,
    mark_headers_required,
    strip_validation_responses,
)
from registry_gateway.schemas import (
    SPEC_SCHEMA_TYPES,
    Artifact,
    ArtifactCost,
    ArtifactData,
    ArtifactID,
    ArtifactLineageGraph,
    ArtifactMetadata,
    ArtifactQuery,
    ArtifactType,
    AuthenticationRequest,
    AuthenticationToken,
    EnumerateOffset,
    HealthComponentCollection,
    HealthSummaryResponse,
    TracksResponse,
)
from tests.harness.openapi_diff import (
    LINEAGE_NODE_REQUIRED,
    SPEC_PATH_ENV,
    apply_known_spec_slips,
    compare_schema,
    compare_to_spec,
    load_spec,
    locate_spec,
    restrict_spec_to_paths,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
SHARED_SPEC = REPO_ROOT.parent / "shared/spec/openapi.yaml"


@cache
def _raw_spec() -> dict[str, Any]:
    # $REGISTRY_SPEC_PATH, else <repo>/docs/spec/openapi.yaml, else SHARED_SPEC
    return load_spec(locate_spec(REPO_ROOT))


def _spec() -> dict[str, Any]:
    return copy.deepcopy(_raw_spec())


# ------------------------------------------------------------------------------------------
# Small hand-written documents
# ------------------------------------------------------------------------------------------

TOKEN_HEADER = {
    "name": "X-Authorization",
    "in": "header",
    "required": True,
    "schema": {"$ref": "#/components/schemas/Token"},
}


def _mini_spec() -> dict[str, Any]:
    return {
        "openapi": "3.0.2",
        "paths": {
            "/things/{id}": {
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                    copy.deepcopy(TOKEN_HEADER),
                ],
                "get": {
                    "parameters": [
                        {"name": "verbose", "in": "query", "schema": {"type": "boolean"}},
                    ],
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Thing"}
                                }
                            },
                        },
                        "400": {"description": "bad"},
                        "404": {"description": "missing"},
                    },
                },
                "put": {
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}
                        },
                    },
                    "responses": {"200": {"description": "updated"}},
                },
            },
            "/things": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "list",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/Thing"},
                                    }
                                }
                            },
                        }
                    }
                }
            },
        },
        "components": {
            "schemas": {
                "Token": {"type": "string"},
                "Kind": {"type": "string", "enum": ["a", "b"]},
                "Thing": {
                    "type": "object",
                    "required": ["name", "kind"],
                    "properties": {
                        "name": {"type": "string"},
                        "kind": {"$ref": "#/components/schemas/Kind"},
                        "size": {"type": "integer", "minimum": 0},
                        "tags": {"type": "array", "items": {"type": "string"}},
                        "when": {"type": "string", "format": "date-time"},
                    },
                },
            }
        },
    }


def _fastapi_style(spec: dict[str, Any]) -> dict[str, Any]:
    """The mini spec re-encoded the way FastAPI/pydantic would write it."""
    served = copy.deepcopy(spec)
    item = served["paths"]["/things/{id}"]
    path_params = item.pop("parameters")
    item["get"]["parameters"] = [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "title": "Id"}},
        {
            "name": "verbose",
            "in": "query",
            "required": False,
            "schema": {"anyOf": [{"type": "boolean"}, {"type": "null"}], "default": None},
        },
        {**path_params[1], "name": "x-authorization"},  # header names are case-insensitive
    ]
    item["put"]["parameters"] = copy.deepcopy(path_params)
    item["get"]["responses"]["500"] = {"description": "extra responses are fine"}
    served["paths"]["/extension"] = {"get": {"responses": {"200": {"description": "extra"}}}}
    thing = served["components"]["schemas"]["Thing"]
    thing["title"] = "Thing"
    thing["properties"]["name"] = {"type": "string", "title": "Name"}
    thing["properties"]["kind"] = {"allOf": [{"$ref": "#/components/schemas/Kind"}]}
    thing["properties"]["size"] = {
        "anyOf": [{"type": "integer", "minimum": 0.0}, {"type": "null"}],
        "default": None,
        "title": "Size",
    }
    thing["properties"]["tags"] = {"type": ["array", "null"], "items": {"type": "string"}}
    thing["properties"]["extra"] = {"type": "string"}  # extra properties are fine
    served["components"]["schemas"]["Kind"]["enum"] = ["b", "a"]  # order does not matter
    served["components"]["schemas"]["HTTPValidationError"] = {"type": "object"}
    return served


def test_identical_documents_conform() -> None:
    assert compare_to_spec(_mini_spec(), _mini_spec()) == []


def test_fastapi_representations_are_tolerated() -> None:
    assert compare_to_spec(_fastapi_style(_mini_spec()), _mini_spec()) == []


def test_reports_a_missing_path() -> None:
    served = _fastapi_style(_mini_spec())
    del served["paths"]["/things"]
    assert compare_to_spec(served, _mini_spec()) == ["/things: path is missing"]


def test_reports_a_path_whose_parameter_was_renamed() -> None:
    served = _fastapi_style(_mini_spec())
    served["paths"]["/things/{thing_id}"] = served["paths"].pop("/things/{id}")
    (diff,) = compare_to_spec(served, _mini_spec())
    assert "/things/{id}: path is missing" in diff
    assert "/things/{thing_id}" in diff


def test_reports_a_missing_method() -> None:
    served = _fastapi_style(_mini_spec())
    del served["paths"]["/things/{id}"]["put"]
    assert compare_to_spec(served, _mini_spec()) == ["PUT /things/{id}: operation is missing"]


def test_reports_a_missing_parameter_including_path_level_ones() -> None:
    served = _fastapi_style(_mini_spec())
    served["paths"]["/things/{id}"]["put"]["parameters"].pop()  # the path-level header
    assert compare_to_spec(served, _mini_spec()) == [
        "PUT /things/{id}: parameter 'X-Authorization' (header) is missing"
    ]


def test_reports_required_mismatches_and_extra_required_parameters() -> None:
    served = _fastapi_style(_mini_spec())
    params = served["paths"]["/things/{id}"]["get"]["parameters"]
    params[1]["required"] = True  # verbose
    params[2]["required"] = False  # X-Authorization
    params.append({"name": "page", "in": "query", "required": True, "schema": {"type": "integer"}})
    params.append({"name": "debug", "in": "query", "required": False, "schema": {}})
    assert compare_to_spec(served, _mini_spec()) == [
        "GET /things/{id}: parameter 'X-Authorization' (header) is required by the spec but "
        "optional",
        "GET /things/{id}: parameter 'verbose' (query) is required but the spec makes it optional",
        "GET /things/{id}: served requires parameter 'page' (query) which the spec does not define",
    ]


def test_reports_a_parameter_schema_mismatch() -> None:
    served = _fastapi_style(_mini_spec())
    served["paths"]["/things/{id}"]["get"]["parameters"][0]["schema"] = {"type": "integer"}
    assert compare_to_spec(served, _mini_spec()) == [
        "GET /things/{id}: parameter 'id' (path): type differs: spec string, served integer"
    ]


def test_reports_a_changed_response_code() -> None:
    served = _fastapi_style(_mini_spec())
    responses = served["paths"]["/things/{id}"]["get"]["responses"]
    responses["201"] = responses.pop("200")
    assert compare_to_spec(served, _mini_spec()) == ["GET /things/{id}: response 200 is missing"]


def test_reports_a_422_response() -> None:
    served = _fastapi_style(_mini_spec())
    served["paths"]["/things/{id}"]["put"]["responses"]["422"] = {"description": "Validation"}
    (diff,) = compare_to_spec(served, _mini_spec())
    assert diff.startswith("PUT /things/{id}: served documents a 422 response")
    assert "400" in diff


def test_reports_a_property_type_mismatch() -> None:
    served = _fastapi_style(_mini_spec())
    served["components"]["schemas"]["Thing"]["properties"]["size"] = {"type": "string"}
    assert compare_to_spec(served, _mini_spec()) == [
        "components.schemas.Thing.size: type differs: spec integer, served string"
    ]


def test_reports_missing_and_optional_required_fields() -> None:
    served = _fastapi_style(_mini_spec())
    thing = served["components"]["schemas"]["Thing"]
    thing["required"] = ["name", "size"]
    del thing["properties"]["name"]
    assert compare_to_spec(served, _mini_spec()) == [
        "components.schemas.Thing: property 'name' is missing",
        "components.schemas.Thing: property 'kind' is required by the spec but optional",
        "components.schemas.Thing: property 'size' is required but the spec makes it optional",
    ]


def test_reports_enum_format_and_bound_differences() -> None:
    served = _fastapi_style(_mini_spec())
    schemas = served["components"]["schemas"]
    schemas["Kind"]["enum"] = ["a", "c"]
    schemas["Thing"]["properties"]["when"]["format"] = "date"
    schemas["Thing"]["properties"]["size"] = {"type": "integer"}
    assert sorted(compare_to_spec(served, _mini_spec())) == [
        "components.schemas.Kind: enum differs: spec ['a', 'b'], served ['a', 'c']",
        "components.schemas.Thing.size: minimum differs: spec 0, served None",
        "components.schemas.Thing.when: format differs: spec 'date-time', served 'date'",
    ]


def test_reports_response_and_request_body_schema_differences() -> None:
    served = _fastapi_style(_mini_spec())
    served["paths"]["/things"]["get"]["responses"]["200"]["content"]["application/json"] = {
        "schema": {"type": "array", "items": {"type": "string"}}
    }
    put = served["paths"]["/things/{id}"]["put"]
    put["requestBody"]["content"]["application/json"]["schema"] = {}
    assert compare_to_spec(served, _mini_spec()) == [
        "PUT /things/{id}: request body (application/json): served schema is unconstrained "
        "(spec: object)",
        "GET /things: response 200 (application/json)[]: type differs: spec object, served string",
    ]
    del put["requestBody"]
    assert "PUT /things/{id}: request body is missing" in compare_to_spec(served, _mini_spec())


def test_a_served_model_split_into_input_and_output_is_explained() -> None:
    served = _fastapi_style(_mini_spec())
    schemas = served["components"]["schemas"]
    schemas["Thing-Input"] = schemas["Thing-Output"] = schemas.pop("Thing")
    for path_item in served["paths"].values():
        for operation in path_item.values():
            for response in operation.get("responses", {}).values():
                for media in response.get("content", {}).values():
                    media["schema"] = {"$ref": "#/components/schemas/Thing-Output"}
    put = served["paths"]["/things/{id}"]["put"]
    put["requestBody"]["content"]["application/json"]["schema"]["$ref"] += "-Input"
    diffs = compare_to_spec(served, _mini_spec())
    assert diffs == [
        "GET /things: response 200 (application/json): type differs: spec array, served object",
        "components.schemas.Thing: missing (served has Thing-Input and Thing-Output: make the "
        "model's validation and serialization schemas identical)",
    ]


def test_response_headers_are_compared() -> None:
    spec = _mini_spec()
    spec["paths"]["/things"]["get"]["responses"]["200"]["headers"] = {
        "offset": {"schema": {"$ref": "#/components/schemas/Token"}}
    }
    served = _fastapi_style(spec)
    assert compare_to_spec(served, spec) == []
    served["paths"]["/things"]["get"]["responses"]["200"]["headers"]["offset"]["schema"] = {
        "type": "integer"
    }
    assert compare_to_spec(served, spec) == [
        "GET /things: response 200 header 'offset': type differs: spec string, served integer"
    ]
    del served["paths"]["/things"]["get"]["responses"]["200"]["headers"]
    assert compare_to_spec(served, spec) == ["GET /things: response 200 header 'offset' is missing"]


# ------------------------------------------------------------------------------------------
# compare_schema
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec_schema", "served_schema"),
    [
        ({"type": "string"}, {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "X"}),
        ({"type": "string"}, {"oneOf": [{"type": "null"}, {"type": "string"}]}),
        ({"type": "string"}, {"type": ["string", "null"]}),
        ({"type": "string", "nullable": True}, {"type": "string", "default": "x"}),
        ({"type": "string", "enum": ["a"]}, {"const": "a", "type": "string"}),
        ({"type": "object"}, {"type": "object", "additionalProperties": True}),
        ({"type": "object"}, {"type": "object", "additionalProperties": {}}),
        ({"type": "number", "format": "double"}, {"type": "number"}),
        (
            {"oneOf": [{"type": "integer"}, {"type": "string"}]},
            {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]},
        ),
        (
            {"type": "object", "properties": {"a": {"type": "string"}}},
            {
                "allOf": [
                    {"type": "object", "properties": {"a": {"type": "string"}}},
                    {"properties": {"b": {"type": "integer"}}},
                ]
            },
        ),
        ({}, {"type": "integer"}),
        ({"description": "anything"}, {}),
    ],
)
def test_compare_schema_tolerates_equivalent_encodings(
    spec_schema: dict[str, Any], served_schema: dict[str, Any]
) -> None:
    assert compare_schema(spec_schema, served_schema) == []


@pytest.mark.parametrize(
    ("spec_schema", "served_schema", "expected"),
    [
        ({"type": "string"}, {}, "served schema is unconstrained"),
        ({"type": "string"}, {"type": "integer"}, "type differs"),
        ({"type": "string"}, {"type": "string", "pattern": "^a$"}, "pattern differs"),
        ({"type": "array", "items": {"type": "string"}}, {"type": "array"}, "no items schema"),
        (
            {"type": "object", "additionalProperties": {"type": "integer"}},
            {"type": "object"},
            "additionalProperties differs",
        ),
        (
            {"type": "object"},
            {"type": "object", "additionalProperties": False},
            "additionalProperties differs",
        ),
        (
            {"type": "object", "additionalProperties": {"type": "integer"}},
            {"type": "object", "additionalProperties": {"type": "string"}},
            "schema{*}: type differs",
        ),
        (
            {"oneOf": [{"type": "integer"}, {"type": "string"}]},
            {"anyOf": [{"type": "integer"}, {"type": "boolean"}]},
            "alternatives differ",
        ),
        ({"type": "string"}, {"anyOf": [{"type": "string"}, {"type": "integer"}]}, "spec string"),
        ({"$ref": "#/nowhere"}, {"type": "string"}, "spec schema problem"),
    ],
)
def test_compare_schema_reports_structural_differences(
    spec_schema: dict[str, Any], served_schema: dict[str, Any], expected: str
) -> None:
    (diff,) = compare_schema(spec_schema, served_schema)
    assert expected in diff


def test_compare_schema_terminates_on_recursive_schemas() -> None:
    tree: dict[str, Any] = {
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
            }
        },
        "$ref": "#/$defs/Node",
    }
    assert compare_schema(tree, copy.deepcopy(tree)) == []
    other = copy.deepcopy(tree)
    other["$defs"]["Node"]["properties"]["children"]["items"] = {"type": "string"}
    assert compare_schema(tree, other) == [
        "schema.children[]: type differs: spec object, served string"
    ]


# ------------------------------------------------------------------------------------------
# The real contract
# ------------------------------------------------------------------------------------------


def _contract_outline(spec: dict[str, Any]) -> tuple[set[tuple[str, str]], set[str]]:
    operations = {
        (path, method)
        for path, item in spec["paths"].items()
        for method in item
        if method in ("get", "put", "post", "delete", "patch", "head", "options", "trace")
    }
    return operations, set(spec["components"]["schemas"])


def test_the_spec_is_found_and_the_repo_copy_is_current(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SPEC_PATH_ENV, raising=False)
    path = locate_spec(REPO_ROOT)
    assert path.is_file()
    if SHARED_SPEC.is_file() and path != SHARED_SPEC:
        # Same operations and components; copies may differ in slips and wording.
        assert _contract_outline(load_spec(path)) == _contract_outline(load_spec(SHARED_SPEC)), (
            f"{path} is stale: copy {SHARED_SPEC} over it"
        )


def test_the_env_var_overrides_the_spec_location(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "contract.yaml"
    target.write_text("openapi: 3.0.2\npaths: {}\n")
    monkeypatch.setenv(SPEC_PATH_ENV, str(target))
    assert locate_spec(REPO_ROOT) == target
    monkeypatch.setenv(SPEC_PATH_ENV, str(tmp_path / "absent.yaml"))
    with pytest.raises(FileNotFoundError):
        locate_spec(REPO_ROOT)


def test_duplicate_path_keys_are_merged(tmp_path: Path) -> None:
    target = tmp_path / "dup.yaml"
    target.write_text(
        "paths:\n"
        "  /health:\n"
        "    get:\n"
        "      summary: heartbeat\n"
        "      responses: {'200': {description: first}}\n"
        "  /health:\n"
        "    get:\n"
        "      responses:\n"
        "        '200':\n"
        "          description: second\n"
        "          content: {application/json: {schema: {type: object}}}\n"
        "    post:\n"
        "      responses: {'200': {description: third}}\n"
    )
    health = load_spec(target)["paths"]["/health"]
    assert set(health) == {"get", "post"}
    assert health["get"]["summary"] == "heartbeat"
    assert health["get"]["responses"]["200"] == {
        "description": "second",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }


def test_the_spec_conforms_to_itself_once_its_slips_are_fixed() -> None:
    spec = _spec()
    assert compare_to_spec(apply_known_spec_slips(spec), spec) == []


def test_the_lineage_node_slip_is_tolerated() -> None:
    spec = _spec()
    node = spec["components"]["schemas"]["ArtifactLineageNode"]
    node["required"] = ["node"]  # the slip, as published
    fixed = apply_known_spec_slips(spec)
    assert fixed["components"]["schemas"]["ArtifactLineageNode"]["required"] == list(
        LINEAGE_NODE_REQUIRED
    )
    assert node["required"] == ["node"], "the input is not modified"
    assert compare_to_spec(fixed, spec) == []
    # A served node that copies the slip verbatim is reported.
    diffs = compare_to_spec(spec, spec)
    assert diffs
    assert all("ArtifactLineageNode" in d for d in diffs)


def test_a_served_document_missing_everything_lists_every_path_and_component() -> None:
    spec = _spec()
    diffs = compare_to_spec({"openapi": "3.1.0", "paths": {}}, spec)
    assert len(diffs) == len(spec["paths"]) + len(spec["components"]["schemas"])


def test_restrict_spec_to_paths_keeps_the_reachable_components() -> None:
    restricted = restrict_spec_to_paths(_spec(), ["/artifact/model/{id}/lineage"])
    assert list(restricted["paths"]) == ["/artifact/model/{id}/lineage"]
    assert set(restricted["components"]["schemas"]) == {
        "ArtifactID",
        "AuthenticationToken",
        "ArtifactLineageGraph",
        "ArtifactLineageNode",
        "ArtifactLineageEdge",
    }
    with pytest.raises(KeyError):
        restrict_spec_to_paths(_spec(), ["/nope"])


# ------------------------------------------------------------------------------------------
# A tiny FastAPI app built from the models
# ------------------------------------------------------------------------------------------

TINY_PATHS = [
    "/artifacts",
    "/artifact/{artifact_type}",
    "/artifact/{artifact_type}/{id}/cost",
    "/artifact/model/{id}/lineage",
    "/authenticate",
    "/health/components",
    "/health",
    "/tracks",
]

Token = Annotated[AuthenticationToken, Header(alias="X-Authorization")]


def _declared(path: str, method: str, *, main: int) -> dict[int | str, dict[str, Any]]:
    """The spec's other responses for an operation, as FastAPI ``responses=``."""
    operation = _raw_spec()["paths"][path][method]
    declared: dict[int | str, dict[str, Any]] = {}
    for code, response in operation["responses"].items():
        if int(code) != main:
            declared[int(code)] = {"description": response["description"]}
            if "headers" in response:
                declared[int(code)]["headers"] = response["headers"]
    return declared


def _tiny_app() -> FastAPI:
    app = FastAPI(title="tiny", version="0")

    @app.post(
        "/artifacts",
        response_model=list[ArtifactMetadata],
        responses={
            **_declared("/artifacts", "post", main=200),
            200: {
                "description": "List of artifacts",
                "headers": {"offset": {"schema": {"$ref": "#/components/schemas/EnumerateOffset"}}},
            },
        },
    )
    def list_artifacts(
        queries: list[ArtifactQuery],
        x_authorization: Token,
        offset: Annotated[EnumerateOffset | None, Query()] = None,
    ) -> list[ArtifactMetadata]:
        return []

    @app.post(
        "/artifact/{artifact_type}",
        status_code=201,
        response_model=Artifact,
        responses=_declared("/artifact/{artifact_type}", "post", main=201),
    )
    def create(artifact_type: ArtifactType, body: ArtifactData, x_authorization: Token) -> Artifact:
        return Artifact(
            metadata=ArtifactMetadata(name="bert", id="1", type=artifact_type),
            data=ArtifactData(url=body.url, download_url="https://registry.example/download/1"),
        )

    @app.get(
        "/artifact/{artifact_type}/{id}/cost",
        response_model=ArtifactCost,
        responses=_declared("/artifact/{artifact_type}/{id}/cost", "get", main=200),
    )
    def cost(
        artifact_type: ArtifactType,
        id: ArtifactID,
        x_authorization: Token,
        dependency: bool = False,
    ) -> ArtifactCost:
        return ArtifactCost({})

    @app.get(
        "/artifact/model/{id}/lineage",
        response_model=ArtifactLineageGraph,
        responses=_declared("/artifact/model/{id}/lineage", "get", main=200),
    )
    def lineage(id: ArtifactID, x_authorization: Token) -> ArtifactLineageGraph:
        return ArtifactLineageGraph(nodes=[], edges=[])

    @app.put(
        "/authenticate",
        response_model=AuthenticationToken,
        responses=_declared("/authenticate", "put", main=200),
    )
    def authenticate(body: AuthenticationRequest) -> str:
        return "bearer x"

    @app.get("/health/components", response_model=HealthComponentCollection)
    def components(
        windowMinutes: Annotated[int, Query(ge=5, le=1440)] = 60,  # the spec's spelling
        includeTimeline: bool = False,
    ) -> Any:
        raise NotImplementedError

    @app.get(
        "/health",
        response_model=HealthSummaryResponse,
        responses={200: {"description": "Service reachable."}},
    )
    def health() -> Any:
        raise NotImplementedError

    @app.get(
        "/tracks", response_model=TracksResponse, responses=_declared("/tracks", "get", main=200)
    )
    def tracks() -> TracksResponse:
        return TracksResponse(plannedTracks=["Performance track"])

    @app.get("/not-in-the-spec")
    def extension() -> dict[str, str]:
        return {}

    return app


def test_a_fastapi_app_built_from_the_models_conforms() -> None:
    spec = restrict_spec_to_paths(_spec(), TINY_PATHS)
    document = build_openapi(_tiny_app())
    assert compare_to_spec(document, spec) == []
    assert set(spec["components"]["schemas"]) <= set(document["components"]["schemas"])


def test_the_raw_fastapi_document_shows_422s() -> None:
    spec = restrict_spec_to_paths(_spec(), TINY_PATHS)
    diffs = compare_to_spec(_tiny_app().openapi(), spec)
    assert diffs
    assert all("422" in diff for diff in diffs)
    assert len(diffs) == len(TINY_PATHS) - 2  # /health and /tracks take no input


def test_a_wrongly_typed_route_is_caught() -> None:
    class LooseMetadata(BaseModel):
        name: str
        id: int
        type: str

    app = FastAPI()

    @app.get("/artifact/byName/{name}", response_model=list[LooseMetadata])
    def by_name(name: str, x_authorization: Annotated[str | None, Header()] = None) -> Any:
        return []

    spec = restrict_spec_to_paths(_spec(), ["/artifact/byName/{name}"])
    assert sorted(compare_to_spec(build_openapi(app), spec)) == sorted(
        [
            "GET /artifact/byName/{name}: parameter 'X-Authorization' (header) is required by "
            "the spec but optional",
            "GET /artifact/byName/{name}: response 400 is missing",
            "GET /artifact/byName/{name}: response 403 is missing",
            "GET /artifact/byName/{name}: response 404 is missing",
            "GET /artifact/byName/{name}: response 200 (application/json)[].id: type differs: "
            "spec string, served integer",
            "GET /artifact/byName/{name}: response 200 (application/json)[].type: enum differs: "
            "spec ['code', 'dataset', 'model'], served (none)",
            "components.schemas.ArtifactMetadata: missing",
            "components.schemas.ArtifactName: missing",
            "components.schemas.ArtifactID: missing",
            "components.schemas.ArtifactType: missing",
            "components.schemas.AuthenticationToken: missing",
        ]
    )


# ------------------------------------------------------------------------------------------
# openapi_doc helpers
# ------------------------------------------------------------------------------------------


def test_build_openapi_drops_422_and_the_validation_components() -> None:
    app = _tiny_app()
    raw = app.openapi()
    assert "HTTPValidationError" in raw["components"]["schemas"]
    built = build_openapi(app)
    for path_item in built["paths"].values():
        for operation in path_item.values():
            assert "422" not in operation["responses"]
    assert "HTTPValidationError" not in built["components"]["schemas"]
    assert "ValidationError" not in built["components"]["schemas"]
    assert built["paths"].keys() == raw["paths"].keys()


def test_validation_components_still_referenced_are_kept() -> None:
    document: dict[str, Any] = {
        "paths": {
            "/a": {
                "get": {
                    "responses": {
                        "400": {
                            "description": "bad",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/HTTPValidationError"}
                                }
                            },
                        },
                        "422": {"description": "Validation Error"},
                    }
                }
            }
        },
        "components": {
            "schemas": {
                "HTTPValidationError": {
                    "properties": {
                        "detail": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/ValidationError"},
                        }
                    }
                },
                "ValidationError": {"type": "object"},
            }
        },
    }
    stripped = strip_validation_responses(document)
    assert list(stripped["paths"]["/a"]["get"]["responses"]) == ["400"]
    assert set(stripped["components"]["schemas"]) == {"HTTPValidationError", "ValidationError"}
    assert "422" in document["paths"]["/a"]["get"]["responses"], "the input is not modified"
    del document["paths"]["/a"]["get"]["responses"]["400"]
    assert "components" not in strip_validation_responses(document)


def test_install_openapi_serves_the_built_document_and_follows_new_routes() -> None:
    app = _tiny_app()
    install_openapi(
        app, extra_schemas=SPEC_SCHEMA_TYPES.values(), required_headers=["x-authorization"]
    )
    client = TestClient(app)
    served = client.get("/openapi.json").json()
    assert "422" not in served["paths"]["/artifact/{artifact_type}"]["post"]["responses"]
    assert set(SPEC_SCHEMA_TYPES) <= set(served["components"]["schemas"])
    assert app.openapi() is app.openapi(), "cached"

    @app.get("/later")
    def later(q: int) -> int:
        return q

    assert "/later" in client.get("/openapi.json").json()["paths"]
    assert "422" not in app.openapi()["paths"]["/later"]["get"]["responses"]


def test_the_full_component_set_can_be_served() -> None:
    document = add_component_schemas({"paths": {}}, SPEC_SCHEMA_TYPES.values())
    assert compare_to_spec(document, restrict_spec_to_paths(_spec(), [])) == []
    spec = _spec()
    spec["paths"] = {}
    assert compare_to_spec(document, spec) == []


def test_mark_headers_required() -> None:
    app = FastAPI()

    @app.get("/x")
    def x(x_authorization: Annotated[str | None, Header(alias="X-Authorization")] = None) -> None:
        return None

    document = mark_headers_required(build_openapi(app), ["X-Authorization"])
    (parameter,) = document["paths"]["/x"]["get"]["parameters"]
    assert parameter["required"] is True
    assert build_openapi(app)["paths"]["/x"]["get"]["parameters"][0]["required"] is False
