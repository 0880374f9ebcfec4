"""bus_factor, code_quality and reviewedness against the fake GitHub (and the fake Hub)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from registry_scoring.metrics import (
    MetricContext,
    MetricUnavailable,
    bus_factor,
    code_quality,
    reviewedness,
)
from services.scoring.tests.metrics.conftest import FactsOf
from services.scoring.tests.metrics.helpers import make_facts
from tests.fakes.github import GitHubControl

WHISPER_CODE = {"linked_code": ["https://github.com/openai/whisper"], "source_kind": "upload"}


# ------------------------------------------------------------------ bus_factor


def test_effective_maintainers_and_the_bus_curve() -> None:
    assert bus_factor.effective_people(Counter()) == 0.0
    assert bus_factor.effective_people(Counter(a=5)) == 1.0
    assert bus_factor.effective_people(Counter(a=3, b=3)) == pytest.approx(2.0)
    assert bus_factor.effective_people(Counter(a=9, b=1)) == pytest.approx(1.22, abs=0.01)
    assert [bus_factor.bus_value(n) for n in (0, 1, 2, 4, 9)] == [0.0, 0.0, 0.5, 1.0, 1.0]


@pytest.mark.integration
@pytest.mark.parametrize(
    ("repo", "expected"),
    [
        # Hub: ybelkada, lysandre; GitHub: jacob-d 5, contrib-alex 2, nlp-priya 2, kenton-l 1.
        ("google-bert/bert-base-uncased", 1.0),
        ("parvk11/audience_classifier_model", 0.0),  # one uploader, no code
        ("openai/whisper-tiny", 0.424),  # sanchit-gandhi 2, ArthurZ 1; "system" is no one
    ],
)
async def test_bus_factor_of_fixture_models(
    facts_of: FactsOf, ctx: MetricContext, repo: str, expected: float
) -> None:
    result = await bus_factor.compute(await facts_of(repo), ctx)
    assert result.value == pytest.approx(expected, abs=0.001)
    assert result.latency >= 0


@pytest.mark.integration
async def test_bus_factor_ignores_bots_and_unknown_repositories(ctx: MetricContext) -> None:
    result = await bus_factor.compute(make_facts(WHISPER_CODE), ctx)
    assert "dependabot[bot]" not in result.detail["github_contributors"]
    assert result.detail["people"] == 6  # 7 contributors, one of them a bot
    gone = make_facts({"linked_code": ["https://github.com/nobody/nothing"]})
    result = await bus_factor.compute(gone, ctx)
    assert (result.value, result.detail["github"]) == (0.0, "linked repository not found")


# ------------------------------------------------------------------ code_quality


@pytest.mark.integration
async def test_code_quality_of_linked_repositories(ctx: MetricContext) -> None:
    bert = await code_quality.compute(
        make_facts({"linked_code": ["https://github.com/google-research/bert"]}), ctx
    )
    assert bert.value == pytest.approx(0.9)  # everything but CI
    assert bert.detail["terms"]["ci"] == 0.0
    whisper = await code_quality.compute(make_facts(WHISPER_CODE), ctx)
    assert whisper.detail["terms"]["ci"] == 0.1
    assert whisper.detail["terms"]["tests"] == 0.2
    unlicensed = await code_quality.compute(
        make_facts({"linked_code": ["https://github.com/lineage-lab/sql-lora-recipes"]}), ctx
    )
    assert unlicensed.detail["terms"]["license"] == 0.0
    assert unlicensed.value < 0.5


@pytest.mark.integration
async def test_code_quality_without_code_is_zero(ctx: MetricContext) -> None:
    assert (await code_quality.compute(make_facts({}), ctx)).value == 0.0
    gone = make_facts({"linked_code": ["https://github.com/nobody/nothing"]})
    assert (await code_quality.compute(gone, ctx)).value == 0.0


# ------------------------------------------------------------------ reviewedness


@pytest.mark.integration
async def test_no_linked_repository_is_minus_one(ctx: MetricContext) -> None:
    result = await reviewedness.compute(make_facts({}), ctx)
    assert result.value == -1
    gone = make_facts({"linked_code": ["https://github.com/nobody/nothing"]})
    assert (await reviewedness.compute(gone, ctx)).value == -1


@pytest.mark.integration
async def test_reviewedness_of_bert_skips_the_merge_commit(ctx: MetricContext) -> None:
    facts = make_facts({"linked_code": ["https://github.com/google-research/bert"]})
    result = await reviewedness.compute(facts, ctx)
    # Code lines (LICENSE excluded): initial 2652, SQuAD 1283, #12 1, #40 24+41,
    # multilingual 138, #88 12 (unreviewed), #101 469+40, release 61. Reviewed: #12, #40, #101.
    assert result.detail["code_lines"] == 4721
    assert result.detail["reviewed_lines"] == 1 + 65 + 509
    assert result.detail["merge_commits_skipped"] == 1
    assert result.detail["reviewed_pulls"] == [12, 40, 101]
    assert result.value == pytest.approx(575 / 4721, abs=1e-4)


@pytest.mark.integration
async def test_reviewedness_review_rules_on_whisper(ctx: MetricContext) -> None:
    result = await reviewedness.compute(make_facts(WHISPER_CODE), ctx)
    # #70 merged with only "changes requested" counts (a human reviewed it); the dependabot PR
    # approved by a maintainer counts; #1700 (no review) and direct pushes do not; #2100 is
    # still open. LICENSE is not code.
    assert result.detail["reviewed_pulls"] == [25, 70, 869, 1001, 1500]
    assert result.detail["code_lines"] == 1093
    assert result.detail["reviewed_lines"] == 22 + 12 + 220 + 36 + 1


@pytest.mark.integration
async def test_reviewedness_reads_a_bounded_window(ctx: MetricContext) -> None:
    ctx.reviewedness_max_commits = 3
    facts = make_facts({"linked_code": ["https://github.com/google-research/bert"]})
    result = await reviewedness.compute(facts, ctx)
    assert result.detail["history_truncated"] is True
    assert result.detail["commits_inspected"] == 3
    assert result.value == pytest.approx(509 / (61 + 509 + 12), abs=1e-4)


@pytest.mark.integration
async def test_reviewedness_fails_loudly_when_github_is_rate_limited(
    ctx: MetricContext, github_control: GitHubControl
) -> None:
    github_control.exhaust_rate_limit(reset_in_seconds=300)
    facts = make_facts({"linked_code": ["https://github.com/google-research/bert"]})
    with pytest.raises(MetricUnavailable) as caught:
        await reviewedness.compute(facts, ctx)
    assert caught.value.service == "GitHub"


class _Reviews:
    def __init__(self, reviews: list[dict[str, Any]]) -> None:
        self.reviews = reviews

    async def pull_reviews(self, full_name: str, number: int) -> list[dict[str, Any]]:
        return self.reviews


def _review(login: str, state: str, kind: str = "User") -> dict[str, Any]:
    return {"user": {"login": login, "type": kind}, "state": state}


@pytest.mark.parametrize(
    ("reviews", "merged", "expected"),
    [
        ([_review("bob", "APPROVED")], True, True),
        ([_review("bob", "COMMENTED")], True, True),
        ([_review("bob", "CHANGES_REQUESTED")], True, True),
        ([_review("bob", "APPROVED")], False, False),  # never merged
        ([_review("alice", "APPROVED")], True, False),  # the author herself
        ([_review("copilot[bot]", "APPROVED", "Bot")], True, False),  # not a human
        ([_review("bob", "DISMISSED"), _review("bob", "PENDING")], True, False),
        ([], True, False),
    ],
)
async def test_what_counts_as_a_review(
    reviews: list[dict[str, Any]], merged: bool, expected: bool
) -> None:
    pull = {"number": 1, "user": {"login": "alice"}, "merged_at": "2024-01-01" if merged else None}
    client: Any = _Reviews(reviews)
    assert await reviewedness.pull_is_reviewed(client, "o/r", pull) is expected


@pytest.mark.parametrize(
    ("path", "counted"),
    [
        ("src/model.py", True),
        ("README.md", True),
        ("LICENSE", False),
        ("COPYING.txt", False),
        ("weights/model.safetensors", False),
        ("data/train.parquet", False),
        ("third_party/lib/x.c", False),
        ("node_modules/a/index.js", False),
        ("docs/logo.png", False),
        ("uv.lock", False),
        ("static/app.min.js", False),
    ],
)
def test_which_files_are_code(path: str, counted: bool) -> None:
    from registry_scoring.metrics.repository import is_code

    assert is_code(path) is counted
