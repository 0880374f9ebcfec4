"""rate(): the spec's 26 fields, concurrency, loud failures, tree_score over the lineage."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from registry_scoring.metrics import (
    FIELDS,
    MetricContext,
    MetricResult,
    MetricUnavailable,
    ModelFacts,
    RatingFailed,
    rate,
    rate_detailed,
    tree,
)
from registry_scoring.metrics.net import WEIGHTS, combine
from registry_scoring.metrics.tree import tree_value
from services.scoring.tests.metrics.conftest import FactsOf
from services.scoring.tests.metrics.helpers import make_facts, reproducibility_stub
from tests.fakes.github import GitHubControl

SPEC = Path(__file__).resolve().parents[4] / "docs" / "spec" / "openapi.yaml"


def _model_rating_schema() -> dict[str, Any]:
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    schema: dict[str, Any] = spec["components"]["schemas"]["ModelRating"]
    return schema


class ParentStore:
    """A stand-in for the scoring service's rating store: reference -> net score."""

    def __init__(self, scores: Mapping[str, float] | None = None) -> None:
        self.scores = dict(scores or {})
        self.asked: list[list[str]] = []

    async def __call__(self, references: Sequence[str]) -> Mapping[str, float]:
        self.asked.append(list(references))
        return {r: self.scores[r] for r in references if r in self.scores}


# ------------------------------------------------------------------ net and tree (pure)


def test_net_weights_sum_to_one_and_skip_missing_values() -> None:
    assert sum(WEIGHTS.values()) == pytest.approx(1.0)
    everything = dict.fromkeys(WEIGHTS, 1.0)
    assert combine(everything) == pytest.approx(1.0)
    assert combine({**everything, "reviewedness": -1.0}) == pytest.approx(1.0)
    assert combine({**everything, "license": 0.0}) == pytest.approx(0.8)
    assert combine({}) == 0.0


def test_tree_value_is_the_parents_mean_or_the_model_itself() -> None:
    assert tree_value({}, 0.42)[0] == 0.42
    assert tree_value({"a/b": 0.8, "c/d": 0.4}, 0.1)[0] == pytest.approx(0.6)


async def test_tree_compute_asks_only_for_direct_parents() -> None:
    store = ParentStore({"org/base": 0.8, "org/unrelated": 0.1})
    facts = make_facts({"source_kind": "upload", "base_models": ["org/base", "org/missing"]}, None)
    ctx: Any = type("Ctx", (), {"parents_net_scores": store})()
    result = await tree.compute(facts, ctx, own_net=0.3)
    assert store.asked == [["org/base", "org/missing"]]
    assert (result.value, result.detail["parents"]) == (0.8, {"org/base": 0.8})
    assert result.latency >= 0
    lonely = await tree.compute(make_facts({"source_kind": "upload"}, None), ctx, own_net=0.3)
    assert lonely.value == 0.3


# ------------------------------------------------------------------ rate() on real facts


@pytest.mark.integration
async def test_rating_has_exactly_the_spec_fields(facts_of: FactsOf, ctx: MetricContext) -> None:
    rating = await rate(
        await facts_of("google-bert/bert-base-uncased"), ctx, reproducibility_stub()
    )
    schema = _model_rating_schema()
    assert list(rating) == list(FIELDS)
    assert set(rating) == set(schema["required"])
    assert len(rating) == 26
    jsonschema.validate(rating, schema)
    assert rating["name"] == "bert-base-uncased"
    assert rating["category"] == "fill-mask"
    for key, value in rating.items():
        if key in ("name", "category"):
            continue
        if key == "size_score":
            assert set(value) == {"raspberry_pi", "jetson_nano", "desktop_pc", "aws_server"}
            assert all(0.0 <= v <= 1.0 for v in value.values())
        elif key.endswith("_latency"):
            assert isinstance(value, float)
            assert value >= 0.0
        else:
            assert isinstance(value, float)
            assert 0.0 <= value <= 1.0 or (key == "reviewedness" and value == -1.0)


@pytest.mark.integration
@pytest.mark.parametrize(
    "repo",
    [
        "parvk11/audience_classifier_model",
        "lineage-lab/minilm-imdb-sentiment-onnx",
        "cycle-lab/ouroboros-a",
        "broken-cards/malformed-yaml-model",
        "meta-llama/Llama-3.2-1B",
        "https://github.com/openai/whisper",
    ],
)
async def test_every_fixture_model_rates_within_the_contract(
    facts_of: FactsOf, ctx: MetricContext, repo: str
) -> None:
    rating = await rate(await facts_of(repo), ctx, reproducibility_stub(0.5))
    jsonschema.validate(rating, _model_rating_schema())
    assert rating["reproducibility"] == 0.5


@pytest.mark.integration
async def test_metrics_run_concurrently(facts_of: FactsOf, ctx: MetricContext) -> None:
    async def slow(facts: ModelFacts) -> MetricResult:
        await asyncio.sleep(0.3)
        return MetricResult(1.0, 0.3)

    rating = await rate(await facts_of("openai/whisper-tiny"), ctx, slow)
    assert rating["reproducibility"] == 1.0
    assert rating["net_score_latency"] >= 0.3
    # The slow sandbox did not delay the others: they finished while it slept.
    others = [v for k, v in rating.items() if k.endswith("_latency") and k != "net_score_latency"]
    assert sum(others) - 0.3 < rating["net_score_latency"]


