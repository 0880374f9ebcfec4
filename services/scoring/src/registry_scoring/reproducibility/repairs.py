"""Automatic repairs of demo programs, each driven by the failure of a real run.

A rule is a small function ``(source, failure) -> repaired source | None``. It returns None
unless the failure is exactly the kind it fixes *and* it can change the program; it never
guesses beyond its table. ``repair`` tries the rules in order and returns the first change;
the metric runs the repaired program again and repeats with the next failure (at most N
rounds). Every rule is documented in ``docs/reproducibility.md``.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass

from .sandbox import RunFailure

__all__ = [
    "DEPRECATED_ARGUMENTS",
    "KNOWN_IMPORTS",
    "MOVED_MODULES",
    "RULES",
    "RepairRule",
    "RepairStep",
    "cuda_to_cpu",
    "deprecated_argument",
    "half_precision_on_cpu",
    "import_for",
    "missing_import",
    "moved_module",
    "repair",
]

RepairRule = Callable[[str, RunFailure], str | None]


@dataclass(frozen=True)
class RepairStep:
    rule: str  # the rule function's name
    change: str  # what changed, as "-old | +new" lines
    source: str  # the repaired program


# --------------------------------------------------------------------------------------------
# (a) missing imports
# --------------------------------------------------------------------------------------------

_STDLIB_MODULES = (
    *("argparse", "asyncio", "base64", "collections", "copy", "csv", "functools", "glob"),
    *("gzip", "hashlib", "io", "itertools", "json", "logging", "math", "operator", "os"),
    *("pickle", "random", "re", "shutil", "statistics", "string", "struct", "sys", "tempfile"),
    *("textwrap", "time", "typing", "unicodedata", "urllib", "uuid", "warnings", "zipfile"),
)

KNOWN_IMPORTS: dict[str, str] = {
    **{module: f"import {module}" for module in _STDLIB_MODULES},
    "Path": "from pathlib import Path",
    "Counter": "from collections import Counter",
    "defaultdict": "from collections import defaultdict",
    "OrderedDict": "from collections import OrderedDict",
    "deque": "from collections import deque",
    "namedtuple": "from collections import namedtuple",
    "partial": "from functools import partial",
    "dataclass": "from dataclasses import dataclass",
    "BytesIO": "from io import BytesIO",
    "StringIO": "from io import StringIO",
    "urlopen": "from urllib.request import urlopen",
    **{
        name: f"from typing import {name}"
        for name in ("Any", "Dict", "List", "Optional", "Tuple", "Union")
    },
    # scientific Python, by their universal conventions
    "np": "import numpy as np",
    "numpy": "import numpy",
    "pd": "import pandas as pd",
    "pandas": "import pandas",
    "plt": "import matplotlib.pyplot as plt",
    "torch": "import torch",
    "nn": "from torch import nn",
    "F": "import torch.nn.functional as F",
    "tf": "import tensorflow as tf",
    "Image": "from PIL import Image",
    "requests": "import requests",
    "tqdm": "from tqdm import tqdm",
    # Hugging Face libraries
    **{
        name: f"from transformers import {name}"
        for name in (
            *("pipeline", "set_seed", "Trainer", "TrainingArguments", "GenerationConfig"),
            *("TextStreamer", "BitsAndBytesConfig"),
        )
    },
    "load_dataset": "from datasets import load_dataset",
    "load_from_disk": "from datasets import load_from_disk",
    **{
        name: f"from huggingface_hub import {name}"
        for name in (
            *("hf_hub_download", "snapshot_download", "HfApi", "InferenceClient", "login"),
            *("notebook_login", "model_info", "list_models"),
        )
    },
    "SentenceTransformer": "from sentence_transformers import SentenceTransformer",
}
_TRANSFORMERS_AUTO = re.compile(r"^(TF|Flax)?Auto[A-Z]\w*$")
_NAME_ERROR = re.compile(r"name '(\w+)' is not defined")


def import_for(name: str) -> str | None:
    """The conventional import statement that defines ``name``, if it is a well-known one."""
    if name in KNOWN_IMPORTS:
        return KNOWN_IMPORTS[name]
    if _TRANSFORMERS_AUTO.match(name):  # AutoTokenizer, AutoModelForCausalLM, TFAutoModel, ...
        return f"from transformers import {name}"
    return None


def _insertion_line(source: str) -> int:
    """0-based line after the docstring and ``from __future__`` imports (0 if unparsable)."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return 0
    after = 0
    for index, node in enumerate(body):
        is_docstring = (
            index == 0
            and isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        )
        is_future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if not (is_docstring or is_future):
            break
        after = node.end_lineno or node.lineno
    return after


