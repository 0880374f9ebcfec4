"""The scoring service as a component: its app from `create_app` on a real SQLite store and a
local blob store, events fed to its handlers as the bus delivers them, and its internal route
asked over HTTP with the internal token."""

from __future__ import annotations

import io
import socket
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registry_common.blobs import create_blob_store
from registry_common.events import (
    ArtifactDeleted,
    ArtifactRef,
    ArtifactUpdated,
    ArtifactUploaded,
    RegistryReset,
)
from registry_common.http import INTERNAL_TOKEN_HEADER
from registry_common.settings import RuntimeSettings
from registry_scoring.app import create_app
from registry_scoring.config import ScoringSettings
from registry_scoring.handlers import build_handlers
from registry_scoring.service import _card_text, retree
from tests.fakes.github import FakeGitHub
from tests.fakes.hub import FakeHub

TOKEN = "scoring-internal-token-for-tests"


def _client(tmp_path: Path, hub_url: str, github_url: str) -> Iterator[TestClient]:
    runtime = RuntimeSettings(
        data_dir=tmp_path,
        telemetry_exporter="none",
        internal_token=TOKEN,
        hf_endpoint=hub_url,
        github_api_url=github_url,
    )
    blobs = create_blob_store(runtime)
    app = create_app(ScoringSettings(runtime=runtime), blobs=blobs)
    app.state.blobs = blobs  # for the tests that store a bundle's card
    with TestClient(app, headers={INTERNAL_TOKEN_HEADER: TOKEN}) as client:
        yield client


@pytest.fixture
def scoring(tmp_path: Path, fake_hub: FakeHub, fake_github: FakeGitHub) -> Iterator[TestClient]:
    assert fake_hub.url is not None
    assert fake_github.url is not None
    yield from _client(tmp_path, fake_hub.url, fake_github.url)


@pytest.fixture
def github_down(tmp_path: Path, fake_hub: FakeHub) -> Iterator[TestClient]:
    """Scoring whose GitHub API is a loopback port nobody listens on."""
    assert fake_hub.url is not None
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    yield from _client(tmp_path, fake_hub.url, f"http://127.0.0.1:{closed_port}")


def _handle(client: TestClient, event: Any) -> None:
    """Deliver `event` to the handler scoring subscribed for its type (as the bus does)."""
    assert client.portal is not None
    state = client.app.state  # type: ignore[attr-defined]
    handler = build_handlers(state.service, state.kit.log)[type(event)]
    client.portal.call(handler, event)


def _uploaded(
    artifact_id: str, repo: str, artifact_type: str = "model", **metadata: Any
) -> ArtifactUploaded:
    return ArtifactUploaded(
        source="ingest",
        artifact=ArtifactRef(id=artifact_id, name=repo.split("/")[-1], type=artifact_type),  # type: ignore[arg-type]
        source_url=f"https://huggingface.co/{repo}",
        metadata={"source_kind": "huggingface_model", "repo_id": repo, **metadata},
    )


def test_an_unrated_model_is_a_404_that_says_it_may_still_be_computing(
    scoring: TestClient,
) -> None:
    answer = scoring.get("/internal/ratings/4242")
    assert answer.status_code == 404
    assert answer.json()["detail"] == "Model '4242' has no rating (it may still be computing)."


def test_an_uploaded_model_is_rated_once_and_served_from_storage(scoring: TestClient) -> None:
    _handle(scoring, _uploaded("1", "org/some-model"))
    answer = scoring.get("/internal/ratings/1")
    assert answer.status_code == 200, answer.text
    rating = answer.json()
    assert rating["name"] == "some-model"
    assert 0.0 <= rating["net_score"] <= 1.0
    assert set(rating["size_score"]) == {"raspberry_pi", "jetson_nano", "desktop_pc", "aws_server"}


def test_an_updated_model_is_rated_again(scoring: TestClient) -> None:
    _handle(scoring, _uploaded("6", "org/some-model"))
    assert scoring.get("/internal/ratings/6").json()["license"] == 0.0
    _store_card(scoring, "bundles/6r2/", README)
    updated = ArtifactUpdated(
        source="ingest",
        artifact=ArtifactRef(id="6", name="some-model", type="model"),
        source_url="https://huggingface.co/org/some-model",
        metadata={
            "source_kind": "huggingface_model",
            "repo_id": "org/some-model",
            "revision": 2,
            "bundle_prefix": "bundles/6r2/",
        },
    )
    _handle(scoring, updated)
    assert scoring.get("/internal/ratings/6").json()["license"] == 1.0


def test_only_models_are_rated(scoring: TestClient) -> None:
    _handle(scoring, _uploaded("2", "org/some-data", artifact_type="dataset"))
    assert scoring.get("/internal/ratings/2").status_code == 404