# ------------------------------------------------------------------ failures are loud


@pytest.mark.integration
async def test_github_rate_limit_fails_the_rating_naming_github(
    facts_of: FactsOf, ctx: MetricContext, github_control: GitHubControl
) -> None:
    facts = await facts_of("google-bert/bert-base-uncased")
    github_control.exhaust_rate_limit(reset_in_seconds=600)
    with pytest.raises(RatingFailed) as caught:
        await rate(facts, ctx, reproducibility_stub())
    assert caught.value.metric in {"bus_factor", "code_quality", "reviewedness"}
    assert "GitHub" in caught.value.reason
    assert "rate limit" in caught.value.reason
    assert "retry after" in caught.value.reason


async def test_reproducibility_failures_fail_the_rating() -> None:
    facts = make_facts({"source_kind": "upload"}, None)  # nothing to ask GitHub or the Hub
    ctx = MetricContext.create(
        github_api_url="http://127.0.0.1:9", hf_endpoint="http://127.0.0.1:9"
    )

    async def sandbox_down(facts: ModelFacts) -> MetricResult:
        raise MetricUnavailable("reproducibility sandbox", "no worker")

    async def broken(facts: ModelFacts) -> MetricResult:
        raise ValueError("bad snippet parser")

    async def hangs(facts: ModelFacts) -> MetricResult:
        await asyncio.sleep(10)
        raise AssertionError("not reached")

    try:
        with pytest.raises(RatingFailed, match="reproducibility sandbox: no worker"):
            await rate(facts, ctx, sandbox_down)
        with pytest.raises(RatingFailed, match="unexpected ValueError"):
            await rate(facts, ctx, broken)
        ctx.metric_timeout = ctx.reproducibility_timeout = 0.2
        with pytest.raises(RatingFailed) as caught:
            await rate(facts, ctx, hangs)
        assert caught.value.metric == "reproducibility"
    finally:
        await ctx.aclose()


async def test_out_of_range_values_are_refused() -> None:
    facts = make_facts({"source_kind": "upload"}, None)
    ctx = MetricContext.create(
        github_api_url="http://127.0.0.1:9", hf_endpoint="http://127.0.0.1:9"
    )
    try:
        with pytest.raises(RatingFailed, match="outside"):
            await rate(facts, ctx, reproducibility_stub(1.5))
    finally:
        await ctx.aclose()


# ------------------------------------------------------------------ tree_score


@pytest.mark.integration
async def test_parent_with_a_known_score(facts_of: FactsOf, ctx: MetricContext) -> None:
    store = ParentStore({"google-bert/bert-base-uncased": 0.9})
    ctx.parents_net_scores = store
    rated = await rate_detailed(
        await facts_of("parvk11/audience_classifier_model"), ctx, reproducibility_stub()
    )
    assert store.asked == [["google-bert/bert-base-uncased"]]  # from config _name_or_path
    assert rated.fields["tree_score"] == 0.9
    own = rated.details["net_score"]["own_net_without_tree"]
    assert rated.fields["net_score"] == pytest.approx(
        own * (1 - WEIGHTS["tree_score"]) + 0.9 * WEIGHTS["tree_score"], abs=1e-3
    )


@pytest.mark.integration
async def test_lineage_chain_passes_scores_down(facts_of: FactsOf, ctx: MetricContext) -> None:
    store = ParentStore()
    ctx.parents_net_scores = store
    chain = [
        "lineage-lab/minilm-base",
        "lineage-lab/minilm-imdb-sentiment",
        "lineage-lab/minilm-imdb-sentiment-onnx",
    ]
    ratings = []
    for repo in chain:
        rating = await rate(await facts_of(repo), ctx, reproducibility_stub())
        store.scores[repo] = rating["net_score"]  # what the service stores after rating
        ratings.append(rating)
    root, child, grandchild = ratings
    assert root["tree_score"] == root["net_score"]  # a root is judged on itself
    assert child["tree_score"] == root["net_score"]
    assert grandchild["tree_score"] == child["net_score"]
    # A merge of both: the mean of its two rated parents.
    merge = await rate(
        await facts_of("lineage-lab/minilm-sentiment-merge"), ctx, reproducibility_stub()
    )
    assert merge["tree_score"] == pytest.approx(
        (root["net_score"] + child["net_score"]) / 2, abs=1e-4
    )


@pytest.mark.integration
async def test_self_parent_and_unrated_parents_fall_back_to_the_model(
    facts_of: FactsOf, ctx: MetricContext
) -> None:
    store = ParentStore({"cycle-lab/self-parent": 0.01})
    ctx.parents_net_scores = store
    rating = await rate(await facts_of("cycle-lab/self-parent"), ctx, reproducibility_stub())
    assert store.asked == []  # the model is never its own parent
    assert rating["tree_score"] == rating["net_score"]