def missing_import(source: str, failure: RunFailure) -> str | None:
    """Add the conventional import for a well-known name the demo uses but never imports.

    Fixes ``NameError: name 'torch' is not defined`` (``np``, ``pd``, ``json``, ``os``,
    ``pipeline``, ``AutoTokenizer``, ``AutoModelFor...``, ...): cards often show the
    interesting lines and leave the imports to the reader. Safe because it only adds an import
    statement, only for a name in a fixed table whose meaning is universal (``np`` is numpy),
    and only when that exact name is reported undefined; if the guess were wrong the program
    would still fail and score 0.
    """
    if failure.exc_type != "NameError":
        return None
    name = failure.name
    if name is None:
        found = _NAME_ERROR.search(failure.message)
        name = found.group(1) if found else None
    statement = import_for(name) if name else None
    if statement is None:
        return None
    lines = source.splitlines()
    if any(line.strip() == statement for line in lines):
        return None  # already there (e.g. inside a function): adding it again would loop
    at = _insertion_line(source)
    return "\n".join([*lines[:at], statement, *lines[at:]]) + "\n"


# --------------------------------------------------------------------------------------------
# (b) CUDA-only device arguments, and half precision on CPU
# --------------------------------------------------------------------------------------------

_CUDA_FAILURE = re.compile(
    r"\bcuda\b|\bgpus?\b|nvidia|cudnn|torch not compiled with cuda|device-side", re.I
)
_CUDA_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\.cuda\(\s*[\w.:\"']*\s*\)"), ".cpu()"),  # model.cuda(), x.cuda(0)
    (re.compile(r"(['\"])cuda(?::\d+)?\1"), '"cpu"'),  # "cuda", 'cuda:0' anywhere
    (re.compile(r"\b(device)\s*=\s*\d+\b(?!\s*[.\d])"), r'\1="cpu"'),  # pipeline(device=0)
    (re.compile(r"\b(device_map)\s*=\s*\{\s*(['\"])\2\s*:\s*\d+\s*\}"), r'\1="cpu"'),
)


def cuda_to_cpu(source: str, failure: RunFailure) -> str | None:
    """Move a CUDA-only demo to the CPU when the run failed for lack of a GPU.

    Fixes ``Torch not compiled with CUDA enabled``, ``Found no NVIDIA driver``, ``No CUDA GPUs
    are available``: ``.cuda()`` becomes ``.cpu()``, the strings ``"cuda"``/``"cuda:N"`` (in
    ``.to(...)``, ``torch.device(...)``, ``device=``, ``device_map=``) become ``"cpu"``,
    ``device=0`` (a GPU index in ``pipeline``) becomes ``device="cpu"`` and
    ``device_map={"": 0}`` becomes ``device_map="cpu"``. Safe because it only changes *where*
    the same computation runs, and only after the run proved there is no GPU to run it on.
    """
    if not _CUDA_FAILURE.search(f"{failure.exc_type}: {failure.message}"):
        return None
    repaired = source
    for pattern, replacement in _CUDA_REWRITES:
        repaired = pattern.sub(replacement, repaired)
    return repaired if repaired != source else None


_HALF_FAILURE = re.compile(r"not implemented for '(Half|BFloat16)'|\bHalf\b.*\bCPU\b", re.I)
_HALF_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\btorch\.(float16|half|bfloat16)\b"), "torch.float32"),
    (re.compile(r"(['\"])(float16|fp16|half|bfloat16)\1"), '"float32"'),
    (re.compile(r"\.half\(\s*\)"), ".float()"),
)


def half_precision_on_cpu(source: str, failure: RunFailure) -> str | None:
    """Compute in float32 when a half-precision (GPU-oriented) demo fails on the CPU.

    Fixes ``"addmm_impl_cpu_" not implemented for 'Half'`` and similar: ``torch.float16``,
    ``torch.bfloat16``, ``"float16"`` and ``.half()`` become float32. Safe because float32 is
    strictly more precise: results match up to rounding, only memory use grows.
    """
    if not _HALF_FAILURE.search(failure.message):
        return None
    repaired = source
    for pattern, replacement in _HALF_REWRITES:
        repaired = pattern.sub(replacement, repaired)
    return repaired if repaired != source else None


# --------------------------------------------------------------------------------------------
# (c) deprecated keyword arguments
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rename:
    new: str | None  # None = drop the argument (it had become a no-op)
    values: dict[str, str] | None = None  # old value source -> new value source; None = same
    origin: str = ""


