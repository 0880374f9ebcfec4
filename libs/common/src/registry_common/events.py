"""The event catalogue: past-tense, frozen, versioned facts that services publish.

Every event carries `event_id` (consumers de-duplicate by it), `occurred_at`, `source`
(the publishing service), its schema `version` and the W3C trace context, so one request
stays one trace across services. See docs/events.md.

Tolerant readers, strict writers. Each payload model is read with `event_from_message`
(the bus, the outbox relay, the dead-letter tools): unknown fields are ignored by the
consumer's logic (kept in `model_extra`, so a relay or redrive forwards a newer producer's
message intact) and a newer *minor* version is read as far as this code knows it. A newer
*major* version is refused with `UnsupportedEventVersion` (the bus dead-letters it with that
reason: retrying cannot help until the consumer is upgraded). Producers build events with
the constructor, which rejects any field the model does not declare, so a typo or an
undeclared addition fails in the producer's tests instead of on the wire.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Final, Literal, NamedTuple

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    model_validator,
)

ArtifactType = Literal["model", "dataset", "code"]

#: Validation context under which payloads are read from the wire (tolerant).
READING: Final = "registry.events.reading"


def _now() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------------------- versions


class SchemaVersion(NamedTuple):
    """`major.minor` of an event type's schema. Minor: fields added (old readers ignore
    them). Major: a field removed, renamed or its meaning changed (old readers refuse it)."""

    major: int
    minor: int = 0

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


_VERSION = re.compile(r"^(\d{1,6})(?:\.(\d{1,6}))?$")


def parse_version(value: Any) -> SchemaVersion:
    """The wire's `version`: an integer N (N.0, the form every 1.0 producer sends) or
    "N.M"; raises ValueError on anything else."""
    if isinstance(value, SchemaVersion):
        return value
    if isinstance(value, bool):
        raise ValueError(f"version must be an integer or 'major.minor', not {value!r}")
    if isinstance(value, int) and value >= 1:
        return SchemaVersion(value, 0)
    if isinstance(value, tuple | list) and len(value) == 2:
        return parse_version(f"{value[0]}.{value[1]}")
    if isinstance(value, str):
        match = _VERSION.match(value.strip())
        if match and int(match.group(1)) >= 1:
            return SchemaVersion(int(match.group(1)), int(match.group(2) or 0))
    raise ValueError(f"version must be an integer or 'major.minor', not {value!r}")


def _dump_version(version: SchemaVersion) -> int | str:
    # x.0 goes out as the bare integer: byte for byte what consumers built before minor
    # versions existed expect (their `version` is an int and they forbid unknown fields).
    return version.major if version.minor == 0 else str(version)


Version = Annotated[
    SchemaVersion,
    BeforeValidator(parse_version),
    PlainSerializer(_dump_version, return_type=int | str),
]


class UnknownEventType(ValueError):
    pass


class UnsupportedEventVersion(ValueError):
    """A message of a newer major schema version than this consumer reads."""


# ---------------------------------------------------------------------------- payloads


def _reading(info: ValidationInfo) -> bool:
    return isinstance(info.context, dict) and bool(info.context.get(READING))


class Payload(BaseModel):
    """Base of every event and payload model: tolerant when read, strict when produced."""

    # "allow", not "ignore": a tolerant read keeps what it does not know in `model_extra`,
    # so the outbox relay or a redrive re-publishes a newer producer's message unchanged.
    # Consumers never look at model_extra; for them unknown fields do not exist.
    model_config = ConfigDict(frozen=True, extra="allow")

    @model_validator(mode="before")
    @classmethod
    def _declared_fields_only_when_producing(cls, data: Any, info: ValidationInfo) -> Any:
        if _reading(info) or not isinstance(data, dict):
            return data
        known = set(cls.model_fields)
        unknown = sorted(str(key) for key in data if key not in known)
        if unknown:
            raise ValueError(
                f"{cls.__name__} does not declare {', '.join(unknown)}: add the field to the "
                "model in registry_common.events (and bump the minor version) before sending it"
            )
        return data


class ArtifactRef(Payload):
    id: str
    name: str
    type: ArtifactType


class GitHubFacts(Payload):
    """What ingest read from `GET /repos/{owner}/{repo}` for code fetched from GitHub."""

    full_name: str | None = None
    html_url: str | None = None
    stars: int | None = None
    forks: int | None = None
    open_issues: int | None = None
    watchers: int | None = None
    default_branch: str | None = None
    ref: str | None = None
    license_spdx: str | None = None
    pushed_at: str | None = None
    created_at: str | None = None
    archived: bool | None = None
    fork: bool | None = None
    size_kb: int | None = None
    topics: list[str] = Field(default_factory=list)
    subdir: str | None = Field(default=None, description="The tree path the URL named.")


#: Free-form data parsed from a card or config file (as its author wrote it); a value too
#: large for an event is replaced by ``{"_truncated": <bytes>}``.
Truncatable = dict[str, Any]


class ArtifactMetadata(Payload):
    """What ingest learnt about an artifact's source, for scoring and lineage.

    Every field is optional: which ones are known depends on the source kind (Hugging Face,
    GitHub, Kaggle, a plain URL, an upload). Values copied from a model card's front matter
    are typed `Any`: they are whatever the card's author wrote.
    """

    # The stored revision (ingest's own facts).
    revision: int | None = None
    bundle_prefix: str | None = Field(default=None, description="Blob prefix of the bundle.")
    source_kind: str | None = None
    version: str | None = Field(default=None, description="The artifact's version label.")
    versions: list[str] = Field(default_factory=list)
    content_bytes: int | None = None
    card_data: Truncatable | None = None
    card_error: str | None = None
    config: Truncatable | None = None
    config_error: str | None = None
    files: list[dict[str, Any]] | Truncatable = Field(
        default_factory=list, description="The bundle manifest's entries, or a truncation note."
    )
    # Facts every source kind carries (None / [] when unknown).
    repo_id: str | None = None
    license: str | None = None
    licenses: list[str] = Field(default_factory=list)
    license_name: Any = None
    author: str | None = None
    description: str | None = None
    downloads: int | None = None
    likes: int | None = None
    last_modified: str | None = None
    pipeline_tag: Any = None
    library_name: Any = None
    tags: list[str] = Field(default_factory=list)
    base_models: list[str] = Field(default_factory=list)
    base_model_relation: Any = None
    datasets: list[str] = Field(default_factory=list)
    linked_code: list[str] = Field(default_factory=list)
    linked_datasets: list[str] = Field(default_factory=list)
    gated: bool | str | None = None
    private: bool | None = None
    hub_used_storage: int | None = None
    parameters: int | None = None
    fetched_bytes: int = 0
    declared_bytes: int = 0
    needs_credentials: bool | None = None
    # GitHub sources.
    github: GitHubFacts | None = None
    # Kaggle sources.
    kaggle_kind: str | None = None
    # Plain URLs.
    url: str | None = None
    final_url: str | None = None
    http_status: int | None = None
    content_type: str | None = None
    fetch_error: str | None = None
    zip_error: str | None = None
    archive_sha256: str | None = None
    # Uploaded zips.
    upload_sha256: str | None = None
    upload_filename: str | None = None
    upload_top_folder: str | None = None

    def as_mapping(self) -> dict[str, Any]:
        """The fields the producer set, as JSON data (for code that reads facts by name)."""
        return self.model_dump(mode="json", exclude_unset=True)


class SizeScore(Payload):
    """One score in [0, 1] per device class (registry_common.rating.SIZE_DEVICES)."""

    raspberry_pi: float
    jetson_nano: float
    desktop_pc: float
    aws_server: float


class ModelRating(Payload):
    """The spec's `ModelRating`: each metric in [0, 1] (reviewedness -1: no repository)
    followed by the seconds it took (registry_common.rating.FIELDS is the order)."""

    name: str
    category: str
    net_score: float
    net_score_latency: float
    ramp_up_time: float
    ramp_up_time_latency: float
    bus_factor: float
    bus_factor_latency: float
    performance_claims: float
    performance_claims_latency: float
    license: float
    license_latency: float
    dataset_and_code_score: float
    dataset_and_code_score_latency: float
    dataset_quality: float
    dataset_quality_latency: float
    code_quality: float
    code_quality_latency: float
    reproducibility: float
    reproducibility_latency: float
    reviewedness: float
    reviewedness_latency: float
    tree_score: float
    tree_score_latency: float
    size_score: SizeScore
    size_score_latency: float

    def as_mapping(self) -> dict[str, Any]:
        """The rating as JSON data, in the spec's field order."""
        return self.model_dump(mode="json")


