"""Pydantic models mirroring ``components/schemas`` of the registry's OpenAPI contract.

Every schema of the contract (``docs/spec/openapi.yaml``) has a type of the same name here,
so FastAPI names the served components exactly like the spec:

* object schemas are ``BaseModel`` classes (``ArtifactCost`` is a ``RootModel`` because the
  spec describes it as a map);
* enumerations are ``StrEnum`` classes (``ArtifactType``, ``HealthStatus``);
* named scalar and map schemas (``ArtifactID``, ``ArtifactName``, ``AuthenticationToken``,
  ``EnumerateOffset``, ``HealthMetricValue``, ``HealthMetricMap``) are ``TypeAliasType``
  aliases: at run time the values are plain ``str``/``dict``, yet pydantic emits them as named
  definitions and therefore as ``$ref``\\s to components of the same name.

Helper models for schemas the spec writes inline (unavoidable extra components):
``ArtifactCostEntry`` (a value of ``ArtifactCost``), ``ModelRatingSizeScore`` (the
``size_score`` object of ``ModelRating``) and ``TracksResponse`` (the body of ``GET /tracks``).

Conventions:

* Optional properties are typed ``X | SkipJsonSchema[None]`` with ``exclude_if=None``: the JSON
  schema shows just ``X`` (the spec never allows ``null``) and an unset value is left out of the
  serialized response instead of being written as ``null``.
* Request models ignore unknown keys (pydantic's default ``extra="ignore"``).
* ``format: uri`` is validated leniently: any string that looks like an absolute URL
  (``scheme://host...``, no white space) is accepted; anything else fails with a readable message.
* ``date-time`` values are normalised to UTC (naive values are taken to be UTC already).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    NonNegativeInt,
    RootModel,
    StringConstraints,
)
from pydantic.json_schema import JsonSchemaValue, SkipJsonSchema
from pydantic_core import CoreSchema, PydanticCustomError
from typing_extensions import TypeAliasType

__all__ = [
    "SPEC_SCHEMA_TYPES",
    "Artifact",
    "ArtifactAuditEntry",
    "ArtifactCost",
    "ArtifactCostEntry",
    "ArtifactData",
    "ArtifactID",
    "ArtifactLineageEdge",
    "ArtifactLineageGraph",
    "ArtifactLineageNode",
    "ArtifactMetadata",
    "ArtifactName",
    "ArtifactQuery",
    "ArtifactRegEx",
    "ArtifactType",
    "AuditAction",
    "AuthenticationRequest",
    "AuthenticationToken",
    "EnumerateOffset",
    "HealthComponentBrief",
    "HealthComponentCollection",
    "HealthComponentDetail",
    "HealthIssue",
    "HealthLogReference",
    "HealthMetricMap",
    "HealthMetricValue",
    "HealthRequestSummary",
    "HealthStatus",
    "HealthSummaryResponse",
    "HealthTimelineEntry",
    "IssueSeverity",
    "ModelRating",
    "ModelRatingSizeScore",
    "SimpleLicenseCheckRequest",
    "Track",
    "TracksResponse",
    "User",
    "UserAuthenticationInfo",
]


# --------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------


def _is_none(value: object) -> bool:
    """``exclude_if`` predicate: leave unset optional properties out of serialized output."""
    return value is None


@dataclass(frozen=True)
class _JsonFormat:
    """Annotation that adds ``format`` to a type's JSON schema without touching validation."""

    format: str

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler.resolve_ref_schema(handler(core_schema))
        schema["format"] = self.format
        return schema


_URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*$")


def _absolute_url(value: str) -> str:
    """Accept any string that looks like an absolute URL (``scheme://host[...]``)."""
    candidate = value.strip()
    try:
        parts = urlsplit(candidate)
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        parts = None
    if (
        parts is None
        or not candidate
        or any(ch.isspace() for ch in candidate)
        or not _URI_SCHEME.match(parts.scheme)
        or not parts.netloc
    ):
        raise PydanticCustomError(
            "absolute_url", "Input should be an absolute URL such as 'https://host/path'"
        )
    return candidate