DEPRECATED_ARGUMENTS: dict[str, Rename] = {
    "use_auth_token": Rename("token", origin="transformers 4.35 / huggingface_hub / datasets"),
    "return_all_scores": Rename(
        "top_k", {"True": "None", "False": "1"}, origin="transformers text-classification"
    ),
    "resume_download": Rename(None, origin="huggingface_hub 0.23: downloads always resume"),
    "local_dir_use_symlinks": Rename(None, origin="huggingface_hub 0.23: ignored, then removed"),
    "legacy_cache_layout": Rename(None, origin="huggingface_hub: removed"),
    "evaluation_strategy": Rename("eval_strategy", origin="transformers 4.41 TrainingArguments"),
    "no_cuda": Rename("use_cpu", origin="transformers 4.34 TrainingArguments"),
    "pad_to_max_length": Rename(
        "padding", {"True": '"max_length"', "False": "False"}, origin="transformers tokenizers"
    ),
    "truncation_strategy": Rename("truncation", origin="transformers tokenizers"),
    "ignore_verifications": Rename(
        "verification_mode",
        {"True": '"no_checks"', "False": '"basic_checks"'},
        origin="datasets 2.9 load_dataset",
    ),
    "torch_dtype": Rename("dtype", origin="transformers 4.56 from_pretrained / pipeline"),
    "tokenizer": Rename("processing_class", origin="transformers 4.46 Trainer"),
}
_UNEXPECTED_KEYWORD = re.compile(r"unexpected keyword argument '(\w+)'")


def _line_offsets(source: str) -> list[int]:
    offsets = [0]
    for line in source.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    return offsets


def _offset(source: str, starts: list[int], lineno: int, col_bytes: int) -> int:
    """Character offset of an AST position (columns are UTF-8 byte offsets)."""
    line_start = starts[lineno - 1]
    line = source[line_start : starts[lineno]] if lineno < len(starts) else source[line_start:]
    return line_start + len(line.encode("utf-8")[:col_bytes].decode("utf-8", "ignore"))


def _calls_at(tree: ast.AST, lineno: int | None) -> list[ast.Call]:
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    if lineno is None:
        return calls
    here = [c for c in calls if c.lineno <= lineno <= (c.end_lineno or c.lineno)]
    return here or calls


def deprecated_argument(source: str, failure: RunFailure) -> str | None:
    """Rename (or drop) a keyword argument that a library removed after deprecating it.

    Fixes ``TypeError: f() got an unexpected keyword argument 'use_auth_token'`` and the other
    entries of ``DEPRECATED_ARGUMENTS`` (``return_all_scores=True`` -> ``top_k=None``,
    ``evaluation_strategy`` -> ``eval_strategy``, no-op ``resume_download`` dropped, ...), in the
    calls on the failing line (all calls when the line is unknown). Safe because each entry is
    the library's own documented replacement with the same meaning, values are translated only
    through an explicit table (an unknown value is left alone), and it triggers only when the
    library has just rejected exactly that argument.
    """
    if failure.exc_type != "TypeError":
        return None
    found = _UNEXPECTED_KEYWORD.search(failure.message)
    if not found or found.group(1) not in DEPRECATED_ARGUMENTS:
        return None
    old, rule = found.group(1), DEPRECATED_ARGUMENTS[found.group(1)]
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    starts = _line_offsets(source)
    edits: list[tuple[int, int, str]] = []
    for call in _calls_at(tree, failure.lineno):
        for keyword in call.keywords:
            if keyword.arg != old or keyword.end_lineno is None or keyword.end_col_offset is None:
                continue
            start = _offset(source, starts, keyword.lineno, keyword.col_offset)
            end = _offset(source, starts, keyword.end_lineno, keyword.end_col_offset)
            value = ast.get_source_segment(source, keyword.value) or ""
            if rule.new is None:
                before = source[:start].rstrip()
                if before.endswith(","):
                    start = len(before) - 1
                else:
                    after = source[end:]
                    stripped = after.lstrip()
                    if stripped.startswith(","):
                        end += len(after) - len(stripped) + 1
                        end += len(source[end:]) - len(source[end:].lstrip(" "))
                edits.append((start, end, ""))
            elif rule.values is None:
                edits.append((start, end, f"{rule.new}={value}"))
            elif value.strip() in rule.values:
                edits.append((start, end, f"{rule.new}={rule.values[value.strip()]}"))
    if not edits:
        return None
    repaired = source
    for start, end, text in sorted(set(edits), reverse=True):
        repaired = repaired[:start] + text + repaired[end:]
    return repaired


