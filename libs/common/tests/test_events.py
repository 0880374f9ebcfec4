"""Event models: frozen, versioned, round-trip through their wire form."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from registry_common.events import (
    EVENT_TYPES,
    ArtifactDownloaded,
    ArtifactRef,
    ArtifactScored,
    ArtifactUploaded,
    RegistryReset,
    UnknownEventType,
    event_from_message,
)

REF = ArtifactRef(id="a1", name="bert-base-uncased", type="model")


@pytest.mark.parametrize(
    "event",
    [
        ArtifactUploaded(source="ingest", artifact=REF, source_url="https://x", metadata={"k": 1}),
        ArtifactScored(source="scoring", artifact=REF, rating={"net_score": 0.5}),
        ArtifactDownloaded(source="gateway", artifact=REF, user="alice", part="weights"),
        RegistryReset(source="ingest", requested_by="admin"),
    ],
)
def test_wire_round_trip_is_lossless(event: object) -> None:
    assert hasattr(event, "to_message")
    message = event.to_message()  # type: ignore[attr-defined]
    assert message["event_type"] == type(event).event_type  # type: ignore[attr-defined]
    assert event_from_message(message) == event


def test_events_are_frozen_and_carry_identity() -> None:
    event = RegistryReset(source="ingest")
    assert isinstance(event.event_id, uuid.UUID)
    assert event.version == 1
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
    with pytest.raises(ValidationError):
        event_from_message({"event_type": "RegistryReset", "source": "x", "surprise": 1})
