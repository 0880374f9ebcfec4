"""Regex search that cannot be turned against the service.

RE2 matches in time linear in the input, whatever the pattern, so `(a+)+$` against a long
README answers as fast as `bert`. Patterns are capped in length and RE2's memory is
bounded; features RE2 cannot run in linear time (backreferences, lookaround) are refused
with a sentence that says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import re2

from registry_common.errors import BadRequest

MAX_PATTERN_LENGTH = 1000
_MAX_MEMORY = 8 << 20  # bytes RE2 may use for one compiled pattern

_UNSUPPORTED_HINTS = (
    ("(?=", "lookahead"),
    ("(?!", "negative lookahead"),
    ("(?<=", "lookbehind"),
    ("(?<!", "negative lookbehind"),
)


def compile_search(pattern: str) -> Callable[[str], bool]:
    """A predicate that says whether `pattern` occurs anywhere in a text (search semantics)."""
    if not isinstance(pattern, str) or not pattern:
        raise BadRequest("The regex must be a non-empty string.")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise BadRequest(f"The regex is longer than {MAX_PATTERN_LENGTH} characters; shorten it.")
    options = re2.Options()
    options.log_errors = False
    options.max_mem = _MAX_MEMORY
    try:
        compiled = re2.compile(pattern, options)
    except re2.error as exc:
        raise BadRequest(_explain(pattern, exc)) from exc

    def matches(text: str) -> bool:
        return compiled.search(text) is not None

    return matches


def _explain(pattern: str, exc: Exception) -> str:
    for token, feature in _UNSUPPORTED_HINTS:
        if token in pattern:
            return (
                f"The regex uses {feature}, which this registry does not support because it "
                "cannot be matched in linear time; rewrite the pattern without it."
            )
    if any(f"\\{digit}" in pattern for digit in "123456789"):
        return (
            "The regex uses a backreference, which this registry does not support because it "
            "cannot be matched in linear time; rewrite the pattern without it."
        )
    reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
    return f"The regex is not valid ({reason}); fix it and search again."


# Backslash escapes that mean the same in RE2 and in PostgreSQL's regular expressions. Others
# differ (`\b` is a word boundary in RE2 and a backspace in PostgreSQL; `\z`, `\Q..\E`,
# `\pL` are RE2 only), so a pattern using one is not handed to the database's index.
_SHARED_ESCAPES = set("dDwWsSnt") | set(r"\.^$|?*+()[]{}-/")
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def database_prefilter(pattern: str) -> str | None:
    """`pattern` for the database's trigram-indexed regex operator, or None when the
    database's dialect could read it differently from RE2 (then the scan alone answers).

    The database only narrows the candidates: every candidate is matched again with RE2,
    so a pattern the database reads more broadly (`.` also matching a newline) changes
    nothing, and one it would read more narrowly is never handed to it."""
    body = pattern[4:] if pattern.startswith("(?i)") else pattern
    if "(?" in body.replace("(?:", ""):
        return None  # flags (other than a leading (?i)) and named groups are spelled differently
    if any(ch not in _SHARED_ESCAPES for ch in _ESCAPE.findall(pattern)):
        return None
    if "[[" in pattern or "[:" in pattern or "[=" in pattern or "[." in pattern:
        return None  # bracket-expression subtleties differ; keep the exact scan
    return pattern
