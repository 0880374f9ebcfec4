"""Scoring use cases: rate a model once at ingest (ArtifactUploaded/Updated), keep the rating,
serve it, and re-score tree scores when a parent's rating changes."""

from __future__ import annotations

import asyncio
import io
import zipfile
from datetime import UTC, datetime
from typing import Any

from registry_common.blobs import BlobNotFound, BlobStore
from registry_common.errors import NotFound, RegistryError
from registry_common.events import ArtifactRef, ArtifactScored, ArtifactUpdated, ArtifactUploaded
from registry_common.sandbox import SandboxRunner
from registry_common.telemetry import inject_trace_context
from registry_scoring.config import ScoringSettings
from registry_scoring.metrics.base import MetricResult, RatingFailed
from registry_scoring.metrics.context import MetricContext
from registry_scoring.metrics.facts import ModelFacts
from registry_scoring.metrics.net import combine
from registry_scoring.metrics.rating import rate_detailed
from registry_scoring.metrics.tree import tree_value
from registry_scoring.reproducibility.metric import reproducibility
from registry_scoring.store import RatingStore
from registry_scoring.uow import ScoringUnitOfWork, UnitOfWorkFactory

_CARD_NAMES = ("README.md", "readme.md", "README", "MODEL_CARD.md")
_MAX_RESCORE_DEPTH = 16


class RatingError(RegistryError):
    """The spec's 500 for /rate: at least one metric could not be computed."""

    status = 500
    code = "rating_failed"


