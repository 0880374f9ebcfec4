"""How ingest records a rating (IngestService.record_rating) against the fake repositories:
a gated Hugging Face model that fails the gate is rejected and its blobs removed, anything
else becomes visible with its verdict, an older rating never replaces a newer one, and a
rating of an artifact deleted meanwhile is dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import structlog

from registry_common.events import ArtifactRef, ArtifactScored, ModelRating, SizeScore
from registry_common.settings import RuntimeSettings
from registry_ingest.catalog import PENDING, READY, REJECTED
from registry_ingest.config import IngestSettings
from registry_ingest.service import IngestService
from registry_ingest.storage import artifact_prefix
from registry_ingest.tables import ArtifactRow
from services.ingest.tests.fakes import Fakes
from services.ingest.tests.test_use_cases import FailingDeletes, FakePopularity, ZipFetcher
from services.ingest.tests.test_use_cases import blobs as blobs  # the fixture
from services.ingest.tests.test_use_cases import fakes as fakes  # the fixture

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _service(fakes: Fakes, blobs: FailingDeletes, tmp_path: Path) -> IngestService:
    settings = IngestSettings(
        runtime=RuntimeSettings(data_dir=tmp_path / "data"), gate_enabled=True
    )
    return IngestService(
        settings,
        fakes.catalog,  # type: ignore[arg-type]
        blobs,
        fakes.unit_of_work,  # type: ignore[arg-type]
        ZipFetcher(),  # type: ignore[arg-type]
        structlog.get_logger(),
        FakePopularity(),  # type: ignore[arg-type]
    )


def _pending(artifact_id: str, kind: str, source_kind: str) -> ArtifactRow:
    return ArtifactRow(
        seq=int(artifact_id),
        id=artifact_id,
        name=f"n{artifact_id}",
        type=kind,
        status=PENDING,
        revision=1,
        source_url="https://huggingface.co/acme/bert",
        source_kind=source_kind,
        versions=[],
        details={},
        created_at=NOW,
        updated_at=NOW,
    )


def _rating(value: float) -> ModelRating:
    """A whole rating (the event's typed payload) with every metric at `value`."""
    metrics = {name: value for name in ModelRating.model_fields if name not in _NOT_METRICS}
    latencies = {name: 0.01 for name in ModelRating.model_fields if name.endswith("_latency")}
    sizes = {device: value for device in SizeScore.model_fields}
    return ModelRating.model_validate(
        {**metrics, **latencies, "name": "n", "category": "MODEL", "size_score": sizes}
    )


_NOT_METRICS = {"name", "category", "size_score"}


def _scored(row: ArtifactRow, **fields: object) -> ArtifactScored:
    ref = ArtifactRef(id=row.id, name=row.name, type=row.type)  # type: ignore[arg-type]
    return ArtifactScored(artifact=ref, source="scoring", **fields)  # type: ignore[arg-type]


async def test_a_gated_model_failing_the_gate_is_rejected_and_its_blobs_removed(
    fakes: Fakes, blobs: FailingDeletes, tmp_path: Path
) -> None:
    service = _service(fakes, blobs, tmp_path)
    row = _pending("11", "model", "huggingface_model")
    await fakes.catalog.insert(row)
    key = f"{artifact_prefix(row.id)}r1/full.zip"
    await blobs.put(key, b"PK")
    await service.record_rating(_scored(row, rating=_rating(0.1)))
    assert fakes.catalog.rows[row.id].status == REJECTED
    assert not await blobs.exists(key)


async def test_an_ungated_artifact_is_admitted_with_its_verdict(
    fakes: Fakes, blobs: FailingDeletes, tmp_path: Path
) -> None:
    service = _service(fakes, blobs, tmp_path)
    row = _pending("12", "dataset", "huggingface_dataset")
    await fakes.catalog.insert(row)
    await service.record_rating(_scored(row, error="scoring could not read the card"))
    assert fakes.catalog.rows[row.id].status == READY


async def test_an_older_rating_does_not_replace_a_newer_one(
    fakes: Fakes, blobs: FailingDeletes, tmp_path: Path
) -> None:
    service = _service(fakes, blobs, tmp_path)
    row = _pending("13", "model", "huggingface_model")
    newer = {"vetted": True, "rated_at": (NOW + timedelta(hours=1)).isoformat()}
    row.details = {"rating": newer}
    await fakes.catalog.insert(row)
    await service.record_rating(_scored(row, rating=_rating(0.1), occurred_at=NOW))
    assert fakes.catalog.rows[row.id].status == PENDING
    assert fakes.catalog.rows[row.id].details == {"rating": newer}


async def test_a_rating_of_a_deleted_artifact_is_dropped(
    fakes: Fakes, blobs: FailingDeletes, tmp_path: Path
) -> None:
    service = _service(fakes, blobs, tmp_path)
    gone = _pending("14", "model", "huggingface_model")
    await service.record_rating(_scored(gone, rating=_rating(1.0)))
    assert fakes.catalog.rows == {}
