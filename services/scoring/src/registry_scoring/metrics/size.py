"""size_score: how well the model's weights fit four classes of deployment hardware.

The size that matters is one deployable copy of the weights: repositories often publish the
same weights in several formats (safetensors, PyTorch, TensorFlow, Flax, ONNX, ...) and a
device loads one of them. Files of the same format and name stem that are shards
(``model-00001-of-00003.safetensors``) form one variant.

Size of one copy, first source that is available:
1. the declared sizes of the weight files in the manifest, when they are real (they account
   for at least 10% of the Hub's reported storage, or the Hub reports none): the smallest
   variant (what you would deploy on a small device);
2. the Hub's ``usedStorage`` restricted to weights: minus the declared bytes of non-weight
   files, divided by the number of weight variants (each is a full copy);
3. parameters x bytes per parameter (config ``torch_dtype``; float32 when unknown);
4. no weights at all: the declared bytes of all files.

Per device, 1 up to a comfortable size, 0 from a size the device cannot serve usefully, and
log-linear in between (model sizes span orders of magnitude):

| device       | memory it has                   | 1.0 up to | 0.0 from |
|--------------|---------------------------------|-----------|----------|
| raspberry_pi | 4 GB RAM, CPU only              | 50 MB     | 1 GB     |
| jetson_nano  | 4 GB shared CPU/GPU memory      | 100 MB    | 1.5 GB   |
| desktop_pc   | 16-32 GB RAM, 8-12 GB GPU       | 2 GB      | 64 GB    |
| aws_server   | 64+ GB RAM, 24-80 GB GPUs       | 16 GB     | 512 GB   |

    score(size) = clamp(ln(zero / size) / ln(zero / full), 0, 1)
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from pathlib import PurePosixPath
from typing import Any, Final

from registry_scoring.metrics.base import MetricResult, clamp, timed
from registry_scoring.metrics.context import MetricContext
from registry_scoring.metrics.facts import FileEntry, ModelFacts

NAME = "size_score"
MB: Final = 1_000_000
DEVICES: Final[dict[str, tuple[float, float]]] = {
    # device: (full score up to this many bytes, zero from this many bytes)
    "raspberry_pi": (50 * MB, 1_000 * MB),
    "jetson_nano": (100 * MB, 1_500 * MB),
    "desktop_pc": (2_000 * MB, 64_000 * MB),
    "aws_server": (16_000 * MB, 512_000 * MB),
}
DECLARED_TRUST_RATIO: Final = 0.10
BYTES_PER_PARAMETER: Final[dict[str, float]] = {
    "float64": 8, "float32": 4, "float": 4, "tf32": 4, "float16": 2, "half": 2, "bfloat16": 2,
    "float8": 1, "int8": 1, "uint8": 1, "int4": 0.5, "uint4": 0.5,
}  # fmt: skip
_FAMILIES: Final[dict[str, str]] = {
    ".safetensors": "safetensors", ".bin": "pytorch", ".pt": "pytorch", ".pth": "pytorch",
    ".ckpt": "pytorch", ".h5": "tensorflow", ".hdf5": "tensorflow", ".keras": "tensorflow",
    ".pb": "tensorflow", ".msgpack": "flax", ".onnx": "onnx", ".gguf": "gguf", ".ot": "rust",
    ".tflite": "tflite",
}  # fmt: skip
_SHARD: Final = re.compile(r"[-_.]?\d{1,5}-of-\d{1,5}$|[-_.]part\d+$", re.IGNORECASE)


def device_score(size_bytes: float, full: float, zero: float) -> float:
    if size_bytes <= full:
        return 1.0
    if size_bytes >= zero:
        return 0.0
    return clamp(math.log(zero / size_bytes) / math.log(zero / full))


def variants(weights: list[FileEntry]) -> dict[str, int]:
    """Declared bytes per weight variant (format family + directory + stem without shard)."""
    grouped: dict[str, int] = defaultdict(int)
    for item in weights:
        pure = PurePosixPath(item.path)
        family = _FAMILIES.get(pure.suffix.lower(), pure.suffix.lower())
        stem = _SHARD.sub("", pure.stem.lower())
        grouped[f"{pure.parent}/{stem}:{family}"] += item.size
    return dict(grouped)


def weight_bytes(facts: ModelFacts) -> tuple[float, str, dict[str, Any]]:
    """``(bytes of one copy of the weights, method, detail)``."""
    weights = facts.weight_files()
    declared_all = sum(f.size for f in facts.files)
    storage = facts.get("hub_used_storage")
    storage = storage if isinstance(storage, int | float) and storage > 0 else None
    groups = variants(weights)
    detail: dict[str, Any] = {"variants": len(groups), "hub_used_storage": storage}
    if groups and (storage is None or declared_all >= DECLARED_TRUST_RATIO * storage):
        return float(min(groups.values())), "declared_weight_files", detail
    if groups and storage is not None:
        non_weights = sum(f.size for f in facts.files if f.kind != "weights")
        return max(0.0, storage - non_weights) / len(groups), "hub_storage_per_variant", detail
    parameters = facts.get("parameters")
    if isinstance(parameters, int | float) and parameters > 0:
        dtype = str(facts.config.get("torch_dtype") or "float32").lower().removeprefix("torch.")
        per = BYTES_PER_PARAMETER.get(dtype, 4)
        detail["dtype"] = dtype
        return float(parameters) * per, "parameters", detail
    if storage is not None and declared_all < DECLARED_TRUST_RATIO * storage:
        return float(storage), "hub_storage", detail
    return float(declared_all), "all_files", detail


def scores_for(size_bytes: float) -> dict[str, float]:
    return {
        device: round(device_score(size_bytes, full, zero), 4)
        for device, (full, zero) in DEVICES.items()
    }


async def compute(facts: ModelFacts, ctx: MetricContext) -> MetricResult:
    """The value is the mean over devices (used by net_score); the per-device scores are in
    ``detail["devices"]`` and form the rating's ``size_score`` object."""

    async def run() -> tuple[float, dict[str, Any]]:
        size, method, detail = weight_bytes(facts)
        devices = scores_for(size)
        mean = sum(devices.values()) / len(devices)
        return mean, {"devices": devices, "weight_bytes": int(size), "method": method, **detail}

    return await timed(run)
