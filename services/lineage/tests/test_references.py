"""What counts as an ancestor reference in structured metadata."""

from __future__ import annotations

from registry_lineage.references import github_key, model_key, own_keys, references
from registry_lineage.service import external_id


def test_card_and_config_parents_datasets_and_code() -> None:
    metadata = {
        "card_data": {"base_model": "Org/Base", "base_model_relation": "adapter"},
        "config": {"_name_or_path": "org/other-parent", "base_model_name_or_path": "org/base"},
        "datasets": ["stanfordnlp/imdb"],
        "linked_code": ["https://github.com/Org/Tool.git", "https://github.com/org/tool/tree/x"],
        "linked_datasets": ["https://huggingface.co/datasets/wikimedia/wikipedia"],
    }
    found = {(r.key, r.relationship, r.source, r.relation) for r in references(metadata, [])}
    assert found == {
        ("hf:model:org/base", "base_model", "card_base_model", "adapter"),
        ("hf:model:org/other-parent", "base_model", "config_json", None),
        ("hf:dataset:stanfordnlp/imdb", "fine_tuning_dataset", "card_datasets", None),
        ("hf:dataset:wikimedia/wikipedia", "fine_tuning_dataset", "card_links", None),
        ("github:org/tool", "code_repository", "card_links", None),
    }


def test_local_paths_self_references_and_junk_are_ignored() -> None:
    metadata = {
        "base_models": ["me/model", "", 42],
        "card_data": {"base_model_relation": "telepathy"},
        "config": {"_name_or_path": "./checkpoints/run-3", "base_model": "/abs/path"},
    }
    own = own_keys("huggingface_model", "me/model", None)
    assert references(metadata, own) == []


def test_list_valued_base_model_is_a_merge_of_several_parents() -> None:
    metadata = {"card_data": {"base_model": ["a/one", "b/two"], "base_model_relation": "merge"}}
    assert [r.key for r in references(metadata, [])] == [model_key("a/one"), model_key("b/two")]


def test_own_keys_include_legacy_one_segment_ids() -> None:
    assert own_keys("huggingface_model", "google-bert/bert-base-uncased", None) == [
        "hf:model:google-bert/bert-base-uncased",
        "hf:model:bert-base-uncased",
    ]
    assert own_keys("github", "OpenAI/Whisper", None) == [github_key("openai", "whisper")]
    assert own_keys("kaggle", "someone/data", None) == []


def test_external_ids_are_stable_and_match_the_spec_pattern() -> None:
    identifier = external_id("hf:model:org/base")
    assert identifier == external_id("hf:model:org/base")
    assert identifier.replace("-", "").isalnum()
