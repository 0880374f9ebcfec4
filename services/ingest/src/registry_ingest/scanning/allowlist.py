"""Which pickle imports are safe, and which of the others are known to run code.

The allow-list is what plain weight files need, after PyTorch's `weights_only` unpickler and
the Hugging Face Hub's pickle scanner: tensors and storages, ordered dicts, numpy arrays and
dtypes, and a few builtin containers. Every other import makes a file unsafe; the deny-list
only labels the worst of them "dangerous" (they run commands, code, or touch files and the
network) so a reader sees at once that `os.system` is not an exotic class.
"""

from __future__ import annotations

from typing import Final

ALLOWLIST_VERSION: Final = "2026-12-07"

_TORCH_STORAGES: Final = frozenset(
    f"{kind}Storage"
    for kind in (
        "Float", "Double", "Half", "BFloat16", "Long", "Int", "Short", "Char", "Byte", "Bool",
        "ComplexFloat", "ComplexDouble", "QInt8", "QUInt8", "QInt32", "QUInt4x2", "QUInt2x4",
        "Untyped",
    )
)  # fmt: skip
_TORCH_DTYPES: Final = frozenset(
    {"float16", "float32", "float64", "bfloat16", "half", "float", "double", "int8", "int16",
     "int32", "int64", "uint8", "bool", "complex64", "complex128"}
)  # fmt: skip
SAFE: Final[dict[str, frozenset[str]]] = {
    "collections": frozenset({"OrderedDict"}),
    "torch": _TORCH_STORAGES | _TORCH_DTYPES | {"Size", "device"},
    "torch._utils": frozenset(
        {
            "_rebuild_tensor",
            "_rebuild_tensor_v2",
            "_rebuild_tensor_v3",
            "_rebuild_parameter",
            "_rebuild_parameter_with_state",
            "_rebuild_device_tensor_from_numpy",
            "_rebuild_meta_tensor_no_storage",
            "_rebuild_qtensor",
        }
    ),
    "torch._tensor": frozenset({"_rebuild_from_type_v2"}),
    "numpy": frozenset({"dtype", "ndarray"}),
    "numpy.core.multiarray": frozenset({"_reconstruct", "scalar"}),
    "numpy._core.multiarray": frozenset({"_reconstruct", "scalar"}),
    "builtins": frozenset(
        {
            "set",
            "frozenset",
            "slice",
            "range",
            "complex",
            "bytearray",
            "bytes",
            "dict",
            "list",
            "tuple",
            "int",
            "float",
            "bool",
            "str",
        }
    ),
    "__builtin__": frozenset({"set", "frozenset", "slice", "complex", "bytearray"}),
    "_codecs": frozenset({"encode"}),  # how protocol 2 stores bytes
}

_DANGEROUS_MODULES: Final = frozenset(
    {"os", "posix", "nt", "subprocess", "sys", "socket", "shutil", "runpy", "pty", "ctypes",
     "importlib", "pickle", "_pickle", "marshal", "webbrowser", "urllib.request", "requests",
     "http.client", "httplib", "asyncio", "code", "codeop", "pdb", "bdb", "timeit", "cProfile",
     "profile", "pydoc", "commands", "multiprocessing", "pip", "venv", "ensurepip", "types"}
)  # fmt: skip
_DANGEROUS_BUILTINS: Final = frozenset(
    {"eval", "exec", "execfile", "compile", "open", "__import__", "getattr", "setattr",
     "delattr", "globals", "locals", "vars", "input", "breakpoint", "apply", "file"}
)  # fmt: skip


def is_safe(dotted: str) -> bool:
    module, _, name = dotted.rpartition(".")
    return name in SAFE.get(module, frozenset())


def is_dangerous(dotted: str) -> bool:
    module, _, name = dotted.rpartition(".")
    if module in ("builtins", "__builtin__"):
        return name in _DANGEROUS_BUILTINS
    root = module.split(".")[0]
    return module in _DANGEROUS_MODULES or root in _DANGEROUS_MODULES
