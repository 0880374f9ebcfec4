"""Event models: frozen, versioned, round-trip through their wire form."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from registry_common.events import (
    EVENT_TYPES,
    ArtifactDownloaded,
    ArtifactMetadata,
    ArtifactRef,
    ArtifactScored,
    ArtifactUploaded,
    Event,
    RegistryReset,
    SchemaVersion,
    UnknownEventType,
    event_from_message,
    parse_version,
)

REF = ArtifactRef(id="a1", name="bert-base-uncased", type="model")


@pytest.mark.parametrize(
    "event",
    [
        ArtifactUploaded(
            source="ingest",
            artifact=REF,
            source_url="https://x",
            metadata=ArtifactMetadata(revision=2, tags=["nlp"]),
        ),
        ArtifactScored(source="scoring", artifact=REF, error="license: the Hub is down"),
        ArtifactDownloaded(source="gateway", artifact=REF, user="alice", part="weights"),
        RegistryReset(source="ingest", requested_by="admin"),
    ],
)
def test_wire_round_trip_is_lossless(event: Event) -> None:
    message = event.to_message()
    assert message["event_type"] == type(event).event_type
    assert event_from_message(message) == event


def test_events_are_frozen_and_carry_identity() -> None:
    event = RegistryReset(source="ingest")
    assert isinstance(event.event_id, uuid.UUID)
    assert event.version == SchemaVersion(1, 0)
    assert event.to_message()["version"] == 1  # x.0 is a bare integer on the wire
    assert event.occurred_at.tzinfo is not None
    with pytest.raises(ValidationError):
        event.source = "other"  # type: ignore[misc]


def test_every_event_type_is_registered_once() -> None:
    assert set(EVENT_TYPES) == {
        "ArtifactUploaded",
        "ArtifactUpdated",
        "ArtifactScored",
        "ArtifactDeleted",
        "ArtifactDownloaded",
        "RegistryReset",
    }


def test_unknown_type_and_malformed_payloads_are_rejected() -> None:
    with pytest.raises(UnknownEventType):
        event_from_message({"event_type": "Nope", "source": "x"})
    with pytest.raises(ValidationError):
        event_from_message({"event_type": "RegistryReset"})  # no source
    with pytest.raises(ValueError, match="version must be"):
        event_from_message({"event_type": "RegistryReset", "source": "x", "version": "one"})


def test_readers_ignore_unknown_fields_but_producers_may_not_send_them() -> None:
    read = event_from_message({"event_type": "RegistryReset", "source": "x", "surprise": 1})
    assert isinstance(read, RegistryReset)
    assert read.source == "x"
    assert read.requested_by is None
    assert read.model_extra == {"surprise": 1}  # kept only so a relay forwards it intact
    with pytest.raises(ValidationError, match="RegistryReset does not declare surprise"):
        RegistryReset(source="x", surprise=1)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="ArtifactMetadata does not declare nope"):
        ArtifactUploaded(source="ingest", artifact=REF, metadata={"nope": 1})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="ModelRating does not declare"):
        ArtifactScored(source="scoring", artifact=REF, rating={"net_score": 0.5, "extra": 1})  # type: ignore[arg-type]


def test_versions_parse_from_either_wire_form() -> None:
    assert parse_version(1) == SchemaVersion(1, 0)
    assert parse_version("1.4") == SchemaVersion(1, 4)
    assert str(parse_version("2")) == "2.0"
    for bad in ("1.x", 0, True, "", "1.2.3", None):
        with pytest.raises(ValueError, match="version must be"):
            parse_version(bad)
