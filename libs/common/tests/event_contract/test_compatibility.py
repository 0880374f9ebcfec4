"""Contract: old consumers read new producers' messages, new consumers read old messages.

`messages/*.v1.json` are messages exactly as the release before typed payloads put them on
the wire (built with the frozen `v1_models`); `*-newer.json` come from a hypothetical newer
producer (schema 1.1: fields added at every level); `*-breaking.json` from a 2.0 producer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from libs.common.tests.event_contract import v1_models
from registry_common import events
from registry_common.bus.dispatch import Dispatcher, Outcome, decode, encode
from registry_common.events import (
    ArtifactDeleted,
    ArtifactDownloaded,
    ArtifactMetadata,
    ArtifactRef,
    ArtifactScored,
    ArtifactUpdated,
    ArtifactUploaded,
    Event,
    ModelRating,
    RegistryReset,
    SchemaVersion,
    UnsupportedEventVersion,
    event_from_message,
)

MESSAGES = Path(__file__).parent / "messages"


def load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((MESSAGES / f"{name}.json").read_text())
    return loaded


V1_FIXTURES = sorted(p.stem for p in MESSAGES.glob("*.v1.json"))
NEWER_FIXTURES = sorted(p.stem for p in MESSAGES.glob("*-newer.json"))


def test_there_is_a_fixture_of_every_event_type() -> None:
    assert {load(name)["event_type"] for name in V1_FIXTURES} == {
        "ArtifactUploaded",
        "ArtifactUpdated",
        "ArtifactScored",
        "ArtifactDeleted",
        "ArtifactDownloaded",
        "RegistryReset",
    }


# ------------------------------------------------------------ new consumer, old messages


@pytest.mark.parametrize("name", V1_FIXTURES)
def test_new_consumer_reads_every_old_message_losslessly(name: str) -> None:
    message = load(name)
    event = event_from_message(message)
    assert event.version == SchemaVersion(1, 0)
    # Nothing the old producer sent is lost or reinterpreted on the way back out.
    read_back = {
        "event_type": event.event_type,
        **event.model_dump(mode="json", exclude_unset=True),
    }
    assert read_back == message


def test_old_messages_arrive_typed() -> None:
    uploaded = event_from_message(load("ArtifactUploaded.huggingface.v1"))
    assert isinstance(uploaded, ArtifactUploaded)
    assert uploaded.metadata.repo_id == "google-bert/bert-base-uncased"
    assert uploaded.metadata.revision == 1
    assert uploaded.metadata.bundle_prefix == "artifacts/3f6c2a0e9b1d4c7a/r1/"
    assert uploaded.metadata.licenses == ["apache-2.0"]

    updated = event_from_message(load("ArtifactUpdated.github.v1"))
    assert isinstance(updated, ArtifactUpdated)
    assert updated.metadata.github is not None
    assert updated.metadata.github.full_name == "google-research/bert"
    assert updated.metadata.files == {"_truncated": 912345}

    scored = event_from_message(load("ArtifactScored.rated.v1"))
    assert isinstance(scored, ArtifactScored)
    assert scored.rating is not None
    assert scored.rating.net_score == pytest.approx(0.7421)
    assert scored.rating.size_score.aws_server == 1.0
    assert list(scored.rating.as_mapping())[:4] == [
        "name",
        "category",
        "net_score",
        "net_score_latency",
    ]

    failed = event_from_message(load("ArtifactScored.failed.v1"))
    assert isinstance(failed, ArtifactScored)
    assert failed.rating is None
    assert failed.error is not None
    assert "rate limited" in failed.error


# ------------------------------------------------------------ old consumer, new messages


def _current_producer_messages() -> list[Event]:
    """One message of every type as the current producers build them (strictly)."""
    ref = ArtifactRef(id="a1", name="bert-base-uncased", type="model")
    uploaded = event_from_message(load("ArtifactUploaded.huggingface.v1"))
    scored = event_from_message(load("ArtifactScored.rated.v1"))
    assert isinstance(uploaded, ArtifactUploaded)
    assert isinstance(scored, ArtifactScored)
    metadata = ArtifactMetadata.model_validate(uploaded.metadata.as_mapping())
    rating = ModelRating.model_validate(scored.rating.as_mapping() if scored.rating else {})
    return [
        ArtifactUploaded(source="ingest", artifact=ref, uploader="alice", metadata=metadata),
        ArtifactUpdated(source="ingest", artifact=ref, uploader="bob", metadata=metadata),
        ArtifactScored(source="scoring", artifact=ref, rating=rating),
        ArtifactScored(source="scoring", artifact=ref, error="license: the Hub is down"),
        ArtifactDeleted(source="ingest", artifact=ref),
        ArtifactDownloaded(source="ingest", artifact=ref, user="alice", part="weights"),
        RegistryReset(source="ingest", requested_by="admin"),
    ]


@pytest.mark.parametrize("event", _current_producer_messages(), ids=lambda e: e.event_type)
def test_release_before_typed_payloads_reads_current_producers(event: Event) -> None:
    """The rolling deploy of this change: consumers still on the old release (extra="forbid",
    untyped metadata and rating) accept every message the upgraded producers send."""
    message = json.loads(encode(event))
    old = v1_models.event_from_message(message)
    assert old.event_id == event.event_id
    assert old.version == 1
    assert old.to_message() == message


@pytest.mark.parametrize("name", NEWER_FIXTURES)
def test_this_release_reads_a_newer_minor_version_tolerantly(name: str) -> None:
    """The next rolling deploy: this release is then the old consumer, and a 1.1 producer
    added fields at every level. They are read, nothing the consumer knows changes, and a
    relay forwards the message intact."""
    message = load(name)
    event = event_from_message(message)
    assert event.version == SchemaVersion(1, 1)
    baseline = event_from_message(load(name.replace(".v1_1-newer", ".v1")))
    known = set(type(event).model_fields) - {"event_id", "version"}
    for field in known:
        if field in ("metadata", "rating", "artifact"):
            continue
        assert getattr(event, field) == getattr(baseline, field), field
    # What the consumer's logic sees of the payloads is what a 1.0 message says.
    if isinstance(event, ArtifactUploaded) and isinstance(baseline, ArtifactUploaded):
        assert event.artifact.id == baseline.artifact.id
        assert event.metadata.repo_id == baseline.metadata.repo_id
        assert event.metadata.github is not None
        assert event.metadata.github.stars == 38981
    if isinstance(event, ArtifactScored) and isinstance(baseline, ArtifactScored):
        assert event.rating is not None
        assert baseline.rating is not None
        assert event.rating.net_score == baseline.rating.net_score
        assert event.rating.size_score.desktop_pc == baseline.rating.size_score.desktop_pc
    # Forwarded (outbox relay, redrive) without losing what this code does not know (the
    # typed payloads add the fields they declare, as null/empty, where the message had none).
    assert_preserves(json.loads(encode(decode(json.dumps(message)))), message)


def assert_preserves(forwarded: Any, original: Any, at: str = "message") -> None:
    if isinstance(original, dict):
        assert isinstance(forwarded, dict), at
        for key, value in original.items():
            assert key in forwarded, f"{at}.{key} was dropped"
            assert_preserves(forwarded[key], value, f"{at}.{key}")
    else:
        assert forwarded == original, at


async def test_dispatcher_handles_newer_minor_and_dead_letters_newer_major() -> None:
    handled: list[Event] = []

    async def handler(event: Event) -> None:
        handled.append(event)

    dispatcher = Dispatcher("lineage")
    dispatcher.add_handler(ArtifactUploaded, handler)
    dispatcher.add_handler(ArtifactDeleted, handler)

    minor = await dispatcher.dispatch(json.dumps(load("ArtifactUploaded.huggingface.v1_1-newer")))
    assert minor.outcome is Outcome.HANDLED
    assert isinstance(handled[0], ArtifactUploaded)

    major = await dispatcher.dispatch(json.dumps(load("ArtifactDeleted.v2_0-breaking")))
    assert major.outcome is Outcome.POISON  # dead-lettered at once: retrying cannot help
    assert major.error is not None
    assert "ArtifactDeleted version 2.0 is newer than this consumer reads (1.x)" in major.error
    assert "redrive" in major.error
    assert len(handled) == 1


def test_newer_major_is_refused_with_a_clear_reason_but_forwarded_by_a_relay() -> None:
    message = load("ArtifactDeleted.v2_0-breaking")
    with pytest.raises(UnsupportedEventVersion, match=r"version 2\.0 is newer"):
        event_from_message(message)
    # The relay does not interpret what it forwards; a 2.0 message whose fields this code
    # cannot read still fails validation rather than going out mangled.
    with pytest.raises(ValueError, match="artifact"):
        event_from_message(message, check_version=False)


def test_an_older_major_than_the_consumer_reads_is_refused_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message = {**load("RegistryReset.v1"), "version": "1.0"}
    assert event_from_message(message).version == SchemaVersion(1, 0)

    class RegistryResetV2(RegistryReset):
        schema_version = SchemaVersion(2, 0)

    monkeypatch.setitem(events.EVENT_TYPES, "RegistryReset", RegistryResetV2)
    with pytest.raises(UnsupportedEventVersion, match="older than this consumer reads"):
        event_from_message(message)
    assert RegistryResetV2(source="ingest").to_message()["version"] == 2
