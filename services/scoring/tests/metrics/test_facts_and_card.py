"""ModelFacts from real ingest events, and the card reader the metrics share."""

from __future__ import annotations

import pytest

from registry_common.events import ArtifactRef, ArtifactUpdated
from registry_scoring.metrics import ModelFacts
from registry_scoring.metrics.card import Card, substantive_text
from services.scoring.tests.metrics.conftest import FactsOf
from services.scoring.tests.metrics.helpers import make_facts


@pytest.mark.integration
async def test_facts_of_bert_through_the_ingest_event(facts_of: FactsOf) -> None:
    facts = await facts_of("google-bert/bert-base-uncased")
    assert facts.type == "model"
    assert facts.repo_id == "google-bert/bert-base-uncased"
    assert facts.hub_repo_id == "google-bert/bert-base-uncased"
    assert facts.github_repo == "google-research/bert"
    # Canonical ids from the Hub tags; the card's legacy ids are the same datasets.
    assert facts.dataset_ids == ["bookcorpus/bookcorpus", "wikimedia/wikipedia"]
    assert facts.parent_refs == []
    assert facts.licenses == ["apache-2.0"]
    assert facts.readme is not None
    assert "## Usage" in facts.readme
    weights = {f.path for f in facts.weight_files()}
    assert {"model.safetensors", "pytorch_model.bin", "onnx/model.onnx"} <= weights
    with pytest.raises(TypeError):
        facts.metadata["license"] = "gpl-3.0"  # type: ignore[index]


@pytest.mark.integration
@pytest.mark.parametrize(
    ("repo", "parents"),
    [
        ("parvk11/audience_classifier_model", ["google-bert/bert-base-uncased"]),
        ("lineage-lab/minilm-imdb-sentiment", ["lineage-lab/minilm-base"]),
        (
            "lineage-lab/minilm-sentiment-merge",
            ["lineage-lab/minilm-base", "lineage-lab/minilm-imdb-sentiment"],
        ),
        ("cycle-lab/self-parent", []),
        ("openai/whisper-tiny", []),  # _name_or_path names the model itself
    ],
)
async def test_parent_references(facts_of: FactsOf, repo: str, parents: list[str]) -> None:
    assert (await facts_of(repo)).parent_refs == parents


@pytest.mark.integration
async def test_github_source_is_its_own_repository(facts_of: FactsOf) -> None:
    facts = await facts_of("https://github.com/openai/whisper")
    assert facts.source_kind == "github"
    assert facts.github_repo == "openai/whisper"


def test_truncated_manifest_and_files_override() -> None:
    event = ArtifactUpdated(
        source="ingest",
        artifact=ArtifactRef(id="x1", name="big", type="model"),
        metadata={"files": {"_truncated": 123456}},
    )
    facts = ModelFacts.from_event(event, "   ")
    assert facts.files == ()
    assert facts.files_truncated
    assert facts.readme is None  # blank text is no README
    facts = ModelFacts.from_event(
        event, None, files=[{"path": "model.safetensors", "size": 10, "kind": "weights"}]
    )
    assert [f.path for f in facts.weight_files()] == ["model.safetensors"]


def test_dataset_ids_from_tags_cards_and_links() -> None:
    facts = make_facts(
        {
            "tags": ["dataset:stanfordnlp/imdb"],
            "datasets": ["imdb", "org/other", "not a valid id"],
            "linked_datasets": [
                "https://huggingface.co/datasets/org/other",
                "https://huggingface.co/datasets/third/set",
            ],
        }
    )
    assert facts.dataset_ids == ["stanfordnlp/imdb", "org/other", "third/set"]


def test_github_repo_normalises_links() -> None:
    facts = make_facts({"linked_code": ["https://github.com/Owner/Repo.git"]})
    assert facts.github_repo == "Owner/Repo"
    assert make_facts({"linked_code": ["https://gitlab.com/a/b"]}).github_repo is None


CARD = """\
---
license: mit
---
# Title

<!-- Provide a quick summary -->
Intro text with several words in it for the reader.

## Uses

[More Information Needed]

### Direct Use

- **Developed by:** [More Information Needed]

## Usage

```python
# ## not a heading
from transformers import pipeline
```

## Limitations

It fails on long inputs and on languages other than English.
"""


def test_card_sections_skip_front_matter_comments_and_placeholders() -> None:
    card = Card(CARD)
    assert card.present
    assert "license: mit" not in card.body
    titles = [s.title for s in card.sections]
    assert titles == ["Title", "Uses", "Direct Use", "Usage", "Limitations"]
    assert card.find("uses") == []  # template placeholders only
    assert [s.title for s in card.find("usage", "limitation")] == ["Usage", "Limitations"]
    assert card.code_blocks[0][0] == "python"
    assert "Provide" not in substantive_text(CARD)
    assert "More Information" not in card.prose
    assert not Card(None).present
    assert Card(None).words == 0