def _as_utc(value: datetime) -> datetime:
    """Normalise to UTC; a naive value is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


Uri = Annotated[str, AfterValidator(_absolute_url), _JsonFormat("uri")]
"""``type: string, format: uri`` validated leniently (absolute URL, no white space)."""

UtcDateTime = Annotated[datetime, AfterValidator(_as_utc)]
"""``type: string, format: date-time``; always carried and serialized in UTC."""

Double = Annotated[float, _JsonFormat("double")]
"""``type: number, format: double``."""


# --------------------------------------------------------------------------------------------
# Named scalar schemas
# --------------------------------------------------------------------------------------------


class ArtifactType(StrEnum):
    """Artifact category."""

    MODEL = "model"
    DATASET = "dataset"
    CODE = "code"


ArtifactID = TypeAliasType(
    "ArtifactID",
    Annotated[
        str,
        StringConstraints(pattern=r"^[a-zA-Z0-9\-]+$"),
        Field(
            description="Unique identifier for use with artifact endpoints.",
            examples=["48472749248"],
        ),
    ],
)

ArtifactName = TypeAliasType(
    "ArtifactName",
    Annotated[
        str,
        Field(
            description=(
                'Name of an artifact. Typical "keyboard" characters only; the name "*" is '
                "reserved (see `/artifacts`)."
            )
        ),
    ],
)

AuthenticationToken = TypeAliasType(
    "AuthenticationToken",
    Annotated[
        str,
        Field(description="Access token; any format (e.g. 'bearer <JWT>')."),
    ],
)

EnumerateOffset = TypeAliasType(
    "EnumerateOffset",
    Annotated[str, Field(description="Offset in pagination.", examples=["1"])],
)


class HealthStatus(StrEnum):
    """Aggregate health classification for monitored systems."""

    OK = "ok"
    DEGRADED = "degraded"
    CRITICAL = "critical"
    UNKNOWN = "unknown"


HealthMetricValue = TypeAliasType(
    "HealthMetricValue",
    Annotated[
        int | float | str | bool,
        Field(description="Flexible representation for metric values."),
    ],
)

HealthMetricMap = TypeAliasType(
    "HealthMetricMap",
    Annotated[
        dict[str, HealthMetricValue],
        Field(description="Arbitrary metric key/value pairs describing component performance."),
    ],
)

AuditAction = Literal["CREATE", "UPDATE", "DOWNLOAD", "RATE", "AUDIT"]
"""Values of ``ArtifactAuditEntry.action`` (inline enum in the spec)."""

IssueSeverity = Literal["info", "warning", "error"]
"""Values of ``HealthIssue.severity`` (inline enum in the spec)."""

Track = Literal[
    "Performance track",
    "Access control track",
    "High assurance track",
    "Other Security track",
]
"""Values of ``plannedTracks`` in ``GET /tracks`` (inline enum in the spec)."""


# --------------------------------------------------------------------------------------------
# Artifacts
# --------------------------------------------------------------------------------------------


class ArtifactData(BaseModel):
    """Source location for ingesting an artifact: a single downloadable url.

    ``download_url`` is readOnly: the server sets it in responses; a value sent by a client
    is accepted by validation but must be ignored.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "url": "https://huggingface.co/openai/whisper-tiny/tree/main",
                    "download_url": "https://ec2-10-121-34-12/download/whisper-tiny",
                }
            ]
        }
    )

    url: Uri = Field(description="Artifact source url used during ingest.")
    download_url: Uri | SkipJsonSchema[None] = Field(
        default=None,
        exclude_if=_is_none,
        description="Direct download link served by the registry. Present only in responses.",
        json_schema_extra={"readOnly": True},
    )
    # Our extensions (requests only): the grader sends {"name", "url"}; a version may be given
    # for sources without git tags.
    name: str | SkipJsonSchema[None] = Field(
        default=None,
        exclude_if=_is_none,
        description="Extension: the artifact's name, stored verbatim (default: from the url).",
        json_schema_extra={"writeOnly": True},
    )
    version: str | SkipJsonSchema[None] = Field(
        default=None,
        exclude_if=_is_none,
        description="Extension: the artifact's version (default: the source's newest git tag).",
        json_schema_extra={"writeOnly": True},
    )


