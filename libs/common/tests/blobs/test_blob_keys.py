"""Blob key and prefix rules (one definition for every blob store), each refusal with its
sentence."""

from __future__ import annotations

from typing import Any

import pytest

from registry_common.blobs.keys import MAX_KEY_BYTES, validate_key, validate_prefix
from registry_common.errors import BadRequest


@pytest.mark.parametrize(
    ("key", "sentence"),
    [
        ("", "Invalid blob key: it must be a non-empty relative path."),
        ("a\\b", "Invalid blob key 'a\\\\b': it contains '\\\\'."),
        ("a\x00b", "Invalid blob key 'a\\x00b': it contains '\\x00'."),
        ("/etc/passwd", "Invalid blob key '/etc/passwd': it must be a relative path."),
        ("k" * (MAX_KEY_BYTES + 1), f"Invalid blob key: it is longer than {MAX_KEY_BYTES} bytes."),
        ("a/\udc80", "Invalid blob key 'a/\\udc80': it is not valid text."),
        ("a//b", "Invalid blob key 'a//b': empty, '.' and '..' path segments are not allowed."),
        ("a/../b", "Invalid blob key 'a/../b': empty, '.' and '..' path segments are not allowed."),
        (".trash/x", "Invalid blob key '.trash/x': a first segment starting with '.' is reserved."),
    ],
)
def test_refused_keys(key: str, sentence: str) -> None:
    with pytest.raises(BadRequest) as refused:
        validate_key(key)
    assert refused.value.status == 400
    assert refused.value.message == sentence


def test_a_valid_key_is_returned_unchanged() -> None:
    assert validate_key("artifacts/12/r1/full.zip") == "artifacts/12/r1/full.zip"


@pytest.mark.parametrize(
    ("prefix", "segments"), [("", []), ("a/b/", ["a", "b"]), ("a/b/na", ["a", "b"])]
)
def test_prefixes_give_their_complete_segments(prefix: str, segments: list[str]) -> None:
    assert validate_prefix(prefix) == segments


@pytest.mark.parametrize("prefix", [None, 42, b"a/"])
def test_a_prefix_that_is_not_text_is_refused(prefix: Any) -> None:
    with pytest.raises(BadRequest) as refused:
        validate_prefix(prefix)
    assert refused.value.message == "Invalid blob prefix: it must be text."
