"""Key and prefix rules shared by every blob store, so both backends accept the same keys.

A key is a relative POSIX path of non-empty segments: no leading `/`, no `.` or `..`
segment, no empty segment (`a//b`, trailing `/`), no backslash, no NUL. A first segment
starting with `.` is reserved for the stores' own bookkeeping (temp files, sidecars,
staging uploads), so such keys are refused too.

Keys come from our own code, but a path traversal must be impossible whatever the caller
passes, so violations raise `BadRequest` before any I/O happens.
"""

from __future__ import annotations

from registry_common.errors import BadRequest

MAX_KEY_BYTES = 1024  # S3's limit; the local store has its own per-segment limit.
_FORBIDDEN_CHARS = ("\\", "\x00")


def _check_chars(value: str, what: str) -> None:
    for char in _FORBIDDEN_CHARS:
        if char in value:
            raise BadRequest(f"Invalid blob {what} {value!r}: it contains {char!r}.")
    if value.startswith("/"):
        raise BadRequest(f"Invalid blob {what} {value!r}: it must be a relative path.")
    if len(value.encode("utf-8", errors="surrogatepass")) > MAX_KEY_BYTES:
        raise BadRequest(f"Invalid blob {what}: it is longer than {MAX_KEY_BYTES} bytes.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest(f"Invalid blob {what} {value!r}: it is not valid text.") from None


def _check_segment(segment: str, value: str, what: str) -> None:
    if segment in ("", ".", ".."):
        raise BadRequest(
            f"Invalid blob {what} {value!r}: empty, '.' and '..' path segments are not allowed."
        )


def validate_key(key: str) -> str:
    """Return `key` unchanged when it is a valid blob key, else raise BadRequest."""
    if not isinstance(key, str) or not key:
        raise BadRequest("Invalid blob key: it must be a non-empty relative path.")
    _check_chars(key, "key")
    segments = key.split("/")
    for segment in segments:
        _check_segment(segment, key, "key")
    if segments[0].startswith("."):
        raise BadRequest(
            f"Invalid blob key {key!r}: a first segment starting with '.' is reserved."
        )
    return key


def validate_prefix(prefix: str) -> list[str]:
    """Check a listing prefix; return its complete directory segments.

    `""` matches everything; `"a/b/"` is a "directory"; `"a/b/na"` also matches
    `a/b/name.txt`. Every segment before the last `/` obeys the key rules; the partial
    last segment may be anything but is never used as a path.
    """
    if not isinstance(prefix, str):
        raise BadRequest("Invalid blob prefix: it must be text.")
    if not prefix:
        return []
    _check_chars(prefix, "prefix")
    directories = prefix.split("/")[:-1]
    for segment in directories:
        _check_segment(segment, prefix, "prefix")
    return directories


def is_reserved(key: str) -> bool:
    """True for names the stores use internally (hidden from listings)."""
    return key.startswith(".")
