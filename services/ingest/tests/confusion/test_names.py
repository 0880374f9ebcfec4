"""Name signals of the confusion audit: each trick is recognised, honest names are not."""

from __future__ import annotations

import pytest

from registry_ingest.confusion.index import NameMatcher, PopularIndex
from registry_ingest.confusion.names import compare, forms, max_typo_distance

CYRILLIC_A = "\N{CYRILLIC SMALL LETTER A}"


@pytest.mark.parametrize(
    ("candidate", "original", "kind", "reason"),
    [
        ("bert-base-uncassed", "bert-base-uncased", "typo", "is 1 edit from 'bert-base-uncased'"),
        ("bert-base-uncsaed", "bert-base-uncased", "typo", "is 1 edit from"),  # transposition
        ("bret-bsae-uncased", "bert-base-uncased", "typo", "is 2 edits from"),
        (f"bert-base-unc{CYRILLIC_A}sed", "bert-base-uncased", "homoglyph", "non-ASCII"),
        ("1lama-2-7b", "llama-2-7b", "homoglyph", "'1' for 'l'"),
        ("g00gle-t5", "google-t5", "homoglyph", "'0' for 'o'"),
        ("modei-rnini", "model-mini", "homoglyph", "look-alike"),  # i for l, rn for m
        (  # NFKC folds full-width letters
            "\N{FULLWIDTH LATIN SMALL LETTER B}\N{FULLWIDTH LATIN SMALL LETTER E}rt-base",
            "bert-base",
            "homoglyph",
            "full-width",
        ),
        ("b\N{LATIN SMALL LETTER E WITH ACUTE}rt-base", "bert-base", "homoglyph", "accented"),
        ("bert_base_uncased", "bert-base-uncased", "delimiter", "separators"),
        ("bertbaseuncased", "bert-base-uncased", "delimiter", "separators"),
        ("BERT-base-uncased", "bert-base-uncased", "case", "letter case"),
        ("uncased-base-bert", "bert-base-uncased", "reorder", "another order"),
        ("bert-base-uncased-official", "bert-base-uncased", "affix", "'official' added"),
        ("pyrequests", "requests", "affix", "'py' added"),
        ("evil/bert-base-uncased", "google-bert/bert-base-uncased", "scope", "owner 'evil'"),
    ],
)
def test_each_trick_is_recognised(candidate: str, original: str, kind: str, reason: str) -> None:
    match = compare(forms(candidate), forms(original))
    assert match is not None
    assert match.kind == kind
    assert reason in match.reason
    assert 0 < match.strength <= 1


@pytest.mark.parametrize(
    ("candidate", "original"),
    [
        ("bert-base-uncased", "bert-base-uncased"),  # the same name is no trick by itself
        ("whisper-small", "bert-base-uncased"),
        ("bert-large-cased", "bert-base-uncased"),
        ("t5", "t3"),  # too short for any typo allowance
        ("gpt2-medium", "gpt2-large"),
    ],
)
def test_distinct_names_do_not_match(candidate: str, original: str) -> None:
    assert compare(forms(candidate), forms(original)) is None


def test_typo_allowance_grows_with_length() -> None:
    assert [max_typo_distance(n) for n in (3, 4, 8, 9, 30)] == [0, 1, 1, 2, 2]
    assert compare(forms("phi-8"), forms("phi-2")) is not None  # 4 letters: 1 edit allowed
    assert compare(forms("mistrl-7"), forms("mixtral-7")) is None  # 2 edits of an 8-letter


def test_the_index_finds_what_compare_finds_without_scanning_everything() -> None:
    popular = ["bert-base-uncased", "llama-2-7b", "whisper-small", "requests", "roberta-base"]
    index = PopularIndex([forms(n) for n in popular])
    cases = {
        "bert-base-uncasd": "bert-base-uncased",
        "berta-base-uncased": "bert-base-uncased",
        "1lama-2-7b": "llama-2-7b",
        "whisper_small": "whisper-small",
        "small-whisper": "whisper-small",
        "pyrequests": "requests",
        "robreta-base": "roberta-base",
    }
    for candidate, original in cases.items():
        found = [popular[position] for position, _ in index.matches(forms(candidate))]
        assert found[:1] == [original], candidate
    assert index.matches(forms("resnet-50")) == []


def test_the_matcher_keeps_matches_and_rebuilds_when_the_top_moves() -> None:
    matcher = NameMatcher(headroom=2)
    ranked = ["bert-base-uncased", "llama-2-7b", "whisper-small", "gpt2"]
    names = ["bert-base-uncasd", "llama-2-7b", "resnet-50"]
    first = matcher.matches(names, ranked, k=2)
    assert [p for p, _ in first["bert-base-uncasd"]] == ["bert-base-uncased"]
    assert first["resnet-50"] == []
    assert matcher.rebuilds == 1
    assert matcher.word_use["base"] == 1
    # whisper-small enters the top 2: it is indexed already (headroom), nothing is rebuilt.
    matcher.matches([*names, "whisper-smal"], ["whisper-small", "bert-base-uncased"], k=2)
    assert matcher.rebuilds == 1
    # A name never indexed reaches the top: rebuild; a name that left is forgotten.
    again = matcher.matches(["resnet-5o"], ["resnet-50", "gpt2"], k=2)
    assert matcher.rebuilds == 2
    assert set(again) == {"resnet-5o"}
    assert [p for p, _ in again["resnet-5o"]] == ["resnet-50"]
    assert matcher.word_use["base"] == 0
