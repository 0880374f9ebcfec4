"""The reproducibility metric end to end: extraction, sandbox runs, repairs, score."""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from registry_scoring.reproducibility import reproducibility
from registry_scoring.reproducibility.metric import sandbox_semaphore
from tests.fakes.hub import FakeHub


def _url(hub: FakeHub) -> str:
    assert hub.url is not None
    return hub.url


def _card(code: str, heading: str = "Usage") -> str:
    return f"---\nlicense: mit\n---\n\n# Model\n\n## {heading}\n\n```python\n{code}```\n"


async def test_a_card_whose_demo_runs_as_written_scores_one(hub_url: str) -> None:
    card = _card("import json\nprint(json.dumps({'label': 'POSITIVE'}))\n")
    result = await reproducibility(card, hub_endpoint=hub_url)
    assert result.value == 1.0
    assert result.detail["reason"] == "demo code runs as written"
    assert result.detail["repairs"] == []
    assert len(result.detail["runs"]) == 1
    assert 0 < result.latency < 10


async def test_a_card_fixed_by_a_repair_scores_one_half(hub_url: str) -> None:
    card = _card("scores = {'POSITIVE': 0.9}\nprint(json.dumps(scores))\n")
    result = await reproducibility(card, hub_endpoint=hub_url)
    assert result.value == 0.5
    assert result.detail["repairs"] == [{"rule": "missing_import", "change": "+import json"}]
    assert result.detail["repaired_code"].startswith("import json\n")
    assert [run["ok"] for run in result.detail["runs"]] == [False, True]
    assert result.detail["runs"][0]["failure"] == "NameError: name 'json' is not defined"


@pytest.mark.parametrize("card", [None, "", "# Model\n\nNo code here.\n", _card("", "Usage")])
async def test_no_demo_code_scores_zero(card: str | None, hub_url: str) -> None:
    result = await reproducibility(card, hub_endpoint=hub_url)
    assert result.value == 0.0
    assert result.detail == {"reason": "no demo code in the model card"}


async def test_code_that_fails_unrecoverably_scores_zero(hub_url: str) -> None:
    card = _card("import json\nraise ValueError('the demo needs a dataset we do not ship')\n")
    result = await reproducibility(card, hub_endpoint=hub_url)
    assert result.value == 0.0
    assert result.detail["reason"] == "demo code fails"
    assert result.detail["failure"] == "ValueError: the demo needs a dataset we do not ship"
    assert result.detail["failure_type"] == "ValueError"
    assert result.detail["repairs"] == []


async def test_repairs_stop_after_the_configured_rounds(hub_url: str) -> None:
    card = _card("print(os.sep, re.escape('.'), json.dumps(1), math.pi)\n")
    result = await reproducibility(card, hub_endpoint=hub_url, max_repair_rounds=2)
    assert result.value == 0.0
    assert [r["change"] for r in result.detail["repairs"]] == ["+import os", "+import re"]
    assert result.detail["failure"] == "NameError: name 'json' is not defined"
    fixed = await reproducibility(card, hub_endpoint=hub_url, max_repair_rounds=4)
    assert fixed.value == 0.5
    assert len(fixed.detail["repairs"]) == 4


async def test_a_timeout_is_not_repaired(hub_url: str) -> None:
    card = _card("import itertools\nfor _ in itertools.count():\n    pass\n")
    result = await reproducibility(card, hub_endpoint=hub_url, timeout=0.5)
    assert result.value == 0.0
    assert result.detail["failure_type"] == "Timeout"
    assert len(result.detail["runs"]) == 1


async def test_code_reaching_beyond_the_hub_scores_zero(hub_url: str) -> None:
    card = _card("import urllib.request\nurllib.request.urlopen('https://example.com/model.bin')\n")
    result = await reproducibility(card, hub_endpoint=hub_url)
    assert result.value == 0.0
    # Refused by the egress proxy's allow-list (bubblewrap hosts) or else by the audit hook.
    assert re.search(
        "sandbox: (network access to example.com:443 is not allowed"
        "|name resolution is limited to the hub endpoint)",
        result.detail["failure"],
    ), result.detail


async def test_concurrency_is_bounded_by_the_semaphore(hub_url: str) -> None:
    card = _card("import time\ntime.sleep(0.4)\n")
    limiter = asyncio.Semaphore(1)
    started = time.perf_counter()
    results = await asyncio.gather(
        *(reproducibility(card, hub_endpoint=hub_url, semaphore=limiter) for _ in range(3))
    )
    assert [r.value for r in results] == [1.0, 1.0, 1.0]
    assert time.perf_counter() - started >= 1.2  # one sandbox at a time


async def test_the_default_semaphore_is_shared_within_a_loop() -> None:
    first = sandbox_semaphore()
    assert sandbox_semaphore() is first
    assert first._value == 2


# --- against the fake hub, with the real huggingface_hub client -------------------------------


@pytest.mark.integration
async def test_hub_download_demo_runs_as_written(fake_hub: FakeHub) -> None:
    card = _card(
        "import json\n"
        "from huggingface_hub import hf_hub_download\n"
        'path = hf_hub_download("google-bert/bert-base-uncased", "config.json")\n'
        "print(json.load(open(path))['model_type'])\n"
    )
    result = await reproducibility(card, hub_endpoint=_url(fake_hub))
    assert result.value == 1.0, result.detail


@pytest.mark.integration
async def test_deprecated_hub_arguments_are_repaired(fake_hub: FakeHub) -> None:
    card = _card(
        "import json\n"
        "from huggingface_hub import hf_hub_download\n"
        "path = hf_hub_download(\n"
        '    repo_id="google-bert/bert-base-uncased",\n'
        '    filename="config.json",\n'
        "    use_auth_token=False,\n"
        "    resume_download=True,\n"
        ")\n"
        "print(json.load(open(path))['model_type'])\n"
    )
    result = await reproducibility(card, hub_endpoint=_url(fake_hub))
    assert result.value == 0.5, result.detail
    # huggingface_hub 2.4 rejects use_auth_token but still accepts (and ignores, with a
    # warning) resume_download: only what the library really rejected is repaired.
    assert result.detail["repairs"] == [
        {"rule": "deprecated_argument", "change": "-use_auth_token=False, | +token=False,"},
    ]
    assert "resume_download=True" in result.detail["repaired_code"]


@pytest.mark.integration
@pytest.mark.parametrize(
    ("repo_id", "failure"),
    [
        ("google-bert/bert-base-uncased", "ModuleNotFoundError: No module named 'torch'"),
        ("openai/whisper-tiny", "KeyError: 'added_tokens'"),
    ],
)
async def test_fixture_cards_that_need_transformers(
    fake_hub: FakeHub, repo_id: str, failure: str
) -> None:
    """transformers is installed (a dev dependency: the Hub API's AutoConfig test) but torch
    is not, and the fake hub's whisper tokenizer is a stub: the honest outcome is 0 with the
    reason the demo gave."""
    result = await reproducibility(fake_hub.state(repo_id).readme, hub_endpoint=_url(fake_hub))
    assert result.value == 0.0
    assert result.detail["failure"] == failure


@pytest.mark.integration
async def test_fixture_card_without_code(fake_hub: FakeHub) -> None:
    readme = fake_hub.state("parvk11/audience_classifier_model").readme
    result = await reproducibility(readme, hub_endpoint=_url(fake_hub))
    assert result.value == 0.0
    assert result.detail["reason"] == "no demo code in the model card"
