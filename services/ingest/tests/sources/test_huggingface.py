"""Fetching Hugging Face models and datasets from the fake Hub."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from registry_common.errors import NotFound, UpstreamError
from registry_ingest.sources.urls import parse_source_url
from services.ingest.tests.sources.helpers import fetch, make_fetcher
from tests.fakes.hub import GRANTED_TOKEN, FakeHub, HubControl

pytestmark = pytest.mark.integration

BERT = "https://huggingface.co/google-bert/bert-base-uncased"


async def _fetch(hub: FakeHub, url: str, tmp_path: Path, artifact_type: str = "model", **kw):  # type: ignore[no-untyped-def]
    assert hub.url is not None
    return await fetch(url, tmp_path, artifact_type, hub_url=hub.url, **kw)


async def test_bert(fake_hub: FakeHub, hub_control: HubControl, tmp_path: Path) -> None:
    source = await _fetch(fake_hub, BERT, tmp_path)
    paths = {f.path: f for f in source.files}
    assert set(paths) >= {
        "README.md", "config.json", "vocab.txt", "tokenizer.json", "tokenizer_config.json",
        "model.safetensors", "pytorch_model.bin", "tf_model.h5", "flax_model.msgpack",
        "rust_model.ot", "onnx/model.onnx", "onnx/config.json",
    }  # fmt: skip
    assert paths["model.safetensors"].kind == "weights"
    assert paths["vocab.txt"].kind == "tokenizer"
    assert paths["README.md"].kind == "card"
    for item in source.files:  # every byte mirrored and hashed
        expected = fake_hub.file_bytes("google-bert/bert-base-uncased", item.path)
        assert item.size == len(expected)
        assert item.sha256 == hashlib.sha256(expected).hexdigest()
        assert item.local_path is not None
        assert item.local_path.read_bytes() == expected
    assert source.complete is True
    assert source.notes == []
    head = fake_hub.state("google-bert/bert-base-uncased").resolve("main")
    assert head is not None
    assert source.revision == head.sha
    assert source.versions == []
    assert source.card_data["license"] == "apache-2.0"
    assert source.card_data["datasets"] == ["bookcorpus", "wikipedia"]
    assert source.card_text is not None
    assert source.card_text.startswith("---")
    assert "BERT base model (uncased)" in source.card_text
    assert source.config is not None
    assert source.config["model_type"] == "bert"
    meta = source.metadata
    assert meta["source_kind"] == "huggingface_model"
    assert meta["repo_id"] == "google-bert/bert-base-uncased"
    assert meta["license"] == "apache-2.0"
    assert meta["datasets"] == ["bookcorpus", "wikipedia"]
    assert meta["linked_code"] == ["https://github.com/google-research/bert"]
    assert meta["author"] == "google-bert"
    assert meta["downloads"] == 58_132_960
    assert meta["likes"] == 2_312
    assert meta["pipeline_tag"] == "fill-mask"
    assert meta["library_name"] == "transformers"
    assert meta["gated"] is False
    assert meta["private"] is False
    assert meta["hub_used_storage"] == 2_827_965_972
    assert meta["declared_bytes"] == meta["fetched_bytes"] == sum(f.size for f in source.files)
    assert meta["last_modified"].startswith("2024-02-19")
    json.dumps(meta)
    # Nothing reached a global cache: every request carried no credentials.
    assert all(r.authorization is None for r in hub_control.requests)


async def test_legacy_alias_resolves_to_the_canonical_repo(
    fake_hub: FakeHub, hub_control: HubControl, tmp_path: Path
) -> None:
    source = await _fetch(fake_hub, "https://huggingface.co/bert-base-uncased", tmp_path)
    assert source.ref.repo_id == "bert-base-uncased"
    assert source.metadata["repo_id"] == "google-bert/bert-base-uncased"
    assert source.complete


async def test_tag_revisions_differ(
    fake_hub: FakeHub, hub_control: HubControl, tmp_path: Path
) -> None:
    repo = "lineage-lab/minilm-imdb-sentiment"
    base = f"https://huggingface.co/{repo}/tree"
    old = await _fetch(fake_hub, f"{base}/v1.0.0", tmp_path / "old")
    new = await _fetch(fake_hub, f"{base}/v1.1.0", tmp_path / "new")
    weights = {s.ref.revision: next(f for f in s.files if f.path == "model.safetensors")
               for s in (old, new)}  # fmt: skip
    assert weights["v1.0.0"].sha256 != weights["v1.1.0"].sha256
    for tag, item in weights.items():
        expected = fake_hub.file_bytes(repo, "model.safetensors", tag)
        assert item.sha256 == hashlib.sha256(expected).hexdigest()
    state = fake_hub.state(repo)
    for fetched, tag in ((old, "v1.0.0"), (new, "v1.1.0")):
        commit = state.resolve(tag)
        assert commit is not None
        assert fetched.revision == commit.sha
    assert old.versions == ["1.0.0", "1.1.0", "1.2.0"]
    assert old.metadata["base_models"] == ["lineage-lab/minilm-base"]
    assert old.metadata["base_model_relation"] == "finetune"
    assert old.metadata["linked_code"] == ["https://github.com/lineage-lab/sentiment-toolkit"]
    assert old.config is not None
    assert old.config["_name_or_path"] == "lineage-lab/minilm-base"


async def test_malformed_card_is_recorded_not_raised(
    fake_hub: FakeHub, hub_control: HubControl, tmp_path: Path
) -> None:
    source = await _fetch(
        fake_hub, "https://huggingface.co/broken-cards/malformed-yaml-model", tmp_path
    )
    assert source.card_error is not None
    assert "YAML" in source.card_error
    assert source.card_data == {}
    assert source.card_text is not None
    assert "# Broken card" in source.card_text
    assert source.complete is True
    assert source.metadata["license"] is None


async def test_gated_model_is_metadata_only(
    fake_hub: FakeHub, hub_control: HubControl, tmp_path: Path
) -> None:
    source = await _fetch(fake_hub, "https://huggingface.co/meta-llama/Llama-3.2-1B", tmp_path)
    assert source.complete is False
    assert any("needs credentials" in note for note in source.notes)
    assert source.files
    assert all(not f.fetched and f.sha256 is None for f in source.files)
    assert {f.path for f in source.files} >= {"README.md", "model.safetensors"}
    assert all(f.size > 0 for f in source.files)  # sizes from the hub's metadata
    assert source.card_data["license"] == "llama3.2"  # from the API's cardData
    assert source.card_text is None
    meta = source.metadata
    assert meta["gated"] == "manual"
    assert meta["needs_credentials"] is True
    assert meta["license"] == "llama3.2"
    assert meta["fetched_bytes"] == 0
    assert meta["declared_bytes"] == sum(f.size for f in source.files)
    # One download was tried, not one per file.
    resolves = [r for r in hub_control.requests if "/resolve/" in r.path]
    assert len(resolves) == 1


async def test_gated_model_with_a_granted_token(
    fake_hub: FakeHub, hub_control: HubControl, tmp_path: Path
) -> None:
    source = await _fetch(
        fake_hub, "https://huggingface.co/meta-llama/Llama-3.2-1B", tmp_path,
        hf_token=GRANTED_TOKEN,
    )  # fmt: skip
    assert source.complete is True
    assert all(r.authorization == f"Bearer {GRANTED_TOKEN}" for r in hub_control.requests)


async def test_private_repo_is_not_found_without_a_token(
    fake_hub: FakeHub, hub_control: HubControl, tmp_path: Path
) -> None:
    """The Hub answers 401 for private and missing repos alike, so both are NotFound."""
    url = "https://huggingface.co/acme-private/internal-classifier"
    with pytest.raises(NotFound, match="or it is private"):
        await _fetch(fake_hub, url, tmp_path)
    granted = await _fetch(fake_hub, url, tmp_path / "granted", hf_token=GRANTED_TOKEN)
    assert granted.complete
    assert granted.metadata["private"] is True


async def test_missing_repo_and_revision(
    fake_hub: FakeHub, hub_control: HubControl, tmp_path: Path
) -> None:
    with pytest.raises(NotFound, match="No Hugging Face model 'nobody/nothing' exists at"):
        await _fetch(fake_hub, "https://huggingface.co/nobody/nothing", tmp_path)
    with pytest.raises(NotFound, match="No Hugging Face dataset"):
        await _fetch(fake_hub, "https://huggingface.co/datasets/nobody/nothing", tmp_path)
    with pytest.raises(NotFound, match=r"has no revision 'v9\.9\.9'"):
        await _fetch(fake_hub, f"{BERT}/tree/v9.9.9", tmp_path)
    with pytest.raises(NotFound, match="has no folder 'nope'"):
        await _fetch(fake_hub, f"{BERT}/tree/main/nope", tmp_path)


async def test_outage_is_an_upstream_error_after_bounded_retries(
    fake_hub: FakeHub, hub_control: HubControl, tmp_path: Path
) -> None:
    hub_control.fail("google-bert/bert-base-uncased", status=503)
    with pytest.raises(UpstreamError) as caught:
        await _fetch(fake_hub, BERT, tmp_path)
    assert caught.value.status == 502
    assert "Hugging Face" in caught.value.message
    assert "503" in caught.value.message
    assert len(hub_control.requests) == 3  # the fast policy's three attempts, no more


async def test_transient_failures_are_retried(
    fake_hub: FakeHub, hub_control: HubControl, tmp_path: Path
) -> None:
    hub_control.fail("google-bert/bert-base-uncased", status=503, times=1)
    assert (await _fetch(fake_hub, BERT, tmp_path / "a")).complete
    hub_control.fail("google-bert/bert-base-uncased", status=429, times=1, retry_after=0)
    assert (await _fetch(fake_hub, BERT, tmp_path / "b")).complete
    statuses = [r.status for r in hub_control.requests]
    assert statuses.count(503) == 1
    assert statuses.count(429) == 1


async def test_unreachable_hub_is_an_upstream_error(tmp_path: Path) -> None:
    fetcher = make_fetcher(timeout=2.0)  # aimed nowhere
    with pytest.raises(UpstreamError, match="Hugging Face"):
        await fetcher.fetch(parse_source_url(BERT, "model"), tmp_path)


async def test_weights_over_the_budget_are_not_mirrored(
    fake_hub: FakeHub, hub_control: HubControl, tmp_path: Path
) -> None:
    source = await _fetch(fake_hub, BERT, tmp_path, max_fetch_bytes=1000)
    weights = [f for f in source.files if f.kind == "weights"]
    assert len(weights) == 6
    assert all(not f.fetched for f in weights)
    assert all(f.fetched for f in source.files if f.kind in ("card", "config", "tokenizer"))
    assert source.complete is False
    assert len(source.notes) == 1
    assert source.notes[0].startswith("Weights were not mirrored:")
    assert "1000 bytes ingest limit" in source.notes[0]
    assert source.metadata["declared_bytes"] > source.metadata["fetched_bytes"]
    # Within a budget that holds one copy, safetensors is the one kept.
    one = await _fetch(fake_hub, BERT, tmp_path / "one", max_fetch_bytes=12_000)
    kept = [f.path for f in one.files if f.kind == "weights" and f.fetched]
    assert kept == ["model.safetensors"]


async def test_dataset_with_a_paginated_tree(
    fake_hub: FakeHub, hub_control: HubControl, tmp_path: Path
) -> None:
    hub_control.tree_page_size = 10
    source = await _fetch(
        fake_hub, "https://huggingface.co/datasets/wikimedia/wikipedia", tmp_path, "dataset"
    )
    parquet = [f for f in source.files if f.path.endswith(".parquet")]
    assert len(parquet) == 62
    assert all(f.kind == "data" and f.fetched for f in parquet)
    assert {f.path.split("/")[0] for f in parquet} == {
        "20231101.en", "20231101.fr", "20231101.simple"
    }  # fmt: skip
    assert source.complete
    assert source.metadata["source_kind"] == "huggingface_dataset"
    assert source.metadata["licenses"] == ["cc-by-sa-3.0", "gfdl"]
    assert source.metadata["license"] == "cc-by-sa-3.0"
    tree_calls = [r for r in hub_control.requests if "/tree/" in r.path]
    assert len(tree_calls) >= 7  # 64 entries, 10 per page


async def test_data_over_the_budget(
    fake_hub: FakeHub, hub_control: HubControl, tmp_path: Path
) -> None:
    url = "https://huggingface.co/datasets/bookcorpus/bookcorpus"
    source = await _fetch(fake_hub, url, tmp_path, "dataset", max_fetch_bytes=4000)
    data = [f for f in source.files if f.kind == "data"]
    assert [f.fetched for f in data] == [True, False, False]  # 2 KiB each, one fits beside the card
    assert source.notes[0].startswith("Data files were not mirrored: 4 KiB in 2 file(s)")
    assert source.complete is False


async def test_sub_folder(fake_hub: FakeHub, hub_control: HubControl, tmp_path: Path) -> None:
    source = await _fetch(fake_hub, f"{BERT}/tree/main/onnx", tmp_path)
    assert [f.path for f in source.files] == ["README.md", "config.json", "model.onnx"]
    assert source.config == {"architectures": ["BertForMaskedLM"], "model_type": "bert"}
    assert source.card_data["license"] == "apache-2.0"  # the root card comes along


async def test_lfs_files_behind_a_cdn_redirect(
    fake_hub: FakeHub, hub_control: HubControl, tmp_path: Path
) -> None:
    hub_control.lfs_redirect = True
    source = await _fetch(fake_hub, "https://huggingface.co/arnir0/Tiny-LLM", tmp_path)
    assert source.complete
    assert any(f.kind == "weights" and f.fetched for f in source.files)