def test_a_deleted_model_loses_its_rating_and_a_late_event_does_not_bring_it_back(
    scoring: TestClient,
) -> None:
    _handle(scoring, _uploaded("3", "org/some-model"))
    assert scoring.get("/internal/ratings/3").status_code == 200
    ref = ArtifactRef(id="3", name="some-model", type="model")
    _handle(scoring, ArtifactDeleted(source="ingest", artifact=ref))
    _handle(scoring, _uploaded("3", "org/some-model"))  # redelivered after the delete
    answer = scoring.get("/internal/ratings/3")
    assert answer.status_code == 404
    assert answer.json()["detail"] == "Model '3' has no rating (it may still be computing)."


def test_a_reset_forgets_every_rating(scoring: TestClient) -> None:
    _handle(scoring, _uploaded("4", "org/some-model"))
    _handle(scoring, RegistryReset(source="gateway"))
    assert scoring.get("/internal/ratings/4").status_code == 404


def test_a_metric_that_cannot_be_computed_makes_the_rating_a_500_naming_it(
    github_down: TestClient,
) -> None:
    _handle(
        github_down,
        _uploaded("5", "org/some-model", linked_code=["https://github.com/org/some-code"]),
    )
    answer = github_down.get("/internal/ratings/5")
    assert answer.status_code == 500
    body = answer.json()
    assert body["code"] == "rating_failed"
    assert body["detail"].startswith(
        "The artifact rating system could not compute at least one metric: metric "
    )
    assert "could not be computed" in body["detail"]


def test_a_parents_new_rating_rescores_its_registered_children(scoring: TestClient) -> None:
    _handle(scoring, _uploaded("10", "org/tuned", base_models=["org/base"]))
    before = scoring.get("/internal/ratings/10").json()
    # The parent has a documented, licensed card: a better net score than the child's own.
    _store_card(scoring, "bundles/11/", README)
    _handle(scoring, _uploaded("11", "org/base", bundle_prefix="bundles/11/"))
    parent = scoring.get("/internal/ratings/11").json()
    after = scoring.get("/internal/ratings/10").json()
    assert parent["net_score"] > before["net_score"]
    assert after["tree_score"] > before["tree_score"]
    assert after["net_score"] > before["net_score"]
    # Only the tree-derived fields moved: the child's own metrics are as rated.
    assert after["license"] == before["license"]
    assert after["ramp_up_time"] == before["ramp_up_time"]
    assert after["tree_score"] == retree(before, {"org/base": parent["net_score"]})["tree_score"]


def _card_zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


README = "# some-model\n\n## Usage\n\n```python\nprint('hi')\n```\n\n## License\n\nMIT\n" * 5


def _store_card(client: TestClient, prefix: str, readme: str) -> None:
    assert client.portal is not None
    blobs = client.app.state.blobs  # type: ignore[attr-defined]
    client.portal.call(blobs.put, f"{prefix}card.zip", _card_zip({"README.md": readme}))


def test_the_model_card_is_read_from_the_stored_bundle(scoring: TestClient) -> None:
    _store_card(scoring, "bundles/20/", README)
    _handle(scoring, _uploaded("20", "org/some-model", bundle_prefix="bundles/20/"))
    _handle(scoring, _uploaded("21", "org/some-model", bundle_prefix="bundles/missing/"))
    with_card = scoring.get("/internal/ratings/20").json()
    without = scoring.get("/internal/ratings/21").json()
    # The card's license section and runnable usage example count; a missing card is no card.
    assert with_card["license"] == 1.0
    assert with_card["reproducibility"] == 1.0
    assert with_card["ramp_up_time"] > 0.0
    assert (without["license"], without["reproducibility"], without["ramp_up_time"]) == (
        0.0,
        0.0,
        0.0,
    )


def test_the_card_is_found_under_its_usual_names_only() -> None:
    assert _card_text(_card_zip({"docs/x.md": "no", "MODEL_CARD.md": "card"})) == "card"
    assert _card_text(_card_zip({"readme.md": "small"})) == "small"
    assert _card_text(_card_zip({"notes.txt": "not a card"})) is None


def test_retree_recomputes_tree_and_net_scores_only() -> None:
    rating = {
        "name": "m",
        "net_score": 0.2,
        "license": 1.0,
        "license_latency": 0.01,
        "tree_score": 0.2,
        "size_score": {"raspberry_pi": 0.0, "desktop_pc": 1.0},
    }
    no_parents = retree(rating, {})
    better_parent = retree(rating, {"org/base": 1.0})
    assert better_parent["tree_score"] > no_parents["tree_score"]
    assert better_parent["net_score"] > no_parents["net_score"]
    assert better_parent["license"] == 1.0
    assert better_parent["size_score"] == rating["size_score"]
    # A rating without per-device sizes counts size as 0, never as an error.
    assert retree({**rating, "size_score": {}}, {})["net_score"] < no_parents["net_score"]