class ArtifactMetadata(BaseModel):
    """Name (given at upload), id (unique, assigned by the registry) and type of an artifact."""

    name: ArtifactName
    id: ArtifactID
    type: ArtifactType


class Artifact(BaseModel):
    """Artifact envelope containing metadata and ingest details."""

    metadata: ArtifactMetadata
    data: ArtifactData


class ArtifactQuery(BaseModel):
    """One artifact query; the name "*" enumerates every artifact."""

    name: ArtifactName
    types: list[ArtifactType] | SkipJsonSchema[None] = Field(
        default=None,
        exclude_if=_is_none,
        description="Optional list of artifact types to filter results.",
    )
    version: str | SkipJsonSchema[None] = Field(
        default=None,
        exclude_if=_is_none,
        description=(
            "Extension: only versions matching 1.2.3, 1.2.3-2.1.0, ~1.2.0 or ^1.2.0 (npm semver)."
        ),
    )


class User(BaseModel):
    """A registry user."""

    name: str = Field(examples=["Alfalfa"])
    is_admin: bool = Field(description="Is this user an admin?")


class ArtifactAuditEntry(BaseModel):
    """One entry in an artifact's audit history."""

    user: User
    date: UtcDateTime = Field(
        description="Date of activity, ISO-8601 date-time in UTC.",
        examples=["2023-03-23T23:11:15Z"],
    )
    artifact: ArtifactMetadata
    action: AuditAction


class ArtifactCostEntry(BaseModel):
    """Cost (download size in MB) of one artifact in an ``ArtifactCost`` map.

    Helper for the inline value schema of ``ArtifactCost``.
    """

    standalone_cost: float | SkipJsonSchema[None] = Field(
        default=None,
        exclude_if=_is_none,
        description="Cost excluding dependencies. Required when `dependency = true`.",
    )
    total_cost: float = Field(
        description=(
            "Total cost: the standalone cost, or with `dependency = true` the sum over the "
            "artifact and all its dependencies."
        )
    )


class ArtifactCost(RootModel[dict[str, ArtifactCostEntry]]):
    """Total download size (MB) per artifact id, optionally including dependencies."""


class ArtifactRegEx(BaseModel):
    """Regular-expression search request."""

    regex: str = Field(
        description="A regular expression over artifact names and READMEs.",
        examples=[".*?(audience|bert).*"],
    )


class ArtifactLineageNode(BaseModel):
    """A single node in an artifact lineage graph.

    Deviation from the spec: the spec lists ``required: [node]`` but never defines a ``node``
    property (a slip). This model requires ``artifact_id``, ``name`` and ``source`` instead,
    and ``metadata`` is optional, defaulting to ``{}``.
    """

    artifact_id: ArtifactID = Field(
        description="Unique identifier for the node (artifact or external dependency)."
    )
    name: str = Field(
        description="Human-readable label for the node.", examples=["audience-classifier"]
    )
    source: str = Field(
        description="Provenance for how the node was discovered.", examples=["config_json"]
    )
    metadata: dict[str, Any] = Field(
        default_factory=dict,
        description="Optional metadata captured for lineage analysis.",
        examples=[
            {
                "repository_url": "https://huggingface.co/parvk11/audience_classifier_model",
                "sha": "23c9e8adf2",
            }
        ],
    )


