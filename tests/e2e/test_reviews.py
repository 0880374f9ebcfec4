"""Reviews and the browse listing (issue 18.4) end to end through the gateway, in both
topologies (the catalog module's pooled setup: no distributed start-up of its own): one review
per user per artifact, editable and deletable by its author, removable by an admin, each
change a RATE audit entry; reviews go with their artifact and with a reset; the browse page's
sort, filters and cursor."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.test_catalog import BERT, CATALOG, WHISPER_CODE, create
from tests.harness.registry import DEFAULT_ADMIN, RunningRegistry
from tests.harness.topology import Topology, topology

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

MINILM = "https://huggingface.co/lineage-lab/minilm-imdb-sentiment"
IMDB = "https://huggingface.co/datasets/stanfordnlp/imdb"
PASSWORD = "correct horse battery staple 42"


@pytest.fixture(scope="module")
def catalog(topology_kind: str, request: pytest.FixtureRequest) -> Iterator[Topology]:
    with topology(topology_kind, CATALOG, request) as running:
        yield running


@pytest.fixture
def registry(catalog: Topology, request: pytest.FixtureRequest) -> Iterator[RunningRegistry]:
    with catalog.fresh(request) as running:
        yield running


@pytest.fixture
def admin(registry: RunningRegistry) -> Iterator[httpx.Client]:
    with registry.admin() as client:
        yield client


def user(registry: RunningRegistry, admin: httpx.Client, name: str) -> httpx.Client:
    created = admin.post(
        "/users",
        json={
            "user": {"name": name, "is_admin": False},
            "secret": {"password": PASSWORD},
            "permissions": ["search", "download"],
        },
    )
    assert created.status_code == 201, created.text
    with registry.client() as client:
        response = client.put(
            "/authenticate",
            json={"user": {"name": name, "is_admin": False}, "secret": {"password": PASSWORD}},
        )
        assert response.status_code == 200, response.text
        token = response.json()
    return registry.client(headers={"X-Authorization": token})


def registered(admin: httpx.Client, kind: str, url: str) -> str:
    response = create(admin, kind, url)
    assert response.status_code == 201, response.text
    artifact_id: str = response.json()["metadata"]["id"]
    return artifact_id


def test_reviews_are_one_per_user_owned_audited_and_removable_by_admins(
    registry: RunningRegistry, admin: httpx.Client
) -> None:
    model = registered(admin, "model", BERT)
    base = f"/artifacts/model/{model}/reviews"
    with user(registry, admin, "bob") as bob, user(registry, admin, "carol") as carol:
        first = bob.put(f"{base}/bob", json={"stars": 4, "text": "Good baseline."})
        assert first.status_code == 200, first.text
        edited = bob.put(f"{base}/bob", json={"stars": 2, "text": "Slow on CPU."})
        assert edited.json()["stars"] == 2
        assert carol.put(f"{base}/carol", json={"stars": 5}).status_code == 200

        forged = carol.put(f"{base}/bob", json={"stars": 1, "text": "bob says no"})
        assert forged.status_code == 401
        assert "own review" in forged.json()["detail"]
        assert carol.delete(f"{base}/bob").status_code == 401

        listing = carol.get(base).json()
        assert listing["count"] == 2
        assert listing["average_stars"] == 3.5
        assert {(r["user"], r["stars"]) for r in listing["items"]} == {("bob", 2), ("carol", 5)}
        assert bob.get(f"{base}/bob").json()["text"] == "Slow on CPU."

        assert bob.delete(f"{base}/bob").json() == {"status": "deleted"}
        assert admin.delete(f"{base}/carol").status_code == 200  # an admin removes anyone's
        assert bob.get(base).json()["count"] == 0
        assert bob.get(f"{base}/bob").status_code == 404

    audit = admin.get(f"/artifact/model/{model}/audit")
    assert audit.status_code == 200, audit.text
    rates = [e["user"]["name"] for e in audit.json() if e["action"] == "RATE"]
    assert rates[-5:] == ["bob", "bob", "carol", "bob", DEFAULT_ADMIN]


@pytest.mark.parametrize(
    "body",
    [{"stars": 0}, {"stars": 6}, {"stars": "five"}, {"stars": 3, "text": "x" * 2001}, {}],
)
def test_bad_reviews_are_clear_400s(admin: httpx.Client, body: dict[str, object]) -> None:
    model = registered(admin, "model", BERT)
    response = admin.put(f"/artifacts/model/{model}/reviews/{DEFAULT_ADMIN}", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["detail"]


def test_reviews_of_unknown_artifacts_are_404s(admin: httpx.Client) -> None:
    response = admin.get("/artifacts/model/123456789/reviews")
    assert response.status_code == 404


def test_reviews_go_with_the_artifact_and_with_a_reset(admin: httpx.Client) -> None:
    model = registered(admin, "model", BERT)
    me = DEFAULT_ADMIN
    assert admin.put(f"/artifacts/model/{model}/reviews/{me}", json={"stars": 3}).status_code == 200
    assert admin.delete(f"/artifacts/model/{model}").status_code == 200
    again = registered(admin, "model", BERT)
    assert admin.get(f"/artifacts/model/{again}/reviews").json()["count"] == 0


def test_browse_sorts_filters_and_pages(registry: RunningRegistry, admin: httpx.Client) -> None:
    bert = registered(admin, "model", BERT)
    minilm = registered(admin, "model", MINILM)
    dataset = registered(admin, "dataset", IMDB)
    code = registered(admin, "code", WHISPER_CODE)
    with user(registry, admin, "dave") as dave:
        assert (
            dave.put(f"/artifacts/model/{minilm}/reviews/dave", json={"stars": 5}).status_code
            == 200
        )
        assert (
            dave.put(f"/artifacts/model/{bert}/reviews/dave", json={"stars": 1}).status_code == 200
        )
        assert dave.get(f"/artifacts/model/{bert}/download").status_code in (200, 302)

        by_stars = dave.get("/browse", params={"sort": "stars", "type": "model"}).json()
        assert [i["id"] for i in by_stars["items"]] == [minilm, bert]
        assert by_stars["items"][0]["average_stars"] == 5
        assert by_stars["total"] == 2

        by_downloads = dave.get("/browse", params={"sort": "downloads"}).json()
        assert by_downloads["items"][0]["id"] == bert
        assert by_downloads["items"][0]["downloads"] == 1
        assert by_downloads["items"][0]["vetted"] is True
        assert by_downloads["items"][0]["net_score"] is not None

        ids: list[str] = []
        cursor = None
        while True:
            params = {"sort": "name", "order": "asc", "limit": 3}
            if cursor:
                params["cursor"] = cursor
            page = dave.get("/browse", params=params).json()
            ids += [i["id"] for i in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(ids) == sorted([bert, minilm, dataset, code])
        assert len(ids) == 4

        datasets = dave.get("/browse", params={"type": "dataset"}).json()
        assert [i["id"] for i in datasets["items"]] == [dataset]
        vetted = dave.get("/browse", params={"vetted": "true", "type": "model"}).json()
        assert {i["id"] for i in vetted["items"]} == {bert, minilm}

        for params in ({"sort": "colour"}, {"limit": 0}, {"cursor": "abc"}, {"type": "img"}):
            bad = dave.get("/browse", params=params)
            assert bad.status_code == 400, (params, bad.text)
