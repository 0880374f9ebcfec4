"""performance_claims: are the card's performance claims stated and substantiated?

A claim is substantiated when it says what was measured (a metric and its value), on what
(a named benchmark or dataset) and where it comes from (a paper / citation). Inputs: the
README and the card's ``model-index`` (structured, machine-checkable results).

    performance_claims = 0.30 * claims present  (evaluation/results section with content,
                                                 or model-index results)
                       + 0.30 * quantitative    (1.0 structured model-index metric values;
                                                 0.85 a table, or a number next to a metric or
                                                 benchmark name, in the evaluation text)
                       + 0.20 * benchmark named (model-index dataset, or a known benchmark in
                                                 the evaluation text)
                       + 0.20 * source          (arXiv id/tag, paper link or citation)

No README and no model-index: 0. "[More Information Needed]" sections count as absent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from registry_scoring.metrics.base import MetricResult, clamp, timed
from registry_scoring.metrics.card import Card, has_table, numbers_in
from registry_scoring.metrics.context import MetricContext
from registry_scoring.metrics.facts import ModelFacts

NAME = "performance_claims"
_BENCHMARKS = re.compile(
    r"\b(GLUE|SuperGLUE|SQuAD|MMLU|HellaSwag|ARC|TruthfulQA|GSM8K|HumanEval|MBPP|"
    r"LibriSpeech|Common ?Voice|FLEURS|ImageNet|COCO|CIFAR-?\d*|IMDB|SST-?2|MNLI|QQP|QNLI|"
    r"CoNLL|WikiText|LAMBADA|WinoGrande|PIQA|BoolQ|MTEB|BEIR|MS ?MARCO|XNLI|BIG-?Bench|"
    r"HELM|WMT\d*|Spider|MT-?Bench|AlpacaEval|Open LLM Leaderboard)\b",
    re.IGNORECASE,
)
_METRIC_WORDS = re.compile(
    r"\b(accuracy|f1|precision|recall|perplexity|wer|cer|bleu|rouge|exact[- ]match|"
    r"auc|mAP|top-?1|top-?5|score|loss)\b",
    re.IGNORECASE,
)
_SOURCE = re.compile(
    r"arxiv\.org/|\barXiv:\s*\d{4}\.\d{4,5}|@(?:article|inproceedings|misc|techreport)\s*\{|"
    r"\bdoi\.org/|aclanthology\.org/|openreview\.net/|\bpaper\b.*https?://",
    re.IGNORECASE,
)
EVAL_KEYWORDS = ("evaluation", "result", "performance", "benchmark", "metric", "accuracy")


def model_index_results(card_data: Mapping[str, Any]) -> tuple[int, list[str]]:
    """``(number of metric values, dataset names)`` of the card's model-index."""
    values = 0
    datasets: list[str] = []
    index = card_data.get("model-index") or card_data.get("model_index")
    for model in index if isinstance(index, list) else []:
        results = model.get("results") if isinstance(model, Mapping) else None
        for result in results if isinstance(results, list) else []:
            if not isinstance(result, Mapping):
                continue
            dataset = result.get("dataset")
            if isinstance(dataset, Mapping) and (dataset.get("name") or dataset.get("type")):
                datasets.append(str(dataset.get("name") or dataset.get("type")))
            metrics = result.get("metrics")
            for metric in metrics if isinstance(metrics, list) else []:
                if isinstance(metric, Mapping) and isinstance(metric.get("value"), int | float):
                    values += 1
    return values, datasets


def score(facts: ModelFacts) -> tuple[float, dict[str, Any]]:
    card = Card(facts.readme)
    sections = card.find(*EVAL_KEYWORDS)
    evaluation = "\n".join(s.body for s in sections)
    index_values, index_datasets = model_index_results(facts.card_data)
    text_numbers = len(numbers_in(evaluation))
    named = bool(_METRIC_WORDS.search(evaluation) or _BENCHMARKS.search(evaluation))
    text_quantitative = has_table(evaluation) or (text_numbers >= 1 and named)
    quantitative = 1.0 if index_values else 0.85 if text_quantitative else 0.0
    benchmark = bool(index_datasets) or bool(_BENCHMARKS.search(evaluation))
    source = any(t.lower().startswith("arxiv:") for t in facts.tags) or card.mentions(_SOURCE)
    claims = bool(sections) or index_values > 0
    terms = {
        "claims": 0.30 * claims,
        "quantitative": 0.30 * quantitative,
        "benchmark": 0.20 * benchmark,
        "source": 0.20 * source,
    }
    if not claims:
        # A paper link without any claim in the card substantiates nothing.
        terms = dict.fromkeys(terms, 0.0)
    detail = {
        "terms": {k: round(v, 4) for k, v in terms.items()},
        "evaluation_sections": [s.title for s in sections],
        "model_index_values": index_values,
        "model_index_datasets": index_datasets[:10],
    }
    return clamp(sum(terms.values())), detail


async def compute(facts: ModelFacts, ctx: MetricContext) -> MetricResult:
    async def run() -> tuple[float, dict[str, Any]]:
        return score(facts)

    return await timed(run)
