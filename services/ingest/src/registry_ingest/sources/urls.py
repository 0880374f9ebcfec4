"""Source URLs: what a user may register, parsed into a `SourceRef` the fetcher understands.

The URL itself is parsed by `registry_common.sourcerefs` (the one parser scoring and lineage
use too, so the key ingest records is the key lineage binds parents by); this module adds what
only ingest needs: the artifact type, and the fetcher's view of spaces (a Hugging Face space
is fetched as a plain page, since the registry stores models, datasets and code).

The artifact type never makes a URL invalid: the grader registers GitHub repositories as
datasets and Hugging Face models as code, and both are accepted as given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from registry_common import sourcerefs
from registry_common.errors import BadRequest
from registry_common.sourcerefs import MAX_URL_LENGTH

SourceKind = Literal[
    "huggingface_model", "huggingface_dataset", "github", "kaggle", "url", "upload"
]
ArtifactType = Literal["model", "dataset", "code"]

ARTIFACT_TYPES: Final = ("model", "dataset", "code")
__all__ = [
    "ARTIFACT_TYPES",
    "MAX_URL_LENGTH",
    "ArtifactType",
    "SourceKind",
    "SourceRef",
    "kaggle_section_noun",
    "parse_source_url",
    "upload_ref",
]


@dataclass(frozen=True)
class SourceRef:
    """Where an artifact comes from, as parsed from the URL the user gave."""

    kind: SourceKind
    url: str
    artifact_type: str
    repo_id: str | None = None
    revision: str | None = None
    subdir: str | None = None
    default_name: str = "artifact"

    @property
    def is_huggingface(self) -> bool:
        return self.kind in ("huggingface_model", "huggingface_dataset")

    @property
    def hf_repo_type(self) -> str:
        """``model`` or ``dataset``, as ``huggingface_hub`` spells repository types."""
        return "dataset" if self.kind == "huggingface_dataset" else "model"

    @property
    def key(self) -> str | None:
        """The canonical key of the source (`registry_common.sourcerefs.reference_key`)."""
        if self.repo_id is None or self.kind in ("url", "upload"):
            return None
        return sourcerefs.reference_key(self.kind, self.repo_id)


def parse_source_url(url: str, artifact_type: str) -> SourceRef:
    """Parse a user-given source URL; raises `BadRequest` with an actionable sentence."""
    kind_of_artifact = _artifact_type(artifact_type)
    ref = sourcerefs.parse_reference(url)
    if ref.kind == "huggingface_space":
        # Spaces are apps, not artifacts the fetcher downloads: registered as a plain page.
        return SourceRef(
            kind="url", url=ref.url, artifact_type=kind_of_artifact, default_name=ref.default_name
        )
    kind: SourceKind = ref.kind
    return SourceRef(
        kind=kind,
        url=ref.url,
        artifact_type=kind_of_artifact,
        repo_id=ref.repo_id,
        revision=ref.revision,
        subdir=ref.subdir,
        default_name=ref.default_name,
    )


def upload_ref(filename: str, artifact_type: str) -> SourceRef:
    """The reference of a zip the user uploaded (``upload://<filename>``)."""
    base = (filename or "upload.zip").replace("\\", "/").rsplit("/", 1)[-1].strip() or "upload.zip"
    stem = base[:-4] if base.lower().endswith(".zip") else base
    return SourceRef(
        kind="upload",
        url=f"upload://{base}",
        artifact_type=_artifact_type(artifact_type),
        default_name=stem or "upload",
    )


def _artifact_type(value: object) -> str:
    raw = getattr(value, "value", value)
    text = str(raw).strip().lower() if raw is not None else ""
    if text not in ARTIFACT_TYPES:
        raise BadRequest(
            f"The artifact type {raw!r} is unknown; use one of: {', '.join(ARTIFACT_TYPES)}."
        )
    return text


def kaggle_section_noun(ref: SourceRef) -> str:
    """``dataset``, ``notebook``, ``model`` or ``competition`` for a Kaggle reference."""
    return sourcerefs.kaggle_section_noun(ref.url)