# ---------------------------------------------------------------------------- events


class Event(Payload):
    """Common envelope. Subclasses set `event_type` and `schema`, their current version."""

    event_type: ClassVar[str]
    schema_version: ClassVar[SchemaVersion] = SchemaVersion(1, 0)

    version: Version = Field(
        default=SchemaVersion(1, 0),
        description="Schema version of this message (the producer's `schema_version`).",
    )
    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    occurred_at: datetime = Field(default_factory=_now)
    source: str
    trace_context: dict[str, str] = Field(
        default_factory=dict, description="W3C traceparent/tracestate of the publishing span."
    )

    @model_validator(mode="before")
    @classmethod
    def _producer_version(cls, data: Any, info: ValidationInfo) -> Any:
        # A producer stamps its class's current version; a reader keeps the one received.
        if not _reading(info) and isinstance(data, dict) and "version" not in data:
            return {**data, "version": cls.schema_version}
        return data

    def to_message(self) -> dict[str, Any]:
        """The wire form: the payload plus its type, so one queue can carry several types."""
        return {"event_type": self.event_type, **self.model_dump(mode="json")}


class ArtifactUploaded(Event):
    """A new artifact's bundle and metadata are stored (status `pending`)."""

    event_type: ClassVar[str] = "ArtifactUploaded"
    artifact: ArtifactRef
    source_url: str | None = None
    uploader: str | None = None
    metadata: ArtifactMetadata = Field(default_factory=ArtifactMetadata)


