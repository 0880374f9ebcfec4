"""Version queries with npm semver semantics (R7).

A query is one of: exact `1.2.3`; bounded range `1.2.3-2.1.0` (both ends inclusive; the
spec writes it without spaces, which plain semver would read as a prerelease, so a dash
between two full versions is taken as a range); tilde `~1.2.0` (patch updates); caret
`^1.2.0` (updates that do not change the left-most non-zero part). Hugging Face and GitHub
versions come from git tags written `vX` or `X`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import nodesemver

from registry_common.errors import BadRequest

_CORE = r"\d+(?:\.\d+){0,2}"
_VERSION = rf"[vV]?{_CORE}(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?"
_TAG = re.compile(rf"^{_VERSION}$")
_BOUNDED = re.compile(rf"^\s*([vV]?{_CORE})\s*-\s*([vV]?{_CORE})\s*$")
_TILDE_CARET = re.compile(rf"^\s*[~^]\s*{_VERSION}\s*$")
_EXACT = re.compile(rf"^\s*={{0,2}}\s*({_VERSION})\s*$")


def normalize_tag(tag: str) -> str | None:
    """`v1.2.0` → `1.2.0`; `1.2` → `1.2.0`; None for tags that are not versions."""
    tag = tag.strip()
    if not _TAG.match(tag):
        return None
    core, sep, rest = tag.lstrip("vV").partition("-")
    parts = core.split("+", 1)[0].split(".")
    while len(parts) < 3:
        parts.append("0")
    build = core.split("+", 1)[1] if "+" in core else None
    version = ".".join(parts) + (sep + rest if sep else "")
    return version + (f"+{build}" if build else "")


def compile_version_query(query: str) -> Callable[[str], bool]:
    """A predicate over versions; BadRequest with an example when the query is malformed."""
    text = query.strip()
    bounded = _BOUNDED.match(text)
    if bounded:
        low, high = (normalize_tag(v) for v in bounded.groups())
        if low is None or high is None or nodesemver.gt(low, high, loose=True):
            raise BadRequest(f"The version range {query!r} must go from low to high.")
        range_ = f">={low} <={high}"
    elif _TILDE_CARET.match(text):
        range_ = text.replace(" ", "")
    else:
        exact = _EXACT.match(text)
        if not exact or normalize_tag(exact.group(1)) is None:
            raise BadRequest(
                f"The version query {query!r} is not understood; use 1.2.3, 1.2.3-2.1.0, "
                "~1.2.0 or ^1.2.0."
            )
        range_ = f"={normalize_tag(exact.group(1))}"

    def satisfied_by(version: str) -> bool:
        normal = normalize_tag(version)
        return normal is not None and bool(nodesemver.satisfies(normal, range_, loose=True))

    return satisfied_by
