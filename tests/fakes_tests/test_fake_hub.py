"""The fake Hub answers the real ``huggingface_hub`` client like huggingface.co would.

Every test goes through the real library (or raw HTTP for header-level checks) and compares
with the fixture table, so a drift between the fake and the client's expectations shows here.
Fixtures come from ``tests.fakes.conftest_plugin`` (registered by the root conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import httpx
import huggingface_hub
import pytest
from huggingface_hub import HfApi, hf_hub_download, snapshot_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from tests.fakes.conftest_plugin import HfEnv
from tests.fakes.fixtures import TABLE, HubRepo
from tests.fakes.hub import GRANTED_TOKEN, UNGRANTED_TOKEN, FakeHub, HubControl

pytestmark = pytest.mark.integration

BERT = "google-bert/bert-base-uncased"
SENTIMENT = "lineage-lab/minilm-imdb-sentiment"


def _api(hub: FakeHub) -> HfApi:
    assert hub.url is not None
    # token=False: no locally stored credentials leak into the requests.
    return HfApi(endpoint=hub.url, token=False)


# ---------------------------------------------------------------------------------- repo info


def test_model_info_mirrors_the_fixture(fake_hub: FakeHub) -> None:
    info = _api(fake_hub).model_info(BERT)
    state = fake_hub.state(BERT)

    assert info.id == BERT
    assert info.author == "google-bert"
    assert info.sha == state.head.sha
    assert info.last_modified is not None
    assert info.last_modified.isoformat().startswith("2024-02-19T11:06:12")
    assert info.pipeline_tag == "fill-mask"
    assert info.library_name == "transformers"
    assert info.downloads == 58_132_960
    assert info.likes == 2_312
    assert info.card_data is not None
    assert info.card_data.license == "apache-2.0"
    assert info.card_data.datasets == ["bookcorpus", "wikipedia"]  # legacy ids, as in the real card
    assert {"dataset:bookcorpus/bookcorpus", "dataset:wikimedia/wikipedia"} <= set(info.tags or [])
    assert {"license:apache-2.0", "arxiv:1810.04805", "safetensors", "pytorch"} <= set(
        info.tags or []
    )
    assert info.config == {"architectures": ["BertForMaskedLM"], "model_type": "bert"}
    assert info.transformers_info is not None
    assert info.transformers_info.auto_model == "AutoModelForMaskedLM"
    assert info.siblings is not None
    assert {"README.md", "config.json", "model.safetensors", "onnx/model.onnx"} <= {
        s.rfilename for s in info.siblings
    }


def test_real_world_sizes_are_exposed_apart_from_served_sizes(fake_hub: FakeHub) -> None:
    info = _api(fake_hub).model_info(BERT, files_metadata=True)
    fixture = TABLE.hub_repo(BERT)

    assert info.safetensors is not None
    assert info.safetensors.total == 110_106_428
    declared = info.fakeDeclaredFileSizes  # type: ignore[attr-defined]
    assert declared["model.safetensors"] == 440_449_768
    assert info.used_storage is not None
    assert info.used_storage == sum(declared.values())
    assert info.used_storage > 2_000_000_000
    assert fixture.parameters == {"F32": 110_106_428}
    # What the client will verify a download against is the served size, everywhere.
    for sibling in info.siblings or []:
        served = fake_hub.file_bytes(BERT, sibling.rfilename)
        assert sibling.size == len(served)
        if sibling.lfs is not None:
            assert sibling.lfs.size == len(served)


def test_model_info_at_a_tag_is_that_commit(fake_hub: FakeHub) -> None:
    api = _api(fake_hub)
    state = fake_hub.state(SENTIMENT)

    for tag in ("v1.0.0", "v1.1.0", "1.2.0"):
        assert api.model_info(SENTIMENT, revision=tag).sha == state.tags[tag].sha
    first = state.commits[0]
    initial = api.model_info(SENTIMENT, revision=first.sha)
    assert initial.sha == first.sha
    assert {s.rfilename for s in initial.siblings or []} == {
        ".gitattributes",
        "README.md",
        "config.json",
    }


def test_expand_returns_only_the_requested_properties(fake_hub: FakeHub) -> None:
    info = _api(fake_hub).model_info(BERT, expand=["downloadsAllTime", "usedStorage", "sha"])

    assert info.downloads_all_time == 2_310_455_872
    assert info.used_storage is not None
    assert info.sha == fake_hub.state(BERT).head.sha
    assert info.card_data is None
    assert info.siblings is None


@pytest.mark.parametrize(
    ("repo_id", "base_model", "relation"),
    [
        (SENTIMENT, "lineage-lab/minilm-base", "finetune"),
        ("lineage-lab/minilm-imdb-sentiment-onnx", SENTIMENT, "quantized"),
        ("lineage-lab/tiny-llm-sql-lora", "arnir0/Tiny-LLM", "adapter"),
        ("lineage-lab/minilm-sentiment-merge", ["lineage-lab/minilm-base", SENTIMENT], "merge"),
        ("cycle-lab/ouroboros-a", "cycle-lab/ouroboros-b", "finetune"),
        ("cycle-lab/ouroboros-b", "cycle-lab/ouroboros-a", "finetune"),
        ("cycle-lab/self-parent", "cycle-lab/self-parent", "finetune"),
    ],
)
def test_lineage_is_declared_in_card_data_and_tags(
    fake_hub: FakeHub, repo_id: str, base_model: str | list[str], relation: str
) -> None:
    info = _api(fake_hub).model_info(repo_id)

    assert info.card_data is not None
    assert info.card_data.base_model == base_model
    assert info.card_data.get("base_model_relation") == relation
    for parent in [base_model] if isinstance(base_model, str) else base_model:
        assert f"base_model:{relation}:{parent}" in (info.tags or [])


def test_thin_card_model_points_to_its_parent_only_through_config(
    fake_hub: FakeHub, tmp_path: Path
) -> None:
    repo_id = "parvk11/audience_classifier_model"
    info = _api(fake_hub).model_info(repo_id)

    assert info.card_data is not None
    assert info.card_data.license is None
    assert info.card_data.base_model is None
    assert not [t for t in info.tags or [] if t.startswith(("license:", "dataset:", "base_model:"))]
    config = hf_hub_download(
        repo_id, "config.json", endpoint=fake_hub.url, cache_dir=tmp_path, token=False
    )
    assert '"_name_or_path": "google-bert/bert-base-uncased"' in Path(config).read_text()


def test_malformed_card_yaml_yields_no_card_data(fake_hub: FakeHub, tmp_path: Path) -> None:
    repo_id = "broken-cards/malformed-yaml-model"
    info = _api(fake_hub).model_info(repo_id)

    assert info.card_data is None
    assert info.pipeline_tag == "text-classification"  # inferred from config.json, like the Hub
    readme = hf_hub_download(
        repo_id, "README.md", endpoint=fake_hub.url, cache_dir=tmp_path, token=False
    )
    assert Path(readme).read_text().startswith("---\nlicense: mit\ntags: [text-classification")


def test_dataset_info_and_legacy_dataset_alias(fake_hub: FakeHub) -> None:
    api = _api(fake_hub)

    info = api.dataset_info("bookcorpus")  # legacy id: 307 to the canonical one
    assert info.id == "bookcorpus/bookcorpus"
    assert info.card_data is not None
    assert info.card_data.license == ["unknown"]
    wiki = api.dataset_info("wikimedia/wikipedia")
    assert wiki.card_data is not None
    assert wiki.card_data.license == ["cc-by-sa-3.0", "gfdl"]
    assert "format:parquet" in (wiki.tags or [])
    assert api.dataset_info("stanfordnlp/imdb").paperswithcode_id == "imdb-movie-reviews"


def test_legacy_model_alias_redirects(fake_hub: FakeHub, tmp_path: Path) -> None:
    assert _api(fake_hub).model_info("bert-base-uncased").id == BERT
    path = hf_hub_download(
        "bert-base-uncased", "config.json", endpoint=fake_hub.url, cache_dir=tmp_path, token=False
    )
    assert Path(path).read_bytes() == fake_hub.file_bytes(BERT, "config.json")


def test_search_filters_like_the_hub(fake_hub: FakeHub) -> None:
    api = _api(fake_hub)

    lineage_lab = {m.id for m in api.list_models(author="lineage-lab")}
    assert SENTIMENT in lineage_lab
    assert all(i.startswith("lineage-lab/") for i in lineage_lab)
    adapters = [m.id for m in api.list_models(filter="base_model:adapter:arnir0/Tiny-LLM")]
    assert adapters == ["lineage-lab/tiny-llm-sql-lora"]
    assert "acme-private/internal-classifier" not in {m.id for m in api.list_models()}
    assert [d.id for d in api.list_datasets(search="imdb")] == ["stanfordnlp/imdb"]


# ---------------------------------------------------------------------------------- files and refs


def test_list_repo_files_matches_the_snapshot(fake_hub: FakeHub) -> None:
    files = _api(fake_hub).list_repo_files("openai/whisper-tiny")
    state = fake_hub.state("openai/whisper-tiny")

    assert sorted(files) == sorted(state.snapshot(state.head).files)


def test_tree_listing_with_expand_is_paginated(fake_hub: FakeHub, hub_control: HubControl) -> None:
    entries = list(
        _api(fake_hub).list_repo_tree(
            "wikimedia/wikipedia", repo_type="dataset", recursive=True, expand=True
        )
    )

    assert len(entries) == 64 + 3  # 64 files and 3 folders; 50 per page with expand=True
    tree_calls = [r for r in hub_control.requests if "/tree/" in r.path]
    assert len(tree_calls) == 2
    assert "cursor=" in tree_calls[1].query
    weights = next(e for e in entries if e.path.endswith("train-00000-of-00041.parquet"))
    assert isinstance(weights, huggingface_hub.hf_api.RepoFile)
    assert weights.last_commit is not None
    assert weights.security is not None
    assert weights.lfs is not None


def test_tree_of_a_sub_folder_non_recursive(fake_hub: FakeHub) -> None:
    api = _api(fake_hub)

    top = {e.path: type(e).__name__ for e in api.list_repo_tree(BERT)}
    assert top["onnx"] == "RepoFolder"
    assert top["config.json"] == "RepoFile"
    assert "onnx/model.onnx" not in top
    inner = [e.path for e in api.list_repo_tree(BERT, path_in_repo="onnx")]
    assert inner == ["onnx/config.json", "onnx/model.onnx"]
    with pytest.raises(EntryNotFoundError):
        list(api.list_repo_tree(BERT, path_in_repo="no-such-folder"))


def test_list_repo_refs_reports_tags(fake_hub: FakeHub) -> None:
    refs = _api(fake_hub).list_repo_refs(SENTIMENT)
    state = fake_hub.state(SENTIMENT)

    assert [b.name for b in refs.branches] == ["main"]
    assert refs.branches[0].target_commit == state.head.sha
    assert {t.name: t.target_commit for t in refs.tags} == {
        name: commit.sha for name, commit in state.tags.items()
    }
    assert {t.name for t in refs.tags} == {"v1.0.0", "v1.1.0", "1.2.0"}


def test_list_repo_commits(fake_hub: FakeHub) -> None:
    commits = _api(fake_hub).list_repo_commits("openai/whisper-tiny")
    state = fake_hub.state("openai/whisper-tiny")

    assert [c.commit_id for c in commits] == [c.sha for c in reversed(state.commits)]
    assert commits[0].title == "Update generation config"


def test_hf_hub_download_is_byte_exact_per_revision(fake_hub: FakeHub, tmp_path: Path) -> None:
    def download(revision: str) -> bytes:
        path = hf_hub_download(
            SENTIMENT,
            "model.safetensors",
            revision=revision,
            endpoint=fake_hub.url,
            cache_dir=tmp_path,
            token=False,
        )
        return Path(path).read_bytes()

    at_main, at_v1 = download("main"), download("v1.0.0")
    assert at_main == fake_hub.file_bytes(SENTIMENT, "model.safetensors")
    assert at_v1 == fake_hub.file_bytes(SENTIMENT, "model.safetensors", revision="v1.0.0")
    assert at_main != at_v1  # the weights were retrained between the two tags


def test_snapshot_download_fetches_every_file(fake_hub: FakeHub, tmp_path: Path) -> None:
    folder = Path(
        snapshot_download(
            "openai/whisper-tiny", endpoint=fake_hub.url, cache_dir=tmp_path, token=False
        )
    )
    state = fake_hub.state("openai/whisper-tiny")
    files = state.snapshot(state.head).files

    assert folder.name == state.head.sha
    assert sorted(p.name for p in folder.iterdir()) == sorted(files)
    for path, served in files.items():
        assert (folder / path).read_bytes() == served.data


def test_snapshot_download_of_a_dataset_with_patterns(fake_hub: FakeHub, tmp_path: Path) -> None:
    folder = Path(
        snapshot_download(
            "stanfordnlp/imdb",
            repo_type="dataset",
            allow_patterns=["plain_text/test-*"],
            endpoint=fake_hub.url,
            cache_dir=tmp_path,
            token=False,
        )
    )
    assert [p.name for p in (folder / "plain_text").iterdir()] == ["test-00000-of-00001.parquet"]


def test_safetensors_header_is_readable_through_range_requests(fake_hub: FakeHub) -> None:
    metadata = _api(fake_hub).get_safetensors_metadata(BERT)

    assert not metadata.sharded
    assert set(metadata.weight_map) == {"embeddings.weight", "encoder.layer.0.weight"}


# ---------------------------------------------------------------------------------- raw HTTP


def test_resolve_headers_match_the_hub(fake_hub: FakeHub) -> None:
    url = f"{fake_hub.url}/{BERT}/resolve/main/model.safetensors"
    head = httpx.head(url)
    served = fake_hub.state(BERT).snapshot(fake_hub.state(BERT).head).files["model.safetensors"]

    assert head.status_code == 200
    assert head.headers["X-Repo-Commit"] == fake_hub.state(BERT).head.sha
    assert head.headers["ETag"] == f'"{served.sha256}"'
    assert head.headers["Content-Length"] == str(served.size)
    assert head.headers["Accept-Ranges"] == "bytes"
    assert "X-Xet-Hash" not in head.headers
    assert head.content == b""


def test_range_request_returns_206_with_the_right_bytes(fake_hub: FakeHub) -> None:
    path = "plain_text/train-00000-of-00001.parquet"
    url = f"{fake_hub.url}/datasets/stanfordnlp/imdb/resolve/main/{path}"
    data = fake_hub.file_bytes("stanfordnlp/imdb", path, repo_type="dataset")

    part = httpx.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.content == data[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
    tail = httpx.get(url, headers={"Range": "bytes=-16"})
    assert tail.status_code == 206
    assert tail.content == data[-16:]
    beyond = httpx.get(url, headers={"Range": f"bytes={len(data) + 5}-"})
    assert beyond.status_code == 416


def test_error_responses_carry_hub_error_codes(fake_hub: FakeHub) -> None:
    base = fake_hub.url
    cases = {
        f"{base}/api/models/nobody/nothing": (404, "RepoNotFound"),
        f"{base}/api/models/{BERT}/revision/v9.9.9": (404, "RevisionNotFound"),
        f"{base}/{BERT}/resolve/main/missing.bin": (404, "EntryNotFound"),
        f"{base}/meta-llama/Llama-3.2-1B/resolve/main/config.json": (401, "GatedRepo"),
        f"{base}/api/models/acme-private/internal-classifier": (401, "RepoNotFound"),
    }
    for url, (status, code) in cases.items():
        response = httpx.get(url)
        assert (response.status_code, response.headers.get("X-Error-Code")) == (status, code), url
        assert "error" in response.json()


# ---------------------------------------------------------------------------------- errors


def test_unknown_repo_raises_repository_not_found(fake_hub: FakeHub, tmp_path: Path) -> None:
    with pytest.raises(RepositoryNotFoundError):
        _api(fake_hub).model_info("nobody/nothing")
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download(
            "nobody/nothing", "config.json", endpoint=fake_hub.url, cache_dir=tmp_path, token=False
        )


def test_missing_file_and_revision_raise_typed_errors(fake_hub: FakeHub, tmp_path: Path) -> None:
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(
            BERT, "no-such-file.bin", endpoint=fake_hub.url, cache_dir=tmp_path, token=False
        )
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download(
            BERT,
            "config.json",
            revision="v9.9.9",
            endpoint=fake_hub.url,
            cache_dir=tmp_path,
            token=False,
        )
    with pytest.raises(RevisionNotFoundError):
        _api(fake_hub).model_info(BERT, revision="not-a-branch")


def test_gated_repo_metadata_is_public_but_files_are_not(fake_hub: FakeHub, tmp_path: Path) -> None:
    repo_id = "meta-llama/Llama-3.2-1B"
    info = _api(fake_hub).model_info(repo_id)
    assert info.gated == "manual"

    for token in (False, UNGRANTED_TOKEN):  # 401 anonymous, 403 logged in but not approved
        with pytest.raises(GatedRepoError):
            hf_hub_download(
                repo_id, "config.json", endpoint=fake_hub.url, cache_dir=tmp_path, token=token
            )
    path = hf_hub_download(
        repo_id, "config.json", endpoint=fake_hub.url, cache_dir=tmp_path, token=GRANTED_TOKEN
    )
    assert Path(path).read_bytes() == fake_hub.file_bytes(repo_id, "config.json")


def test_private_repo_is_hidden_without_a_granted_token(fake_hub: FakeHub) -> None:
    repo_id = "acme-private/internal-classifier"
    assert fake_hub.url is not None
    with pytest.raises(RepositoryNotFoundError):
        _api(fake_hub).model_info(repo_id)
    with pytest.raises(RepositoryNotFoundError):
        HfApi(endpoint=fake_hub.url, token=UNGRANTED_TOKEN).model_info(repo_id)
    info = HfApi(endpoint=fake_hub.url, token=GRANTED_TOKEN).model_info(repo_id)
    assert info.private is True


# ---------------------------------------------------------------------------------- knobs


def test_injected_server_error_then_recovery(fake_hub: FakeHub, hub_control: HubControl) -> None:
    hub_control.fail(BERT, status=503, times=1)
    api = _api(fake_hub)

    with pytest.raises(HfHubHTTPError) as caught:
        api.model_info(BERT)
    assert caught.value.response.status_code == 503
    assert api.model_info(BERT).id == BERT
    assert api.model_info("openai/whisper-tiny").id == "openai/whisper-tiny"


def test_lfs_redirect_mode_behaves_like_the_cdn(
    fake_hub: FakeHub, hub_control: HubControl, tmp_path: Path
) -> None:
    hub_control.lfs_redirect = True
    url = f"{fake_hub.url}/arnir0/Tiny-LLM/resolve/main/pytorch_model.bin"
    data = fake_hub.file_bytes("arnir0/Tiny-LLM", "pytorch_model.bin")

    head = httpx.head(url)
    assert head.status_code == 302
    assert head.headers["X-Linked-Size"] == str(len(data))
    assert "localhost" in head.headers["Location"]  # another origin than 127.0.0.1
    path = hf_hub_download(
        "arnir0/Tiny-LLM",
        "pytorch_model.bin",
        endpoint=fake_hub.url,
        cache_dir=tmp_path,
        token=False,
    )
    assert Path(path).read_bytes() == data


def test_hf_env_points_module_level_helpers_at_the_fake(hf_env: HfEnv, fake_hub: FakeHub) -> None:
    info = huggingface_hub.model_info("openai/whisper-tiny")
    path = Path(huggingface_hub.hf_hub_download("openai/whisper-tiny", "config.json"))

    assert info.sha == fake_hub.state("openai/whisper-tiny").head.sha
    assert hf_env.hub_cache in path.parents
    assert path.read_bytes() == fake_hub.file_bytes("openai/whisper-tiny", "config.json")


@pytest.mark.parametrize(
    "repo", [r for r in TABLE.hub_repos if not r.private], ids=lambda r: r.repo_id
)
def test_every_public_fixture_is_served(fake_hub: FakeHub, repo: HubRepo) -> None:
    api = _api(fake_hub)
    info = api.repo_info(repo.repo_id, repo_type=repo.repo_type)
    files = api.list_repo_files(repo.repo_id, repo_type=repo.repo_type)

    assert info.id == repo.repo_id
    assert "README.md" in files
    assert {f.path for f in repo.files} <= set(files)
