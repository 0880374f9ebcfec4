"""Deterministic bytes and git-style hashes shared by both fakes."""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Sequence

LFS_POINTER_TEMPLATE = (
    "version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n"
)


def pseudo_random_bytes(seed: str, size: int) -> bytes:
    # SHAKE-256 is an extendable-output hash: any length, same bytes for the same seed, fast.
    return hashlib.shake_256(seed.encode()).digest(size)


def fake_sha1(*parts: str) -> str:
    """A stable 40-hex id (commit shas, node ids) derived from meaningful parts."""
    return hashlib.sha1("\x1f".join(parts).encode()).hexdigest()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def git_blob_sha1(data: bytes) -> str:
    """The object id git itself gives this content (``git hash-object``)."""
    return hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest()


def git_tree_sha1(entries: Sequence[tuple[str, str, str]]) -> str:
    """Object id of a git tree from ``(mode, name, sha_hex)`` entries (mode "100644" or "40000")."""

    def sort_key(entry: tuple[str, str, str]) -> str:
        mode, name, _ = entry
        return name + "/" if mode == "40000" else name  # git sorts directories as "name/"

    body = b"".join(
        f"{mode} {name}".encode() + b"\x00" + bytes.fromhex(sha)
        for mode, name, sha in sorted(entries, key=sort_key)
    )
    return hashlib.sha1(b"tree %d\x00" % len(body) + body).hexdigest()


def lfs_pointer(data: bytes) -> bytes:
    return LFS_POINTER_TEMPLATE.format(sha256=sha256_hex(data), size=len(data)).encode()


def tiny_safetensors(
    seed: str, target_size: int, tensor_names: Sequence[str] = ("embeddings.weight",)
) -> bytes:
    """A valid safetensors file of roughly ``target_size`` bytes holding small F32 tensors.

    Valid so that code parsing the header (or ``HfApi.get_safetensors_metadata`` via HTTP
    Range requests) works; tiny so that downloads stay fast. The tensors' real-world parameter
    count is advertised separately in the repo info (``safetensors.parameters``).
    """
    header_budget = 256 + 96 * len(tensor_names)
    floats_per_tensor = max(1, (target_size - header_budget) // (4 * len(tensor_names)))
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name in tensor_names:
        size = floats_per_tensor * 4
        header[name] = {
            "dtype": "F32",
            "shape": [floats_per_tensor],
            "data_offsets": [offset, offset + size],
        }
        offset += size
    header_bytes = json.dumps(header, separators=(",", ":")).encode()
    # The format asks for the data section to start 8-byte aligned; pad the JSON with spaces.
    header_bytes += b" " * (-len(header_bytes) % 8)
    return struct.pack("<Q", len(header_bytes)) + header_bytes + pseudo_random_bytes(seed, offset)
