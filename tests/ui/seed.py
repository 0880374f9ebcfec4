"""Fixture data for the browser tests, registered through the public API only.

Enough for every page to have content: models with lineage (a three-generation chain, a
fine-tune of BERT), tagged versions for version-range filters, datasets, code, an uploaded
zip, and users with limited permissions. The enumerate page size is small (`PAGE_SIZE`), so
the catalog spans several pages.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

import httpx

from registry_common.events import ArtifactUploaded
from registry_common.rating import SCALAR_METRICS, SIZE_DEVICES

PAGE_SIZE = 4
HF = "https://huggingface.co"
GH = "https://github.com"

# (type, source URL): registration order is the catalog's order.
SOURCES: list[tuple[str, str]] = [
    ("model", f"{HF}/lineage-lab/minilm-base"),  # tag v1.0.0
    ("model", f"{HF}/lineage-lab/minilm-imdb-sentiment"),  # child of minilm-base; tags 1.x
    ("model", f"{HF}/lineage-lab/minilm-imdb-sentiment-onnx"),  # grandchild
    ("model", f"{HF}/google-bert/bert-base-uncased"),
    ("model", f"{HF}/parvk11/audience_classifier_model"),  # fine-tune of bert-base-uncased
    ("model", f"{HF}/openai/whisper-tiny"),
    ("model", f"{HF}/arnir0/Tiny-LLM"),
    ("dataset", f"{HF}/datasets/bookcorpus/bookcorpus"),
    ("dataset", f"{HF}/datasets/stanfordnlp/imdb"),
    ("code", f"{GH}/google-research/bert"),
    ("code", f"{GH}/openai/whisper"),
    ("code", f"{GH}/lineage-lab/minilm-training"),
]
UPLOADED_NAME = "acme-internal-classifier"
UPLOADED_VERSION = "2.1.0"

ADMIN_NAME = "ece30861defaultadminuser"
ADMIN_PASSWORD = "correcthorsebatterystaple123(!__+@**(A'\"`;DROP TABLE packages;"
# A plain user who may only search, and one who may also upload and download.
UserSpec = tuple[str, str, list[str]]  # name, password, permissions
READER: UserSpec = ("ui-reader", "Reader-Pass-2024!", ["search"])
CONTRIBUTOR: UserSpec = (
    "ui-contributor",
    "Contributor-Pass-2024!",
    ["search", "upload", "download"],
)
# Signed up but granted nothing yet.
NEWCOMER: UserSpec = ("ui-newcomer", "Newcomer-Pass-2024!", [])


def varied_rating(event: ArtifactUploaded) -> dict[str, Any]:
    """A complete ModelRating whose values differ per model and per metric (so charts show
    something), deterministic across runs; every value >= 0.5 so the gate would admit it."""

    def value(metric: str) -> float:
        digest = hashlib.sha256(f"{event.artifact.name}/{metric}".encode()).digest()
        return round(0.5 + digest[0] / 255 * 0.5, 2)

    body: dict[str, Any] = {"name": event.artifact.name, "category": "MODEL"}
    for metric in SCALAR_METRICS:
        body[metric] = value(metric)
        body[f"{metric}_latency"] = round(0.01 + value(f"{metric}-latency") - 0.5, 3)
    body["size_score"] = {device: value(device) for device in SIZE_DEVICES}
    body["size_score_latency"] = 0.02
    return body


@dataclass
class SeededRegistry:
    """What the browser tests may rely on."""

    url: str
    # name -> ArtifactMetadata ({"name", "id", "type"}), in registration order
    artifacts: dict[str, dict[str, str]] = field(default_factory=dict)
    # user name -> password (the default admin included)
    passwords: dict[str, str] = field(default_factory=dict)

    def by_type(self, kind: str) -> list[dict[str, str]]:
        return [a for a in self.artifacts.values() if a["type"] == kind]


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def seed(url: str, admin: httpx.Client) -> SeededRegistry:
    seeded = SeededRegistry(url=url, passwords={ADMIN_NAME: ADMIN_PASSWORD})
    for kind, source in SOURCES:
        response = admin.post(f"/artifact/{kind}", json={"url": source})
        assert response.status_code == 201, f"seeding {source}: {response.text}"
        meta = response.json()["metadata"]
        seeded.artifacts[meta["name"]] = meta
    card = b"---\nlicense: apache-2.0\n---\n# ACME internal classifier\n\nSentiment model.\n"
    upload = admin.post(
        "/artifact/model/upload",
        files={
            "file": (
                "acme.zip",
                _zip(
                    {
                        "acme/README.md": card,
                        "acme/config.json": b'{"model_type": "bert"}',
                        "acme/model.safetensors": b"\0" * 4096,
                    }
                ),
                "application/zip",
            )
        },
        data={"name": UPLOADED_NAME, "version": UPLOADED_VERSION},
    )
    assert upload.status_code == 201, f"seeding the upload: {upload.text}"
    seeded.artifacts[UPLOADED_NAME] = upload.json()["metadata"]
    for name, password, permissions in (READER, CONTRIBUTOR, NEWCOMER):
        created = admin.post(
            "/users",
            json={
                "user": {"name": name, "is_admin": False},
                "secret": {"password": password},
                "permissions": permissions,
            },
        )
        assert created.status_code == 201, created.text
        seeded.passwords[name] = password
    return seeded