class ArtifactLineageEdge(BaseModel):
    """Directed relationship between two lineage nodes."""

    from_node_artifact_id: ArtifactID = Field(
        description="Identifier of the upstream node.", examples=["57382910458"]
    )
    to_node_artifact_id: ArtifactID = Field(
        description="Identifier of the downstream node.", examples=["38472472949"]
    )
    relationship: str = Field(
        description="Qualitative description of the edge.", examples=["fine_tuning_dataset"]
    )


class ArtifactLineageGraph(BaseModel):
    """Complete lineage graph for an artifact."""

    nodes: list[ArtifactLineageNode] = Field(
        description="Nodes participating in the lineage graph."
    )
    edges: list[ArtifactLineageEdge] = Field(
        description="Directed edges describing lineage relationships."
    )


class SimpleLicenseCheckRequest(BaseModel):
    """Request payload for artifact license compatibility analysis."""

    github_url: Uri = Field(
        description="GitHub repository url to evaluate.",
        examples=["https://github.com/google-research/bert"],
    )


# --------------------------------------------------------------------------------------------
# Users and authentication
# --------------------------------------------------------------------------------------------


class UserAuthenticationInfo(BaseModel):
    """Authentication info for a user."""

    password: str = Field(repr=False, description='Password for a user (should be "strong").')


class AuthenticationRequest(BaseModel):
    """Credentials exchanged for an ``AuthenticationToken`` by ``PUT /authenticate``."""

    user: User
    secret: UserAuthenticationInfo


# --------------------------------------------------------------------------------------------
# Ratings
# --------------------------------------------------------------------------------------------


class ModelRatingSizeScore(BaseModel):
    """Size suitability scores for common deployment targets (``ModelRating.size_score``)."""

    raspberry_pi: Double = Field(description="Size score for Raspberry Pi class devices.")
    jetson_nano: Double = Field(description="Size score for Jetson Nano deployments.")
    desktop_pc: Double = Field(description="Size score for desktop deployments.")
    aws_server: Double = Field(description="Size score for cloud server deployments.")


class ModelRating(BaseModel):
    """Model rating summary generated by the evaluation service (latencies in seconds)."""

    name: str = Field(description="Human-friendly label for the evaluated model.")
    category: str = Field(description="Model category assigned during evaluation.")
    net_score: Double = Field(description="Overall score synthesizing all metrics.")
    net_score_latency: Double
    ramp_up_time: Double = Field(description="Ease-of-adoption rating for the model.")
    ramp_up_time_latency: Double
    bus_factor: Double = Field(description="Team redundancy score for the upstream project.")
    bus_factor_latency: Double
    performance_claims: Double = Field(
        description="Alignment between stated and observed performance."
    )
    performance_claims_latency: Double
    license: Double = Field(description="Licensing suitability score.")
    license_latency: Double
    dataset_and_code_score: Double = Field(
        description="Availability and quality of accompanying datasets and code."
    )
    dataset_and_code_score_latency: Double
    dataset_quality: Double = Field(description="Quality rating for associated datasets.")
    dataset_quality_latency: Double
    code_quality: Double = Field(description="Quality rating for provided code artifacts.")
    code_quality_latency: Double
    reproducibility: Double = Field(
        description="Likelihood that reported results can be reproduced."
    )
    reproducibility_latency: Double
    reviewedness: Double = Field(description="Measure of peer or community review coverage.")
    reviewedness_latency: Double
    tree_score: Double = Field(description="Supply-chain health score for model dependencies.")
    tree_score_latency: Double
    size_score: ModelRatingSizeScore = Field(
        description="Size suitability scores for common deployment targets."
    )
    size_score_latency: Double


# --------------------------------------------------------------------------------------------
# Health
# --------------------------------------------------------------------------------------------


