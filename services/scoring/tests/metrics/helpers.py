"""Facts through the real chain: SourceFetcher against the fakes -> bundle -> event metadata."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from registry_common.events import ArtifactRef, ArtifactUploaded
from registry_ingest.bundles import build_bundle
from registry_ingest.scanning.bundle import ScanLimits, scan_files
from registry_ingest.service import _content_columns, _event_metadata
from registry_ingest.sources.fetcher import SourceFetcher
from registry_ingest.sources.urls import parse_source_url
from registry_scoring.metrics import MetricResult, ModelFacts

_ids = itertools.count(1)


async def fetch_facts(
    fetcher: SourceFetcher,
    url: str,
    workdir: Path,
    *,
    name: str | None = None,
    artifact_type: str = "model",
) -> ModelFacts:
    """Register-like path: fetch the source, build its bundle, build the event the ingest
    service would publish, and turn it into `ModelFacts` with the stored README."""
    ref = parse_source_url(url, artifact_type)
    artifact_id = f"test{next(_ids)}"
    folder = workdir / artifact_id
    fetched = await fetcher.fetch(ref, folder)
    bundle = await build_bundle(fetched, folder)
    scan = scan_files(list(fetched.files), ScanLimits(max_file_bytes=1 << 20, budget_seconds=30))
    columns = _content_columns(fetched, bundle, scan, None, datetime.now(UTC))
    row = SimpleNamespace(
        id=artifact_id,
        revision=1,
        source_kind=columns["source_kind"],
        version=columns["version"],
        versions=columns["versions"],
        content_bytes=columns["content_bytes"],
        details=columns["details"],
    )
    event = ArtifactUploaded(
        source="ingest",
        artifact=ArtifactRef(
            id=artifact_id,
            name=name or (ref.repo_id or url).split("/")[-1],
            type=artifact_type,  # type: ignore[arg-type]
        ),
        source_url=url,
        metadata=_event_metadata(row, fetched),  # type: ignore[arg-type]
    )
    # Round-trip through the wire form, as the bus delivers it.
    event = ArtifactUploaded.model_validate(event.model_dump(mode="json"))
    return ModelFacts.from_event(event, columns["readme"])


def make_facts(
    metadata: Mapping[str, Any] | None = None,
    readme: str | None = None,
    *,
    name: str = "some-model",
    files: Sequence[Mapping[str, Any]] = (),
    source_url: str | None = "https://huggingface.co/org/some-model",
) -> ModelFacts:
    """Hand-made facts for unit tests of single formulas (no server)."""
    base: dict[str, Any] = {
        "source_kind": "huggingface_model",
        "repo_id": "org/some-model",
        "license": None,
        "licenses": [],
        "tags": [],
        "base_models": [],
        "datasets": [],
        "linked_code": [],
        "linked_datasets": [],
        "card_data": {},
        "config": {},
        "files": list(files),
    }
    base.update(metadata or {})
    event = ArtifactUploaded(
        source="test",
        artifact=ArtifactRef(id="unit1", name=name, type="model"),
        source_url=source_url,
        metadata=base,
    )
    return ModelFacts.from_event(event, readme)


def reproducibility_stub(value: float = 0.0) -> Any:
    """The sandbox belongs to another module: calibration supplies a fixed value."""

    async def stub(facts: ModelFacts) -> MetricResult:
        return MetricResult(value=value, latency=0.0, detail={"stub": True})

    return stub
