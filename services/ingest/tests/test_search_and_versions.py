"""Regex search is linear-time and explains refusals; version queries follow npm semver."""

from __future__ import annotations

import pytest

from registry_common.errors import BadRequest
from registry_ingest.search import MAX_PATTERN_LENGTH, compile_search
from registry_ingest.versions import compile_version_query, normalize_tag


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        (".*?(audience|bert).*", "bert-base-uncased", True),
        ("^bert$", "bert-base-uncased", False),
        ("^bert", "bert-base-uncased", True),
        ("(?i)WHISPER", "openai-whisper", True),
        ("classifier", "audience_classifier_model", True),
        ("xyz", "bert", False),
    ],
)
def test_search_semantics(pattern: str, text: str, expected: bool) -> None:
    assert compile_search(pattern)(text) is expected


@pytest.mark.timeout(30)  # a hang guard, not a speed measurement (see docs/benchmarks.md)
@pytest.mark.parametrize(
    ("pattern", "found"),
    [("(a+)+$", False), ("(a|aa)+$", False), ("(.*a){20}", True), ("((a*)*)*b", False)],
)
def test_hostile_patterns_terminate(pattern: str, found: bool) -> None:
    # A backtracking engine would not finish these in years; RE2 is linear in the text.
    assert compile_search(pattern)("a" * 100_000 + "!") is found


@pytest.mark.parametrize(
    ("pattern", "says"),
    [
        ("(unclosed", "not valid"),
        ("(a)\\1", "backreference"),
        ("foo(?=bar)", "lookahead"),
        ("(?<!x)y", "lookbehind"),
        ("", "non-empty"),
        ("a" * (MAX_PATTERN_LENGTH + 1), "longer than"),
    ],
)
def test_refusals_say_why(pattern: str, says: str) -> None:
    with pytest.raises(BadRequest, match=says):
        compile_search(pattern)


@pytest.mark.parametrize(
    ("tag", "normal"),
    [
        ("v1.2.0", "1.2.0"),
        ("1.2.0", "1.2.0"),
        ("V2", "2.0.0"),
        ("1.3", "1.3.0"),
        ("v1.0.0-rc.1", "1.0.0-rc.1"),
        ("main", None),
        ("release-2024", None),
        ("", None),
    ],
)
def test_tags_normalize(tag: str, normal: str | None) -> None:
    assert normalize_tag(tag) == normal


@pytest.mark.parametrize(
    ("query", "inside", "outside"),
    [
        ("1.2.3", ["1.2.3", "v1.2.3"], ["1.2.4", "1.2.30"]),
        ("1.2.3-2.1.0", ["1.2.3", "1.9.9", "2.1.0", "v2.0.0"], ["1.2.2", "2.1.1"]),
        ("1.2.3 - 2.1.0", ["2.0.0"], ["3.0.0"]),
        ("~1.2.0", ["1.2.0", "1.2.9"], ["1.3.0", "1.1.9"]),
        ("^1.2.0", ["1.2.0", "1.9.0"], ["2.0.0", "1.1.0"]),
        ("^0.2.3", ["0.2.3", "0.2.9"], ["0.3.0"]),
        ("^0.0.3", ["0.0.3"], ["0.0.4"]),
    ],
)
def test_version_queries(query: str, inside: list[str], outside: list[str]) -> None:
    satisfied_by = compile_version_query(query)
    assert all(satisfied_by(v) for v in inside), inside
    assert not any(satisfied_by(v) for v in outside), outside


def test_prereleases_and_non_versions_never_match_ranges() -> None:
    satisfied_by = compile_version_query("^1.0.0")
    assert not satisfied_by("not-a-version")
    assert not satisfied_by("1.1.0-beta.1")


@pytest.mark.parametrize("query", ["", "latest", "2.0.0-1.0.0", ">>1", "1.2.3.4.5"])
def test_malformed_version_queries_are_400(query: str) -> None:
    with pytest.raises(BadRequest):
        compile_version_query(query)


@pytest.mark.parametrize(
    ("query", "sentence"),
    [
        ("2.0.0-1.0.0", "The version range '2.0.0-1.0.0' must go from low to high."),
        (
            "latest",
            "The version query 'latest' is not understood; use 1.2.3, 1.2.3-2.1.0, ~1.2.0 or "
            "^1.2.0.",
        ),
    ],
)
def test_a_malformed_version_query_says_what_is_understood(query: str, sentence: str) -> None:
    with pytest.raises(BadRequest) as refused:
        compile_version_query(query)
    assert refused.value.status == 400
    assert refused.value.message == sentence