class ScoringService:
    def __init__(
        self,
        settings: ScoringSettings,
        store: RatingStore,
        blobs: BlobStore,
        uow: UnitOfWorkFactory,
        context: MetricContext,
        log: Any,
        sandbox: SandboxRunner | None = None,
    ) -> None:
        self._settings = settings
        self._sandbox = sandbox
        self._store = store
        self._blobs = blobs
        self._uow = uow
        self._context = context
        self._log = log

    async def rate_artifact(self, event: ArtifactUploaded | ArtifactUpdated) -> None:
        """Compute and keep the rating, then publish it (or the reason it failed)."""
        if event.artifact.type != "model":
            return  # only models are rated (the spec's /rate is for models)
        if await self._store.is_forgotten(event.artifact.id):
            # Deleted before this (late, redelivered or redriven) event: rating it would
            # bring back a rating for an artifact nobody can see.
            self._log.info(
                "scoring.rating.skipped", artifact_id=event.artifact.id, reason="deleted"
            )
            return
        readme = await self._readme(event.metadata.bundle_prefix)
        facts = ModelFacts.from_event(event, readme)
        rating: dict[str, Any] | None = None
        error: str | None = None
        try:
            rated = await rate_detailed(facts, self._context, self._reproducibility)
            rating = rated.fields
        except RatingFailed as exc:
            error = str(exc)
            self._log.warning(
                "scoring.rating.failed",
                artifact_id=facts.artifact_id,
                metric=exc.metric,
                reason=exc.reason,
            )
        revision = event.metadata.revision or 1
        # One transaction for the rating, the children it re-scores and every ArtifactScored
        # they raise: with the consumer's ledger entry (registry_common.consumed) it commits
        # exactly once, or not at all and the redelivery does it.
        async with self._uow() as uow:
            stored = await self._save_and_announce(
                uow,
                event.artifact,
                artifact_id=event.artifact.id,
                name=event.artifact.name,
                repo_id=event.metadata.repo_id,
                revision=revision,
                rating=rating,
                parents=facts.parent_refs,
                error=error,
                now=datetime.now(UTC),
            )
            if not stored:
                # A newer revision's rating (or a delete) got there first: publishing this
                # one would let ingest record a stale verdict.
                self._log.info(
                    "scoring.rating.skipped",
                    artifact_id=event.artifact.id,
                    revision=revision,
                    reason="superseded or deleted",
                )
                return
            if rating is not None:
                await self._rescore_children(uow, event.artifact.id, depth=0, seen=set())
            await uow.commit()
        self._log.info(
            "scoring.rating.stored",
            artifact_id=event.artifact.id,
            net_score=rating["net_score"] if rating else None,
            error=error,
        )

    async def _reproducibility(self, facts: ModelFacts) -> MetricResult:
        result = await reproducibility(
            facts.readme,
            hub_endpoint=self._settings.runtime.hf_endpoint,
            timeout=self._settings.reproducibility_timeout_seconds,
            max_repair_rounds=self._settings.reproducibility_repair_rounds,
            sandbox=self._sandbox,
        )
        return MetricResult(value=result.value, latency=result.latency, detail=result.detail)

    async def _readme(self, bundle_prefix: Any) -> str | None:
        """The model card from the stored bundle's `card` part (None when it has none)."""
        if not isinstance(bundle_prefix, str):
            return None
        try:
            data = await self._blobs.read(f"{bundle_prefix}card.zip")
        except BlobNotFound:
            return None
        return await asyncio.to_thread(_card_text, data)

    @staticmethod
    async def _save_and_announce(
        uow: ScoringUnitOfWork, artifact: ArtifactRef, **values: Any
    ) -> bool:
        """Keep the rating and record ArtifactScored in `uow` (the outbox relay publishes it
        after the commit); False, with nothing recorded, when it was not kept."""
        if not await uow.store.save(**values):
            return False
        uow.record(
            ArtifactScored(
                source="scoring",
                artifact=artifact,
                rating=values["rating"],
                error=values["error"],
                trace_context=inject_trace_context(),
            )
        )
        return True

    async def _rescore_children(
        self, uow: ScoringUnitOfWork, parent_id: str, *, depth: int, seen: set[str]
    ) -> None:
        """A parent's net score changed: its children's tree scores (and so their net scores)
        follow, transitively, each artifact at most once (cycles in metadata stop here).
        Reads go through `uow`, so they see the parent's new score before it commits."""
        parent = await uow.store.get(parent_id)
        if parent is None or depth >= _MAX_RESCORE_DEPTH:
            return
        references = [r for r in (parent.repo_id, parent.name) if r]
        for child in await uow.store.children_of(references):
            if child.artifact_id in seen or child.rating is None:
                continue
            seen.add(child.artifact_id)
            scores = await uow.store.net_scores_of(child.parents or [])
            updated = retree(child.rating, scores)
            if updated == child.rating:
                continue
            stored = await self._save_and_announce(
                uow,
                ArtifactRef(id=child.artifact_id, name=child.name, type="model"),
                artifact_id=child.artifact_id,
                name=child.name,
                repo_id=child.repo_id,
                revision=child.revision,
                rating=updated,
                parents=list(child.parents or []),
                error=None,
                now=datetime.now(UTC),
            )
            if not stored:
                continue
            self._log.info(
                "scoring.tree.rescored",
                artifact_id=child.artifact_id,
                parent_id=parent_id,
                tree_score=updated["tree_score"],
            )
            await self._rescore_children(uow, child.artifact_id, depth=depth + 1, seen=seen)

    async def rating(self, artifact_id: str) -> dict[str, Any]:
        row = await self._store.get(artifact_id)
        if row is None:
            raise NotFound(f"Model {artifact_id!r} has no rating (it may still be computing).")
        if row.rating is None:
            raise RatingError(
                "The artifact rating system could not compute at least one metric: "
                f"{row.error or 'unknown error'}"
            )
        return row.rating

    async def forget(self, artifact_id: str) -> None:
        await self._store.remove(artifact_id)

    async def reset(self) -> None:
        await self._store.clear()


def retree(rating: dict[str, Any], parent_scores: dict[str, float]) -> dict[str, Any]:
    """`rating` with tree_score and net_score recomputed for new parent net scores."""
    values = {
        key: float(value)
        for key, value in rating.items()
        if isinstance(value, int | float) and not key.endswith("_latency")
    }
    values["size_score"] = _size_value(rating)
    own_net = combine(values, exclude=("tree_score",))
    tree, _detail = tree_value(parent_scores, own_net)
    values["tree_score"] = tree
    return {**rating, "tree_score": round(tree, 4), "net_score": round(combine(values), 4)}


def _size_value(rating: dict[str, Any]) -> float:
    sizes = rating.get("size_score")
    if isinstance(sizes, dict) and sizes:
        return sum(float(v) for v in sizes.values()) / len(sizes)
    return 0.0


def _card_text(data: bytes) -> str | None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        for candidate in _CARD_NAMES:
            if candidate in names:
                return archive.read(candidate).decode("utf-8", errors="replace")
    return None
