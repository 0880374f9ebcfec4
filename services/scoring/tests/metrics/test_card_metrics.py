"""ramp_up_time, performance_claims, license and dataset_and_code_score: card-only metrics."""

from __future__ import annotations

import pytest

from registry_scoring.metrics import licensing, performance_claims, ramp_up
from registry_scoring.metrics.dataset_and_code import score as dataset_and_code
from services.scoring.tests.metrics.helpers import make_facts

RICH_CARD = (
    """\
# A model

"""
    + " ".join(["word"] * 420)
    + """

## Intended uses & limitations

Good for short English reviews; it fails on sarcasm and on other languages.

## Usage

```python
from transformers import pipeline
pipeline("text-classification", model="org/some-model")
```

## Evaluation

Accuracy 0.91 on the IMDB test split (arXiv:2101.00001).
"""
)
LOADABLE = {
    "library_name": "transformers",
    "pipeline_tag": "text-classification",
    "config": {"model_type": "bert"},
    "downloads": 1_000_000,
}


# ------------------------------------------------------------------ ramp_up_time


def test_ramp_up_rich_card_and_loadable_model_is_full() -> None:
    value, detail = ramp_up.score(make_facts(LOADABLE, RICH_CARD))
    assert value == pytest.approx(1.0)
    assert detail["readme"] is True


def test_ramp_up_without_readme_only_counts_loadability_and_community() -> None:
    value, detail = ramp_up.score(make_facts(LOADABLE, None))
    assert value == pytest.approx(0.45)
    assert detail["readme"] is False
    assert ramp_up.score(make_facts({}, None))[0] == 0.0


def test_ramp_up_code_block_without_a_load_call_counts_half() -> None:
    value, _ = ramp_up.score(make_facts({}, "# x\n\n```shell\nls\n```\n"))
    assert value == pytest.approx(0.125, abs=0.01)


# ------------------------------------------------------------------ performance_claims


def test_claims_substantiated_in_prose() -> None:
    value, detail = performance_claims.score(make_facts({}, RICH_CARD))
    assert value == pytest.approx(0.3 + 0.255 + 0.2 + 0.2)
    assert detail["evaluation_sections"] == ["Evaluation"]


def test_claims_from_model_index_only() -> None:
    card_data = {
        "model-index": [
            {
                "name": "m",
                "results": [
                    {
                        "dataset": {"name": "IMDB", "type": "imdb"},
                        "metrics": [{"type": "accuracy", "value": 0.9}],
                    }
                ],
            }
        ]
    }
    value, detail = performance_claims.score(make_facts({"card_data": card_data}, None))
    assert value == pytest.approx(0.8)  # no paper or citation
    assert detail["model_index_values"] == 1


def test_no_readme_or_template_card_claims_nothing() -> None:
    assert performance_claims.score(make_facts({}, None))[0] == 0.0
    template = "# Card\n\n## Evaluation\n\n[More Information Needed]\n"
    assert performance_claims.score(make_facts({"tags": ["arxiv:1"]}, template))[0] == 0.0


def test_a_paper_alone_substantiates_nothing() -> None:
    card = "# M\n\nSee https://arxiv.org/abs/1810.04805 for details.\n"
    assert performance_claims.score(make_facts({}, card))[0] == 0.0


# ------------------------------------------------------------------ license


@pytest.mark.parametrize(
    ("license_id", "expected"),
    [
        ("apache-2.0", 1.0),
        ("mit", 1.0),
        ("bsd-3-clause", 1.0),
        ("cc-by-4.0", 1.0),
        ("lgpl-2.1", 1.0),
        ("lgpl-3.0", 0.75),
        ("mpl-2.0", 0.75),
        ("openrail", 0.5),
        ("llama3.2", 0.5),
        ("cc-by-sa-4.0", 0.5),
        ("other", 0.25),
        ("some-new-license", 0.25),
        ("gpl-3.0", 0.0),
        ("gpl-2.0", 0.0),
        ("agpl-3.0", 0.0),
        ("cc-by-nc-4.0", 0.0),
        ("cc-by-nd-4.0", 0.0),
        ("cc-by-nc-sa-9.9", 0.0),
        ("unknown", 0.0),
    ],
)
def test_license_compatibility_with_lgpl_2_1(license_id: str, expected: float) -> None:
    value, _ = licensing.score(make_facts({"license": license_id, "licenses": [license_id]}))
    assert value == expected


def test_missing_license_is_zero() -> None:
    value, detail = licensing.score(make_facts({}, "# A model\n\nNo word about rights.\n"))
    assert value == 0.0
    assert "no license" in detail["reason"]


def test_several_licenses_take_the_least_compatible() -> None:
    facts = make_facts({"license": "mit", "licenses": ["mit", "cc-by-nc-4.0"]})
    assert licensing.score(facts)[0] == 0.0


def test_license_named_only_in_the_readme() -> None:
    card = "# M\n\n## License\n\nReleased under the GNU GPL v3.\n"
    value, detail = licensing.score(make_facts({}, card))
    assert (value, detail["source"]) == (0.0, "readme")
    card = "# M\n\n## Licensing\n\nMIT License, see LICENSE.\n"
    assert licensing.score(make_facts({}, card))[0] == 1.0


def test_other_license_with_a_known_name() -> None:
    facts = make_facts({"license": "other", "licenses": ["other"], "license_name": "llama3"})
    assert licensing.score(facts)[0] == 0.5


# ------------------------------------------------------------------ dataset_and_code_score


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({}, 0.0),
        ({"datasets": ["stanfordnlp/imdb"]}, 0.5),
        ({"linked_code": ["https://github.com/o/r"]}, 0.5),
        ({"tags": ["dataset:o/d"], "linked_code": ["https://github.com/o/r"]}, 1.0),
        ({"source_kind": "github", "repo_id": "o/r", "github": {"full_name": "o/r"}}, 0.5),
    ],
)
def test_dataset_and_code(metadata: dict[str, object], expected: float) -> None:
    assert dataset_and_code(make_facts(metadata, "Trained on data from the internet."))[0] == (
        expected
    )
