"""Each repair rule on a program that really fails in the sandbox and really runs once repaired.

The programs are stdlib-only stand-ins for library code (torch and transformers are not
installed here): a small class raising torch's own CUDA message, a function with the new
keyword. The failure each rule sees is the one the sandbox reported for a real run.
"""

from __future__ import annotations

import textwrap

import pytest

from registry_scoring.reproducibility.repairs import (
    RULES,
    RepairRule,
    cuda_to_cpu,
    deprecated_argument,
    half_precision_on_cpu,
    import_for,
    missing_import,
    moved_module,
    repair,
)
from registry_scoring.reproducibility.sandbox import RunFailure, SandboxConfig, run_program


async def _repaired_and_running(source: str, rule: RepairRule, hub_url: str) -> tuple[str, str]:
    """Run, check the rule fixes the real failure, run again; (repaired source, its stdout)."""
    config = SandboxConfig(hub_endpoint=hub_url, timeout=10)
    source = textwrap.dedent(source)
    first = await run_program(source, config)
    assert first.failure is not None, "the program must really fail"
    repaired = rule(source, first.failure)
    assert repaired is not None, first.failure
    assert repaired != source
    # no other rule should claim this failure first
    step = repair(source, first.failure)
    assert step is not None
    assert step.rule == rule.__name__
    second = await run_program(repaired, config)
    assert second.ok, second.stderr
    return repaired, second.stdout


def _failure(exc_type: str, message: str, **extra: object) -> RunFailure:
    return RunFailure("exception", exc_type, message, **extra)  # type: ignore[arg-type]


# --- (a) missing imports ----------------------------------------------------------------------


async def test_missing_import_of_a_stdlib_module(hub_url: str) -> None:
    source = '''\
        """Demo."""
        from __future__ import annotations
        payload = {"label": "POSITIVE", "score": 0.98}
        print(json.dumps(payload, sort_keys=True))
    '''
    repaired, stdout = await _repaired_and_running(source, missing_import, hub_url)
    assert repaired.splitlines()[2] == "import json"  # after docstring and __future__
    assert stdout == '{"label": "POSITIVE", "score": 0.98}\n'


async def test_missing_imports_repair_one_name_per_round(hub_url: str) -> None:
    config = SandboxConfig(hub_endpoint=hub_url, timeout=10)
    source = "print(os.sep, re.escape('a.b'))\n"
    first = await run_program(source, config)
    assert first.failure is not None
    once = missing_import(source, first.failure)
    assert once is not None
    assert once.startswith("import os\n")
    second = await run_program(once, config)
    assert second.failure is not None
    assert second.failure.name == "re"
    twice = missing_import(once, second.failure)
    assert twice is not None
    third = await run_program(twice, config)
    assert third.ok
    assert third.stdout == "/ a\\.b\n"


def test_missing_import_table() -> None:
    assert import_for("torch") == "import torch"
    assert import_for("np") == "import numpy as np"
    assert import_for("pd") == "import pandas as pd"
    assert import_for("pipeline") == "from transformers import pipeline"
    assert import_for("AutoTokenizer") == "from transformers import AutoTokenizer"
    assert import_for("AutoModelForCausalLM") == "from transformers import AutoModelForCausalLM"
    assert import_for("TFAutoModel") == "from transformers import TFAutoModel"
    assert import_for("hf_hub_download") == "from huggingface_hub import hf_hub_download"
    assert import_for("load_dataset") == "from datasets import load_dataset"
    assert import_for("audio_array") is None  # a variable the card never defines: no guess
    assert import_for("Automobile") is None


def test_missing_import_ignores_unknown_names_and_other_failures() -> None:
    assert missing_import("print(x)\n", _failure("NameError", "name 'x' is not defined")) is None
    assert missing_import("json\n", _failure("TypeError", "name 'json' is not defined")) is None
    # the message alone is enough when the exception carried no .name
    fixed = missing_import("json\n", _failure("NameError", "name 'json' is not defined"))
    assert fixed == "import json\njson\n"
    # already imported (e.g. only inside a function): adding it again would loop
    source = "def f():\n    import json\njson.dumps(1)\n"
    assert missing_import(source, _failure("NameError", "x", name="json")) is None


