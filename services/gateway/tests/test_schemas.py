"""The pydantic models mirror every schema under ``components/schemas`` of the contract."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from registry_common.rating import SCALAR_METRICS
from registry_gateway import schemas
from registry_gateway.schemas import (
    SPEC_SCHEMA_TYPES,
    Artifact,
    ArtifactAuditEntry,
    ArtifactCost,
    ArtifactData,
    ArtifactLineageGraph,
    ArtifactLineageNode,
    ArtifactMetadata,
    ArtifactQuery,
    ArtifactType,
    AuthenticationRequest,
    HealthComponentCollection,
    HealthComponentDetail,
    HealthLogReference,
    HealthMetricMap,
    HealthStatus,
    HealthSummaryResponse,
    ModelRating,
    SimpleLicenseCheckRequest,
    TracksResponse,
)
from tests.harness.openapi_diff import (
    apply_known_spec_slips,
    compare_schema,
    load_spec,
    locate_spec,
)

REPO_ROOT = Path(__file__).resolve().parents[3]


@cache
def _spec() -> dict[str, Any]:
    # $REGISTRY_SPEC_PATH, else <repo>/docs/spec/openapi.yaml, else <repo>/../shared/spec/...
    return apply_known_spec_slips(load_spec(locate_spec(REPO_ROOT)))


def _spec_components() -> dict[str, Any]:
    components: dict[str, Any] = _spec()["components"]["schemas"]
    return components


SPEC_NAMES = sorted(_spec_components())


def test_every_spec_schema_has_a_type_of_the_same_name() -> None:
    assert set(SPEC_SCHEMA_TYPES) == set(SPEC_NAMES)
    for name in SPEC_NAMES:
        assert getattr(schemas, name) is SPEC_SCHEMA_TYPES[name]


@pytest.mark.parametrize("mode", ["validation", "serialization"])
@pytest.mark.parametrize("name", SPEC_NAMES)
def test_json_schema_matches_the_spec_component(name: str, mode: str) -> None:
    served = TypeAdapter(SPEC_SCHEMA_TYPES[name]).json_schema(mode=mode)  # type: ignore[arg-type]
    diffs = compare_schema(
        _spec_components()[name],
        served,
        spec_root=_spec(),
        served_root=served,
        where=name,
    )
    assert diffs == []


def test_models_are_named_like_the_spec_in_definitions() -> None:
    """A pydantic ``$defs`` set (what FastAPI turns into components) uses the spec's names."""
    inputs = [(name, "validation", TypeAdapter(kind)) for name, kind in SPEC_SCHEMA_TYPES.items()]
    mapping, definitions = TypeAdapter.json_schemas(inputs)  # type: ignore[arg-type]
    assert set(SPEC_NAMES) <= set(definitions["$defs"])
    for (name, _mode), schema in mapping.items():
        assert schema == {"$ref": f"#/$defs/{name}"}
    helpers = set(definitions["$defs"]) - set(SPEC_NAMES)
    assert helpers == {"ArtifactCostEntry", "ModelRatingSizeScore"}


# ------------------------------------------------------------------------------------------
# Serialized responses use exactly the spec's field names and validate against the spec
# ------------------------------------------------------------------------------------------


def _validate_against_spec(instance: Any, component: str) -> None:
    components = copy.deepcopy(_spec()["components"])
    # Spec slip: HealthMetricValue is `oneOf: [integer, number, ...]`, and every integer is also
    # a number, so under strict JSON Schema no integer metric could ever be valid. Read it as
    # the evident intent, `anyOf`.
    metric_value = components["schemas"]["HealthMetricValue"]
    metric_value["anyOf"] = metric_value.pop("oneOf")
    schema = {"$ref": f"#/components/schemas/{component}", "components": components}
    jsonschema.Draft202012Validator(schema).validate(instance)


def _keys_within_spec(value: Any, schema: dict[str, Any]) -> None:
    """Every key a model writes is a property the spec names (recursively through $refs)."""
    while "$ref" in schema:
        schema = _spec_components()[schema["$ref"].rsplit("/", 1)[-1]]
    if isinstance(value, dict) and "properties" in schema:
        assert set(value) <= set(schema["properties"]), (set(value), schema["properties"])
        for key, item in value.items():
            _keys_within_spec(item, schema["properties"][key])
    elif isinstance(value, list) and "items" in schema:
        for item in value:
            _keys_within_spec(item, schema["items"])


def _rating_payload() -> dict[str, Any]:
    payload: dict[str, Any] = {"name": "bert-base-uncased", "category": "MODEL"}
    for name in SCALAR_METRICS:
        payload[name] = 0.5
        payload[f"{name}_latency"] = 0.01
    payload["size_score"] = {
        "raspberry_pi": 0.1,
        "jetson_nano": 0.2,
        "desktop_pc": 0.9,
        "aws_server": 1.0,
    }
    payload["size_score_latency"] = 0.02
    return payload