# --------------------------------------------------------------------------------------------
# (d) modules that moved
# --------------------------------------------------------------------------------------------

MOVED_MODULES: dict[str, str] = {
    # Python 2 names of standard modules (old cards): same API under the Python 3 name.
    "urllib2": "urllib.request",
    "urlparse": "urllib.parse",
    "ConfigParser": "configparser",
    "Queue": "queue",
    "cPickle": "pickle",
    "StringIO": "io",
    "cStringIO": "io",
    "HTMLParser": "html.parser",
    "httplib": "http.client",
    # Renamed packages and modules of the ML ecosystem.
    "sklearn.cross_validation": "sklearn.model_selection",
    "sklearn.grid_search": "sklearn.model_selection",
    "pytorch_transformers": "transformers",
    "pytorch_pretrained_bert": "transformers",
}
_TRANSFORMERS_FLAT = re.compile(
    r"^transformers\.(?P<kind>modeling|tokenization|configuration|feature_extraction"
    r"|image_processing|processing)_(?P<variant>(?:tf_|flax_)?)(?P<model>[a-z0-9_]+?)(?:_fast)?$"
)
_NO_MODULE = re.compile(r"No module named '([\w.]+)'")


def moved_module_for(name: str) -> str | None:
    """Where module ``name`` lives now, if it is a known move."""
    if name in MOVED_MODULES:
        return MOVED_MODULES[name]
    flat = _TRANSFORMERS_FLAT.match(name)
    if flat and flat["model"] not in ("utils", "auto"):
        # transformers 3 -> 4 moved transformers.modeling_bert to transformers.models.bert....
        return f"transformers.models.{flat['model']}.{name.removeprefix('transformers.')}"
    return None


def moved_module(source: str, failure: RunFailure) -> str | None:
    """Point an import of a module that moved at its new location.

    Fixes ``ModuleNotFoundError`` for Python 2 module names (``urllib2``, ``cPickle``,
    ``StringIO``, ...), ``sklearn.cross_validation``, ``pytorch_transformers`` and the flat
    ``transformers.modeling_bert``-style paths of transformers 3. ``import old`` becomes
    ``import new as old`` so the program's names keep working; ``from old import x`` becomes
    ``from new import x``. Safe because each entry is the same code under its new name, and it
    only fires for the exact module the interpreter could not find; plain ``import a.b`` of a
    dotted module (whose binding would change) is left alone.
    """
    if failure.exc_type != "ModuleNotFoundError":
        return None
    missing = failure.name
    if missing is None:
        found = _NO_MODULE.search(failure.message)
        missing = found.group(1) if found else None
    new = moved_module_for(missing) if missing else None
    if missing is None or new is None:
        return None
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    starts = _line_offsets(source)
    edits: list[tuple[int, int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == missing:
            replacement: ast.stmt = ast.ImportFrom(module=new, names=node.names, level=0)
        elif isinstance(node, ast.Import) and any(a.name == missing for a in node.names):
            aliases = []
            for alias in node.names:
                if alias.name != missing:
                    aliases.append(alias)
                elif alias.asname is None and "." in missing:
                    return None
                else:
                    aliases.append(ast.alias(name=new, asname=alias.asname or missing))
            replacement = ast.Import(names=aliases)
        else:
            continue
        if node.end_lineno is None or node.end_col_offset is None:
            continue
        start = _offset(source, starts, node.lineno, node.col_offset)
        end = _offset(source, starts, node.end_lineno, node.end_col_offset)
        edits.append((start, end, ast.unparse(replacement)))
    if not edits:
        return None
    repaired = source
    for start, end, text in sorted(edits, reverse=True):
        repaired = repaired[:start] + text + repaired[end:]
    return repaired


# --------------------------------------------------------------------------------------------

RULES: tuple[RepairRule, ...] = (
    missing_import,
    moved_module,
    deprecated_argument,
    cuda_to_cpu,
    half_precision_on_cpu,
)


def _describe(before: str, after: str, limit: int = 300) -> str:
    changed = [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    text = " | ".join(line[0] + line[1:].strip() for line in changed)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def repair(
    source: str, failure: RunFailure, rules: tuple[RepairRule, ...] = RULES
) -> RepairStep | None:
    """The first rule that changes ``source`` for ``failure``, or None."""
    for rule in rules:
        repaired = rule(source, failure)
        if repaired is not None and repaired != source:
            return RepairStep(rule.__name__, _describe(source, repaired), repaired)
    return None
