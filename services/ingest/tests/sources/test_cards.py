"""Model cards and config.json are parsed without ever raising; links are normalized."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from registry_ingest.sources.cards import (
    as_list,
    card_facts,
    github_links,
    hf_dataset_links,
    json_safe,
    licenses_of,
    read_card,
    read_config,
)

CARD = """\
---
license: apache-2.0
base_model: org/parent
datasets:
  - stanfordnlp/imdb
released: 2024-01-02
---
# A model

Code: https://github.com/Owner/Repo.git and https://github.com/owner/repo/tree/main/x.
See https://huggingface.co/datasets/org/data/viewer and github.com/topics/ml.
"""


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_card_with_front_matter(tmp_path: Path) -> None:
    text, data, error = read_card(_write(tmp_path, "README.md", CARD))
    assert text == CARD  # the whole README, front matter included, for search
    assert error is None
    assert data["license"] == "apache-2.0"
    assert data["released"] == "2024-01-02"  # dates become JSON-friendly strings
    json.dumps(data)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ('---\nlicense: mit\ntags: [a\nbase_model: : "x\n---\n# body\n', "not valid YAML"),
        ("---\n- a\n- b\n---\n# body\n", "not a mapping"),
        (b"---\nlicense: mit\n---\n\xff\xfe bad bytes", "not valid UTF-8"),
    ],
)
def test_malformed_cards_give_an_error_sentence(
    tmp_path: Path, content: str | bytes, fragment: str
) -> None:
    text, data, error = read_card(_write(tmp_path, "README.md", content))
    assert data == {}
    assert error is not None
    assert fragment in error
    assert error.endswith(".")
    assert (text is not None and "body" in text) or "bad bytes" in (text or "")


def test_card_without_front_matter_or_file(tmp_path: Path) -> None:
    assert read_card(_write(tmp_path, "README.md", "# Just text\n")) == ("# Just text\n", {}, None)
    assert read_card(None) == (None, {}, None)
    assert read_card(tmp_path / "missing.md") == (None, {}, None)


@pytest.mark.parametrize(
    ("content", "expected_error"),
    [
        ('{"model_type": "bert"}', None),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "does not hold a JSON object"),
        (b"\xff\xfe", "not valid UTF-8"),
    ],
)
def test_read_config(tmp_path: Path, content: str | bytes, expected_error: str | None) -> None:
    config, error = read_config(_write(tmp_path, "config.json", content))
    if expected_error is None:
        assert config == {"model_type": "bert"}
        assert error is None
    else:
        assert config is None
        assert error is not None
        assert expected_error in error
    assert read_config(None) == (None, None)


def test_links_are_normalized_and_deduplicated() -> None:
    assert github_links(CARD) == ["https://github.com/Owner/Repo"]
    assert github_links(CARD, exclude="owner/repo") == []
    assert github_links({"nested": ["see https://github.com/a/b."]}) == ["https://github.com/a/b"]
    assert github_links("https://github.com/features/copilot") == []
    assert hf_dataset_links(CARD) == ["https://huggingface.co/datasets/org/data"]


def test_card_facts() -> None:
    data = {
        "license": ["MIT", "cc-by-4.0"],
        "base_model": ["a/one", "b/two"],
        "base_model_relation": "merge",
        "datasets": "org/set",
        "tags": ["x"],
        "pipeline_tag": "text-classification",
    }
    facts = card_facts(data, "Code: https://github.com/o/r")
    assert facts["license"] == "mit"
    assert facts["licenses"] == ["mit", "cc-by-4.0"]
    assert facts["base_models"] == ["a/one", "b/two"]
    assert facts["base_model_relation"] == "merge"
    assert facts["datasets"] == ["org/set"]
    assert facts["linked_code"] == ["https://github.com/o/r"]
    assert facts["linked_datasets"] == ["https://huggingface.co/datasets/org/set"]
    assert facts["tags"] == ["x"]
    # Hub tags give the license when the card has none.
    assert card_facts({}, None, tags=["license:apache-2.0"])["license"] == "apache-2.0"


def test_small_helpers() -> None:
    assert as_list("a") == ["a"]
    assert as_list(" ") == []
    assert as_list(["a", 1, None]) == ["a", "1"]
    assert as_list({"x": 1}) == []
    assert licenses_of({"license": "Apache-2.0"}) == ["apache-2.0"]
    assert json_safe({"a": (1, float("nan")), 2: b"x", "o": object}) == {
        "a": [1, "nan"],
        "2": "x",
        "o": str(object),
    }