NOW = datetime(2024, 7, 11, 14, 22, 5, tzinfo=UTC)

SAMPLES: list[tuple[str, BaseModel]] = [
    (
        "Artifact",
        Artifact(
            metadata=ArtifactMetadata(
                name="bert-base-uncased", id="9078563412", type=ArtifactType.MODEL
            ),
            data=ArtifactData(
                url="https://huggingface.co/google-bert/bert-base-uncased",
                download_url="https://ec2-10-121-34-12/download/bert-base-uncased",
            ),
        ),
    ),
    (
        "ArtifactAuditEntry",
        ArtifactAuditEntry.model_validate(
            {
                "user": {"name": "Lina Torres", "is_admin": True},
                "date": "2024-07-11T14:22:05Z",
                "artifact": {"name": "audience-classifier", "id": "3847247293", "type": "model"},
                "action": "CREATE",
            }
        ),
    ),
    (
        "ArtifactCost",
        ArtifactCost.model_validate(
            {
                "3847247294": {"standalone_cost": 412.5, "total_cost": 1255.0},
                "4628173590": {"total_cost": 280.0},
            }
        ),
    ),
    (
        "ArtifactLineageGraph",
        ArtifactLineageGraph.model_validate(
            {
                "nodes": [
                    {"artifact_id": "3847247294", "name": "audience-classifier", "source": "x"},
                    {"artifact_id": "9078563412", "name": "bert", "source": "config_json"},
                ],
                "edges": [
                    {
                        "from_node_artifact_id": "9078563412",
                        "to_node_artifact_id": "3847247294",
                        "relationship": "base_model",
                    }
                ],
            }
        ),
    ),
    ("ModelRating", ModelRating.model_validate(_rating_payload())),
    (
        "HealthComponentCollection",
        HealthComponentCollection(
            components=[
                HealthComponentDetail(
                    id="ingest-worker",
                    status=HealthStatus.OK,
                    observed_at=NOW,
                    metrics={"rpm": 12, "error_rate": 0.5, "mode": "fast", "warm": True},
                    logs=[HealthLogReference(label="Ingest", url="https://logs.example/ingest")],
                )
            ],
            generated_at=NOW,
            window_minutes=60,
        ),
    ),
    (
        "HealthSummaryResponse",
        HealthSummaryResponse(status=HealthStatus.DEGRADED, checked_at=NOW, window_minutes=5),
    ),
]


