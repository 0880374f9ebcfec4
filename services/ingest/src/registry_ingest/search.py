"""Regex search that cannot be turned against the service.

RE2 matches in time linear in the input, whatever the pattern, so `(a+)+$` against a long
README answers as fast as `bert`. Patterns are capped in length and RE2's memory is
bounded; features RE2 cannot run in linear time (backreferences, lookaround) are refused
with a sentence that says so.
"""

from __future__ import annotations

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