class HealthRequestSummary(BaseModel):
    """Request activity observed within the health window."""

    window_start: UtcDateTime = Field(description="Beginning of the aggregation window (UTC).")
    window_end: UtcDateTime = Field(description="End of the aggregation window (UTC).")
    total_requests: NonNegativeInt | SkipJsonSchema[None] = Field(
        default=None,
        exclude_if=_is_none,
        description="Number of API requests served during the window.",
    )
    per_route: dict[str, NonNegativeInt] | SkipJsonSchema[None] = Field(
        default=None, exclude_if=_is_none, description="Request counts grouped by API route."
    )
    per_artifact_type: dict[str, NonNegativeInt] | SkipJsonSchema[None] = Field(
        default=None,
        exclude_if=_is_none,
        description="Request counts grouped by artifact type (model/dataset/code).",
    )
    unique_clients: NonNegativeInt | SkipJsonSchema[None] = Field(
        default=None,
        exclude_if=_is_none,
        description="Distinct API clients observed in the window.",
    )


class HealthLogReference(BaseModel):
    """Link or descriptor for logs relevant to a health component."""

    label: str = Field(description='Human readable log descriptor (e.g. "Ingest Worker 1").')
    url: Uri = Field(description="Direct link to download or tail the referenced log.")
    tail_available: bool | SkipJsonSchema[None] = Field(
        default=None,
        exclude_if=_is_none,
        description="Whether streaming tail access is supported.",
    )
    last_updated_at: UtcDateTime | SkipJsonSchema[None] = Field(
        default=None,
        exclude_if=_is_none,
        description="Timestamp of the latest log entry available (UTC).",
    )


class HealthComponentBrief(BaseModel):
    """Lightweight component-level status summary."""

    id: str = Field(description="Stable identifier for the component (e.g. ingest-worker).")
    display_name: str | SkipJsonSchema[None] = Field(
        default=None, exclude_if=_is_none, description="Human readable component name."
    )
    status: HealthStatus
    issue_count: NonNegativeInt | SkipJsonSchema[None] = Field(
        default=None,
        exclude_if=_is_none,
        description="Number of outstanding issues contributing to the status.",
    )
    last_event_at: UtcDateTime | SkipJsonSchema[None] = Field(
        default=None,
        exclude_if=_is_none,
        description="Last significant event timestamp for the component.",
    )


class HealthSummaryResponse(BaseModel):
    """High-level snapshot summarizing registry health and recent activity."""

    status: HealthStatus
    checked_at: UtcDateTime = Field(description="When the snapshot was generated (UTC).")
    window_minutes: int = Field(
        ge=5, description="Size of the trailing observation window in minutes."
    )
    uptime_seconds: NonNegativeInt | SkipJsonSchema[None] = Field(
        default=None, exclude_if=_is_none, description="Seconds the registry API has been running."
    )
    version: str | SkipJsonSchema[None] = Field(
        default=None, exclude_if=_is_none, description="Running service version or git SHA."
    )
    request_summary: HealthRequestSummary | SkipJsonSchema[None] = Field(
        default=None, exclude_if=_is_none
    )
    components: list[HealthComponentBrief] | SkipJsonSchema[None] = Field(
        default=None,
        exclude_if=_is_none,
        description="Rollup of component status ordered by severity.",
    )
    logs: list[HealthLogReference] | SkipJsonSchema[None] = Field(
        default=None,
        exclude_if=_is_none,
        description="Quick links or descriptors for recent log files.",
    )


class HealthTimelineEntry(BaseModel):
    """Time-series datapoint for a component metric."""

    bucket: UtcDateTime = Field(description="Start timestamp of the sampled bucket (UTC).")
    value: float = Field(description="Observed value for the bucket (e.g. requests per minute).")
    unit: str | SkipJsonSchema[None] = Field(
        default=None, exclude_if=_is_none, description="Unit associated with the metric value."
    )


class HealthIssue(BaseModel):
    """Outstanding issue or alert impacting a component."""

    code: str = Field(description="Machine readable issue identifier.")
    severity: IssueSeverity = Field(description="Issue severity.")
    summary: str = Field(description="Short description of the issue.")
    details: str | SkipJsonSchema[None] = Field(
        default=None,
        exclude_if=_is_none,
        description="Extended diagnostic detail and suggested remediation.",
    )