@pytest.mark.parametrize(("component", "model"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_serialized_responses_conform_to_the_spec(component: str, model: BaseModel) -> None:
    dumped = model.model_dump(mode="json")
    _validate_against_spec(dumped, component)
    _keys_within_spec(dumped, _spec_components()[component])
    assert None not in _all_values(dumped), "optional properties must be omitted, not null"


def _all_values(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [v for item in value.values() for v in [item, *_all_values(item)]]
    if isinstance(value, list):
        return [v for item in value for v in [item, *_all_values(item)]]
    return []


def test_artifact_serializes_with_the_exact_field_names() -> None:
    artifact = SAMPLES[0][1]
    assert artifact.model_dump(mode="json") == {
        "metadata": {"name": "bert-base-uncased", "id": "9078563412", "type": "model"},
        "data": {
            "url": "https://huggingface.co/google-bert/bert-base-uncased",
            "download_url": "https://ec2-10-121-34-12/download/bert-base-uncased",
        },
    }


def test_unset_optional_fields_are_left_out() -> None:
    data = ArtifactData(url="https://huggingface.co/openai/whisper-tiny")
    assert data.model_dump(mode="json") == {"url": "https://huggingface.co/openai/whisper-tiny"}
    assert data.model_dump_json() == '{"url":"https://huggingface.co/openai/whisper-tiny"}'
    cost = ArtifactCost.model_validate({"1": {"total_cost": 3}})
    assert cost.model_dump(mode="json") == {"1": {"total_cost": 3.0}}


def test_tracks_response_matches_the_inline_schema() -> None:
    body = TracksResponse(plannedTracks=["Performance track", "Access control track"])
    assert body.model_dump() == {"plannedTracks": ["Performance track", "Access control track"]}
    with pytest.raises(ValidationError):
        TracksResponse.model_validate({"plannedTracks": ["Made-up track"]})


# ------------------------------------------------------------------------------------------
# Validation behaviour
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://huggingface.co/google-bert/bert-base-uncased",
        "https://ec2-10-121-34-12/download/whisper-tiny",
        "http://127.0.0.1:8000/x?y=1#z",
        "s3://bucket/key",
        "  https://github.com/openai/whisper  ",
    ],
)
def test_uri_fields_accept_absolute_urls(url: str) -> None:
    assert ArtifactData(url=url).url == url.strip()


@pytest.mark.parametrize(
    "url",
    ["not a url", "", "   ", "huggingface.co/bert", "https://", "https://exa mple.com", "/a/b"],
)
def test_uri_fields_reject_anything_else_readably(url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ArtifactData.model_validate({"url": url})
    (error,) = caught.value.errors()
    assert error["loc"] == ("url",)
    assert "absolute URL" in error["msg"]


def test_not_a_url_message() -> None:
    with pytest.raises(ValidationError, match=r"github_url\s+Input should be an absolute URL"):
        SimpleLicenseCheckRequest.model_validate({"github_url": "x"})
    with pytest.raises(ValidationError) as caught:
        ArtifactData.model_validate({"url": "not a url"})
    (error,) = caught.value.errors(include_url=False)
    assert error == {
        "type": "absolute_url",
        "loc": ("url",),
        "msg": "Input should be an absolute URL such as 'https://host/path'",
        "input": "not a url",
    }


@pytest.mark.parametrize("good", ["3847247294", "abc-DEF-123", "-"])
def test_artifact_id_pattern_accepts(good: str) -> None:
    assert ArtifactMetadata(name="n", id=good, type=ArtifactType.CODE).id == good


@pytest.mark.parametrize("bad", ["", "a b", "a/b", "a_b", "ü"])
def test_artifact_id_pattern_rejects(bad: str) -> None:
    with pytest.raises(ValidationError, match="should match pattern"):
        ArtifactMetadata(name="n", id=bad, type=ArtifactType.CODE)


def test_artifact_type_is_the_spec_enum() -> None:
    assert [t.value for t in ArtifactType] == ["model", "dataset", "code"]
    assert ArtifactType("dataset") == "dataset"
    with pytest.raises(ValidationError):
        ArtifactMetadata.model_validate({"name": "n", "id": "1", "type": "package"})


def test_request_models_ignore_extra_keys() -> None:
    query = ArtifactQuery.model_validate({"name": "*", "types": ["model"], "page": 3})
    assert query.model_dump(mode="json") == {"name": "*", "types": ["model"]}
    request = AuthenticationRequest.model_validate(
        {
            "user": {"name": "ece30861defaultadminuser", "is_admin": True, "x": 1},
            "secret": {"password": "correcthorsebatterystaple123(!__+@**(A'\"`;DROP TABLE x;"},
            "extra": "ignored",
        }
    )
    assert request.user.is_admin is True
    assert "correcthorse" not in repr(request), "passwords stay out of repr/logs"


def test_artifact_data_download_url_is_read_only_in_the_schema() -> None:
    schema = ArtifactData.model_json_schema()
    assert schema["required"] == ["url"]
    assert schema["properties"]["download_url"]["readOnly"] is True
    assert schema["properties"]["url"]["format"] == "uri"


def test_lineage_node_requires_id_name_source_and_defaults_metadata() -> None:
    node = ArtifactLineageNode(artifact_id="1", name="bert", source="config_json")
    assert node.metadata == {}
    assert node.model_dump() == {
        "artifact_id": "1",
        "name": "bert",
        "source": "config_json",
        "metadata": {},
    }
    with pytest.raises(ValidationError) as caught:
        ArtifactLineageNode.model_validate({"artifact_id": "1"})
    assert {e["loc"][0] for e in caught.value.errors()} == {"name", "source"}
    assert "Deviation from the spec" in (ArtifactLineageNode.__doc__ or "")


def test_date_times_are_utc() -> None:
    naive = ArtifactAuditEntry.model_validate(
        {
            "user": {"name": "u", "is_admin": False},
            "date": datetime(2023, 3, 23, 23, 11, 15),  # naive on purpose
            "artifact": {"name": "a", "id": "1", "type": "model"},
            "action": "RATE",
        }
    )
    assert naive.date.tzinfo is UTC
    assert naive.model_dump(mode="json")["date"] == "2023-03-23T23:11:15Z"
    eastern = datetime(2023, 3, 23, 19, 11, 15, tzinfo=timezone(timedelta(hours=-4)))
    shifted = ArtifactAuditEntry.model_validate({**naive.model_dump(), "date": eastern})
    assert shifted.model_dump(mode="json")["date"] == "2023-03-23T23:11:15Z"


def test_health_metric_values_keep_their_json_types() -> None:
    metrics = TypeAdapter(HealthMetricMap).validate_python(
        {"count": 3, "ratio": 0.25, "state": "warm", "up": True}
    )
    assert metrics == {"count": 3, "ratio": 0.25, "state": "warm", "up": True}
    assert [type(v) for v in metrics.values()] == [int, float, str, bool]


def test_health_window_minimum_is_enforced() -> None:
    with pytest.raises(ValidationError):
        HealthSummaryResponse(status=HealthStatus.OK, checked_at=NOW, window_minutes=4)
    with pytest.raises(ValidationError):
        HealthComponentCollection(components=[], generated_at=NOW, window_minutes=1)


def test_model_rating_requires_every_metric() -> None:
    payload = _rating_payload()
    del payload["tree_score_latency"]
    with pytest.raises(ValidationError, match="tree_score_latency"):
        ModelRating.model_validate(payload)
