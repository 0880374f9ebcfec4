"""FROZEN: the event models as released before typed payloads (schema 1.0, extra="forbid").

Do not edit. This is what a consumer still running that release validates against during a
rolling deploy; test_compatibility feeds it the current producers' messages.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

ArtifactType = Literal["model", "dataset", "code"]


def _now() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    """Common envelope. Subclasses set `event_type` and `version` as literals."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    version: int = 1
    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    occurred_at: datetime = Field(default_factory=_now)
    source: str
    trace_context: dict[str, str] = Field(
        default_factory=dict, description="W3C traceparent/tracestate of the publishing span."
    )

    def to_message(self) -> dict[str, Any]:
        """The wire form: the payload plus its type, so one queue can carry several types."""
        return {"event_type": self.event_type, **self.model_dump(mode="json")}


class ArtifactRef(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    type: ArtifactType


class ArtifactUploaded(Event):
    """A new artifact's bundle and metadata are stored (status `pending`)."""

    event_type: ClassVar[str] = "ArtifactUploaded"
    artifact: ArtifactRef
    source_url: str | None = None
    uploader: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class ArtifactUpdated(Event):
    """An artifact's content was replaced by a new source."""

    event_type: ClassVar[str] = "ArtifactUpdated"
    artifact: ArtifactRef
    source_url: str | None = None
    uploader: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class ArtifactScored(Event):
    """A rating was computed (or failed, with `error` saying why)."""

    event_type: ClassVar[str] = "ArtifactScored"
    artifact: ArtifactRef
    rating: dict[str, Any] | None = None
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


class UnknownEventType(ValueError):
    pass


def event_from_message(message: dict[str, Any]) -> Event:
    """Validate a wire message into its event model (raises on anything malformed)."""
    payload = dict(message)
    event_type = payload.pop("event_type", None)
    cls = EVENT_TYPES.get(str(event_type))
    if cls is None:
        raise UnknownEventType(f"unknown event type {event_type!r}")
    return cls.model_validate(payload)
