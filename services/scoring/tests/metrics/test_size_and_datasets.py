"""size_score from the weight files' real sizes, and dataset_quality from the Hub's datasets."""

from __future__ import annotations

from typing import Any

import pytest

from registry_scoring.metrics import MetricContext, MetricUnavailable, dataset_quality, size
from services.scoring.tests.metrics.conftest import FactsOf
from services.scoring.tests.metrics.helpers import make_facts
from tests.fakes.hub import HubControl

GB = 1_000_000_000
MB = 1_000_000


def _weights(*items: tuple[str, int]) -> list[dict[str, object]]:
    return [{"path": p, "size": s, "kind": "weights"} for p, s in items]


def test_device_curve_is_one_below_comfort_zero_above_limit_log_linear_between() -> None:
    full, zero = size.DEVICES["raspberry_pi"]
    assert size.device_score(full, full, zero) == 1.0
    assert size.device_score(zero, full, zero) == 0.0
    middle = (full * zero) ** 0.5  # geometric midpoint
    assert size.device_score(middle, full, zero) == pytest.approx(0.5)
    values = [size.device_score(s * MB, full, zero) for s in (10, 100, 300, 900, 5000)]
    assert values == sorted(values, reverse=True)


def test_weights_only_uploaded_model_uses_the_smallest_variant() -> None:
    files = [
        *_weights(("model.safetensors", 440 * MB), ("pytorch_model.bin", 440 * MB)),
        *_weights(("onnx/model_quantized.onnx", 110 * MB)),
        {"path": "config.json", "size": 600, "kind": "config"},
    ]
    facts = make_facts({"source_kind": "upload"}, files=files)
    weight_bytes, method, detail = size.weight_bytes(facts)
    assert (weight_bytes, method, detail["variants"]) == (110 * MB, "declared_weight_files", 3)


def test_shards_form_one_variant() -> None:
    files = _weights(
        ("model-00001-of-00002.safetensors", 5 * GB),
        ("model-00002-of-00002.safetensors", 3 * GB),
        ("pytorch_model-00001-of-00002.bin", 5 * GB),
        ("pytorch_model-00002-of-00002.bin", 4 * GB),
    )
    weight_bytes, _, detail = size.weight_bytes(make_facts({}, files=files))
    assert (weight_bytes, detail["variants"]) == (8 * GB, 2)


async def test_huge_model_fits_only_a_server() -> None:
    files = _weights(*((f"model-{i:05d}-of-00030.safetensors", 4_700 * MB) for i in range(1, 31)))
    no_context: Any = None  # size_score reads only the facts
    result = await size.compute(make_facts({}, files=files), no_context)
    devices = result.detail["devices"]
    assert devices["raspberry_pi"] == devices["jetson_nano"] == devices["desktop_pc"] == 0.0
    assert 0.3 < devices["aws_server"] < 0.8  # 141 GB
    assert result.value == pytest.approx(sum(devices.values()) / 4, abs=1e-3)


def test_hub_storage_per_variant_when_declared_sizes_are_not_real() -> None:
    files = [
        *_weights(("model.safetensors", 4096), ("pytorch_model.bin", 4096)),
        {"path": "README.md", "size": 1000, "kind": "card"},
    ]
    facts = make_facts({"hub_used_storage": 2 * GB + 1000}, files=files)
    assert size.weight_bytes(facts)[:2] == (GB, "hub_storage_per_variant")


def test_parameters_times_dtype_when_no_weight_file_is_listed() -> None:
    facts = make_facts({"parameters": 1_000_000_000, "config": {"torch_dtype": "bfloat16"}})
    assert size.weight_bytes(facts)[:2] == (2 * GB, "parameters")
    facts = make_facts({"parameters": 1_000_000_000})
    assert size.weight_bytes(facts)[0] == 4 * GB  # float32 unless told otherwise
    assert size.scores_for(1) == dict.fromkeys(size.DEVICES, 1.0)


@pytest.mark.integration
@pytest.mark.parametrize(
    ("repo", "expected_bytes", "method"),
    [
        # 2,828 MB in six formats of one ~440-536 MB model; the fake serves a few KB per file.
        ("google-bert/bert-base-uncased", 471_327_076, "hub_storage_per_variant"),
        ("openai/whisper-tiny", 151_787_577, "hub_storage_per_variant"),
        ("meta-llama/Llama-3.2-1B", 4_943_322_854 // 2, "hub_storage_per_variant"),
    ],
)
async def test_real_world_sizes_of_fixture_models(
    facts_of: FactsOf, repo: str, expected_bytes: int, method: str
) -> None:
    weight_bytes, used, _ = size.weight_bytes(await facts_of(repo))
    assert used == method
    assert weight_bytes == pytest.approx(expected_bytes, rel=0.01)


# ------------------------------------------------------------------ dataset_quality


def test_dataset_score_rewards_documentation_license_provenance_adoption() -> None:
    assert dataset_quality.dataset_score(None) == (0.0, {"available": False})
    full = {
        "id": "o/d",
        "description": "A carefully built corpus of reviews.",
        "card_data": {
            "task_categories": ["text-classification"],
            "size_categories": ["10K<n<100K"],
            "language": ["en"],
            "annotations_creators": ["expert-generated"],
            "license": "cc-by-4.0",
        },
        "citation": "@article{x}",
        "downloads": 50_000,
        "files": ["data/train.parquet"],
        "tags": [],
    }
    assert dataset_quality.dataset_score(full)[0] == pytest.approx(1.0)
    bare = {"id": "o/d", "card_data": {"license": "unknown"}, "downloads": 0, "files": []}
    assert dataset_quality.dataset_score(bare)[0] == 0.0


@pytest.mark.integration
async def test_dataset_quality_edges(facts_of: FactsOf, ctx: MetricContext) -> None:
    none_declared = await dataset_quality.compute(await facts_of("openai/whisper-tiny"), ctx)
    assert none_declared.value == 0.0
    # A declared dataset the Hub does not know scores 0; the card's thin training-data
    # section ("b-mc2/sql-create-context.") earns half of the card term.
    missing = await dataset_quality.compute(await facts_of("lineage-lab/tiny-llm-sql-lora"), ctx)
    assert missing.value == pytest.approx(0.2)
    imdb = await dataset_quality.compute(await facts_of("lineage-lab/minilm-imdb-sentiment"), ctx)
    assert 0.9 < imdb.value <= 1.0


@pytest.mark.integration
async def test_dataset_quality_fails_when_the_hub_is_down(
    facts_of: FactsOf, ctx: MetricContext, hub_control: HubControl
) -> None:
    facts = await facts_of("lineage-lab/minilm-imdb-sentiment")
    hub_control.fail("stanfordnlp/imdb", status=500)
    with pytest.raises(MetricUnavailable) as caught:  # rate() turns it into RatingFailed
        await dataset_quality.compute(facts, ctx)
    assert caught.value.service == "Hugging Face Hub"