class HealthComponentDetail(BaseModel):
    """Detailed status, metrics, and log references for a component."""

    id: str = Field(description="Stable identifier for the component.")
    display_name: str | SkipJsonSchema[None] = Field(
        default=None, exclude_if=_is_none, description="Human readable component name."
    )
    status: HealthStatus
    observed_at: UtcDateTime = Field(
        description="When data for this component was last collected (UTC)."
    )
    description: str | SkipJsonSchema[None] = Field(
        default=None,
        exclude_if=_is_none,
        description="Overview of the component's responsibility.",
    )
    metrics: HealthMetricMap | SkipJsonSchema[None] = Field(default=None, exclude_if=_is_none)
    issues: list[HealthIssue] | SkipJsonSchema[None] = Field(default=None, exclude_if=_is_none)
    timeline: list[HealthTimelineEntry] | SkipJsonSchema[None] = Field(
        default=None, exclude_if=_is_none
    )
    logs: list[HealthLogReference] | SkipJsonSchema[None] = Field(default=None, exclude_if=_is_none)


class HealthComponentCollection(BaseModel):
    """Detailed health diagnostics broken down per component."""

    components: list[HealthComponentDetail]
    generated_at: UtcDateTime = Field(
        description="Timestamp when the component report was created (UTC)."
    )
    window_minutes: Annotated[int, Field(ge=5)] | SkipJsonSchema[None] = Field(
        default=None,
        exclude_if=_is_none,
        description="Observation window applied to the component metrics.",
    )


# --------------------------------------------------------------------------------------------
# Inline response bodies
# --------------------------------------------------------------------------------------------


class TracksResponse(BaseModel):
    """Body of ``GET /tracks`` (inline schema in the spec)."""

    plannedTracks: list[Track] = Field(  # camelCase: the spec's property name
        default_factory=list, description="List of tracks the student plans to implement."
    )


SPEC_SCHEMA_TYPES: dict[str, Any] = {
    "Artifact": Artifact,
    "ArtifactData": ArtifactData,
    "ArtifactType": ArtifactType,
    "ArtifactID": ArtifactID,
    "ArtifactName": ArtifactName,
    "ArtifactMetadata": ArtifactMetadata,
    "ArtifactQuery": ArtifactQuery,
    "ArtifactAuditEntry": ArtifactAuditEntry,
    "ArtifactCost": ArtifactCost,
    "ArtifactRegEx": ArtifactRegEx,
    "ArtifactLineageNode": ArtifactLineageNode,
    "ArtifactLineageEdge": ArtifactLineageEdge,
    "ArtifactLineageGraph": ArtifactLineageGraph,
    "SimpleLicenseCheckRequest": SimpleLicenseCheckRequest,
    "User": User,
    "UserAuthenticationInfo": UserAuthenticationInfo,
    "ModelRating": ModelRating,
    "AuthenticationToken": AuthenticationToken,
    "AuthenticationRequest": AuthenticationRequest,
    "EnumerateOffset": EnumerateOffset,
    "HealthStatus": HealthStatus,
    "HealthSummaryResponse": HealthSummaryResponse,
    "HealthRequestSummary": HealthRequestSummary,
    "HealthComponentBrief": HealthComponentBrief,
    "HealthComponentCollection": HealthComponentCollection,
    "HealthComponentDetail": HealthComponentDetail,
    "HealthMetricMap": HealthMetricMap,
    "HealthMetricValue": HealthMetricValue,
    "HealthTimelineEntry": HealthTimelineEntry,
    "HealthIssue": HealthIssue,
    "HealthLogReference": HealthLogReference,
}
"""Spec component name -> the type modelling it (usable with ``pydantic.TypeAdapter``)."""