# --- (b) CUDA-only device arguments -----------------------------------------------------------

_FAKE_TORCH = '''\
    class Module:
        """Behaves like torch.nn.Module on a machine without a GPU."""

        def cuda(self, device=None):
            raise AssertionError("Torch not compiled with CUDA enabled")

        def cpu(self):
            return self

        def to(self, device):
            if device != "cpu":
                raise RuntimeError("Found no NVIDIA driver on your system.")
            return self


    def pipeline(task, device=-1):
        if device not in (-1, "cpu"):
            raise RuntimeError("Torch not compiled with CUDA enabled")
        return lambda text: [{"label": "POSITIVE"}]

'''


async def test_cuda_only_device_arguments_move_to_cpu(hub_url: str) -> None:
    source = textwrap.dedent(_FAKE_TORCH) + textwrap.dedent(
        """\
        model = Module().cuda()
        model = model.to("cuda:0")
        classifier = pipeline("sentiment-analysis", device=0)
        print(classifier("works")[0]["label"])
        """
    )
    repaired, stdout = await _repaired_and_running(source, cuda_to_cpu, hub_url)
    assert stdout == "POSITIVE\n"
    assert "model = Module().cpu()" in repaired
    assert 'model.to("cpu")' in repaired
    assert 'device="cpu"' in repaired
    assert "def pipeline(task, device=-1):" in repaired  # CPU default left alone


def test_cuda_rewrites() -> None:
    failure = _failure("RuntimeError", "No CUDA GPUs are available")
    source = (
        'device = torch.device("cuda")\n'
        "x = x.cuda(0)\n"
        "m = Model.from_pretrained('m', device_map='cuda:1')\n"
        'm2 = Model.from_pretrained("m", device_map={"": 0})\n'
        "p = pipeline('t', device=1)\n"
        "y = f(scale=0.5, device=-1)\n"
    )
    assert cuda_to_cpu(source, failure) == (
        'device = torch.device("cpu")\n'
        "x = x.cpu()\n"
        "m = Model.from_pretrained('m', device_map=\"cpu\")\n"
        'm2 = Model.from_pretrained("m", device_map="cpu")\n'
        "p = pipeline('t', device=\"cpu\")\n"
        "y = f(scale=0.5, device=-1)\n"
    )
    assert cuda_to_cpu(source, _failure("ValueError", "bad shape")) is None
    assert cuda_to_cpu("print(1)\n", failure) is None


async def test_half_precision_on_cpu(hub_url: str) -> None:
    source = """\
        import types
        torch = types.SimpleNamespace(float16=16, float32=32)

        def matmul(dtype):
            if dtype == 16:
                raise RuntimeError('"addmm_impl_cpu_" not implemented for \\'Half\\'')
            return "float32 result"

        print(matmul(torch.float16))
    """
    repaired, stdout = await _repaired_and_running(source, half_precision_on_cpu, hub_url)
    assert stdout == "float32 result\n"
    assert "matmul(torch.float32)" in repaired


# --- (c) deprecated keyword arguments ---------------------------------------------------------


async def test_return_all_scores_becomes_top_k_none(hub_url: str) -> None:
    source = """\
        def pipeline(task, model=None, top_k=1):
            def classify(text):
                scores = [{"label": "NEGATIVE", "score": 0.1}, {"label": "POSITIVE", "score": 0.9}]
                return scores if top_k is None else scores[:top_k]
            return classify

        classifier = pipeline(
            "text-classification",
            model="acme/sentiment",
            return_all_scores=True,
        )
        print(len(classifier("great")))
    """
    repaired, stdout = await _repaired_and_running(source, deprecated_argument, hub_url)
    assert "top_k=None," in repaired
    assert "return_all_scores" not in repaired
    assert stdout == "2\n"