class ArtifactUpdated(Event):
    """An artifact's content was replaced by a new source."""

    event_type: ClassVar[str] = "ArtifactUpdated"
    artifact: ArtifactRef
    source_url: str | None = None
    uploader: str | None = None
    metadata: ArtifactMetadata = Field(default_factory=ArtifactMetadata)


class ArtifactScored(Event):
    """A rating was computed (or failed, with `error` saying why)."""

    event_type: ClassVar[str] = "ArtifactScored"
    artifact: ArtifactRef
    rating: ModelRating | None = None
    error: str | None = None


class ArtifactDeleted(Event):
    event_type: ClassVar[str] = "ArtifactDeleted"
    artifact: ArtifactRef


class ArtifactDownloaded(Event):
    """A bundle or part of one was served (audit trail, popularity, confusion audit)."""

    event_type: ClassVar[str] = "ArtifactDownloaded"
    artifact: ArtifactRef
    user: str | None = None
    part: str = "full"
    bytes_served: int | None = None
    client: str | None = None


class RegistryReset(Event):
    """The registry went back to its default state; every service clears its own data."""

    event_type: ClassVar[str] = "RegistryReset"
    requested_by: str | None = None


EVENT_TYPES: dict[str, type[Event]] = {
    cls.event_type: cls
    for cls in (
        ArtifactUploaded,
        ArtifactUpdated,
        ArtifactScored,
        ArtifactDeleted,
        ArtifactDownloaded,
        RegistryReset,
    )
}


def event_from_message(message: dict[str, Any], *, check_version: bool = True) -> Event:
    """Read a wire message into its event model, tolerantly (unknown fields ignored).

    Raises `UnknownEventType`, `UnsupportedEventVersion` (a newer major version than this
    code reads) or pydantic's `ValidationError` (a declared field missing or ill-typed), all
    ValueErrors. ``check_version=False`` is for code that only forwards the message (the
    outbox relay): it need not understand a newer major version to pass it on.
    """
    payload = dict(message)
    event_type = payload.pop("event_type", None)
    cls = EVENT_TYPES.get(str(event_type))
    if cls is None:
        raise UnknownEventType(f"unknown event type {event_type!r}")
    if "version" in payload:
        received = parse_version(payload["version"])
        if check_version and received.major != cls.schema_version.major:
            newer = received.major > cls.schema_version.major
            raise UnsupportedEventVersion(
                f"{cls.event_type} version {received} is "
                f"{'newer' if newer else 'older'} than this consumer reads "
                f"({cls.schema_version.major}.x): "
                + (
                    "deploy the consumer that reads it, then redrive the dead letters"
                    if newer
                    else "it predates a breaking change and has no upgrade path"
                )
            )
    return cls.model_validate(payload, context={READING: True})