def test_deprecated_argument_edits() -> None:
    failure = _failure(
        "TypeError", "hf_hub_download() got an unexpected keyword argument 'resume_download'"
    )
    source = 'p = hf_hub_download("r", "f", resume_download=True, token=None)\n'
    assert deprecated_argument(source, failure) == 'p = hf_hub_download("r", "f", token=None)\n'
    first = 'p = hf_hub_download(resume_download=True, repo_id="r")\n'
    assert deprecated_argument(first, failure) == 'p = hf_hub_download(repo_id="r")\n'
    # renames keep the value; non-ASCII text before the argument does not shift the edit
    rename = _failure("TypeError", "f() got an unexpected keyword argument 'use_auth_token'")
    assert (
        deprecated_argument('f("héllo wörld", use_auth_token=tok)\n', rename)
        == 'f("héllo wörld", token=tok)\n'
    )
    # a value outside the translation table is left alone
    scores = _failure("TypeError", "f() got an unexpected keyword argument 'return_all_scores'")
    assert deprecated_argument("f(return_all_scores=flag)\n", scores) is None
    # unknown arguments are not guessed
    other = _failure("TypeError", "f() got an unexpected keyword argument 'temperature'")
    assert deprecated_argument("f(temperature=0.1)\n", other) is None


def test_deprecated_argument_only_touches_the_failing_call() -> None:
    source = (
        'pipe = pipeline("text-classification", tokenizer=tok)\n'
        "trainer = Trainer(model=model, tokenizer=tok)\n"
    )
    failure = _failure(
        "TypeError",
        "Trainer.__init__() got an unexpected keyword argument 'tokenizer'",
        lineno=2,
    )
    assert deprecated_argument(source, failure) == (
        'pipe = pipeline("text-classification", tokenizer=tok)\n'
        "trainer = Trainer(model=model, processing_class=tok)\n"
    )


# --- (d) modules that moved -------------------------------------------------------------------


async def test_python2_module_names(hub_url: str) -> None:
    source = """\
        import cPickle
        from StringIO import StringIO

        buffer = StringIO()
        buffer.write(repr(cPickle.loads(cPickle.dumps([1, 2]))))
        print(buffer.getvalue())
    """
    config = SandboxConfig(hub_endpoint=hub_url, timeout=10)
    text = textwrap.dedent(source)
    for _ in range(2):  # one module per round, as the metric does
        outcome = await run_program(text, config)
        assert outcome.failure is not None
        assert outcome.failure.exc_type == "ModuleNotFoundError"
        fixed = moved_module(text, outcome.failure)
        assert fixed is not None
        text = fixed
    final = await run_program(text, config)
    assert final.ok
    assert final.stdout == "[1, 2]\n"
    assert text.splitlines()[:2] == ["import pickle as cPickle", "from io import StringIO"]


def test_moved_module_rewrites() -> None:
    def failure(name: str) -> RunFailure:
        return _failure("ModuleNotFoundError", f"No module named '{name}'", name=name)

    assert (
        moved_module(
            "from transformers.modeling_bert import BertModel\n",
            failure("transformers.modeling_bert"),
        )
        == "from transformers.models.bert.modeling_bert import BertModel\n"
    )
    assert (
        moved_module("import urllib2, os\n", failure("urllib2"))
        == "import urllib.request as urllib2, os\n"
    )
    assert (
        moved_module(
            "from sklearn.cross_validation import train_test_split\n",
            failure("sklearn.cross_validation"),
        )
        == "from sklearn.model_selection import train_test_split\n"
    )
    # import a.b without alias would change what name is bound: left alone
    assert (
        moved_module("import sklearn.cross_validation\n", failure("sklearn.cross_validation"))
        is None
    )
    # no known replacement: the honest answer is the failure itself
    assert moved_module("import transformers\n", failure("transformers")) is None


def test_rules_are_documented_and_named() -> None:
    assert [rule.__name__ for rule in RULES] == [
        "missing_import",
        "moved_module",
        "deprecated_argument",
        "cuda_to_cpu",
        "half_precision_on_cpu",
    ]
    for rule in RULES:
        assert rule.__doc__
        assert "Safe because" in rule.__doc__


@pytest.mark.parametrize(
    "failure",
    [
        RunFailure("timeout", "Timeout", "killed after the 30 s wall-clock limit"),
        RunFailure("exception", "MemoryError", ""),
        RunFailure("exception", "ValueError", "bad input"),
    ],
)
def test_no_rule_claims_unrelated_failures(failure: RunFailure) -> None:
    assert repair("import torch\nmodel.cuda()\nprint(np)\n", failure) is None
