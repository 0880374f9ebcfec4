"""License identifiers from Hugging Face cards and GitHub to one canonical id.

Hugging Face card metadata says ``license: apache-2.0`` (lower case, its own ids such as
``openrail``, ``llama2``, ``other``; sometimes a list), GitHub's license API says
``"spdx_id": "Apache-2.0"`` (``NOASSERTION`` when it found a license file it cannot classify,
``null`` or 404 when there is none). Both become the canonical ids of
`registry_lineage.licenses.table`: the SPDX id where one exists, our own (``OpenRAIL-M``,
``Llama-2``, ``Gemma``, ...) otherwise.

Anything we cannot name becomes ``canonical = None``, with the raw text kept and a `problem`
saying why: ``missing`` (no license declared), ``unidentified`` (a license exists but its source
does not say which: ``other``, ``unknown``, ``NOASSERTION``), ``unrecognised`` (a name our table
does not know).

Combinations: an SPDX expression ``A OR B`` lets the licensee choose; ``A AND B`` and a plain
list (as Hugging Face cards write several licenses) mean every license applies - the
conservative reading. ``WITH <exception>`` is dropped: exceptions only add permissions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from registry_lineage.licenses.table import LICENSES, TABLE

Problem = Literal["missing", "unidentified", "unrecognised"]
Operator = Literal["AND", "OR"]

_MISSING = "missing"
_UNIDENTIFIED = "unidentified"

_SEPARATORS = re.compile(r"[\s_,]+")
_OR = re.compile(r"\s+or\s+", re.IGNORECASE)
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_WITH = re.compile(r"\s+with\s+.*$", re.IGNORECASE)


def _key(text: str) -> str:
    """Lower case, quotes and brackets off, separators as single hyphens."""
    text = text.strip().strip("\"'`()[]{} ").lower()
    if text.startswith("license:"):  # Hugging Face tag form, e.g. "license:mit"
        text = text[len("license:") :]
    return _SEPARATORS.sub("-", text).strip("-")


# Words that mean "no license was declared".
_MISSING_KEYS = frozenset({"", "none", "null", "no-license", "unlicensed", "n/a", "na"})
# Words that mean "there is a license, but its source does not say which one".
_UNIDENTIFIED_KEYS = frozenset(
    {
        "other",
        "unknown",
        "noassertion",
        "custom",
        "proprietary",
        "see-license",
        "see-license-file",
        "license-file",
        "unspecified",
        "not-specified",
    }
)

# Spellings seen on Hugging Face, GitHub and in READMEs that are not a table id or name.
_EXTRA_ALIASES: dict[str, str] = {
    # Hugging Face's own ids
    "openrail": "OpenRAIL",
    "openrail++": "CreativeML-OpenRAIL++-M",
    "llama2": "Llama-2",
    "llama3": "Llama-3",
    "llama3.1": "Llama-3.1",
    "llama3.2": "Llama-3.2",
    "llama3.3": "Llama-3.3",
    "fair-noncommercial-research-license": "FAIR-Noncommercial-Research",
    # unversioned or loosely written families; the version does not change our answer
    "bsd": "BSD-3-Clause",
    "new-bsd": "BSD-3-Clause",
    "simplified-bsd": "BSD-2-Clause",
    "bsd-2": "BSD-2-Clause",
    "bsd-3": "BSD-3-Clause",
    "expat": "MIT",
    "apache": "Apache-2.0",
    "apache-2": "Apache-2.0",
    "apache2": "Apache-2.0",
    "apache-license-version-2.0": "Apache-2.0",
    "boost": "BSL-1.0",
    "cc0": "CC0-1.0",
    "cc-by": "CC-BY-4.0",
    "cc-by-sa": "CC-BY-SA-4.0",
    "cc-by-nc": "CC-BY-NC-4.0",
    "cc-by-nc-sa": "CC-BY-NC-SA-4.0",
    "cc-by-nd": "CC-BY-ND-4.0",
    "cc-by-nc-nd": "CC-BY-NC-ND-4.0",
    # An unversioned GPL lets the recipient choose any version (GPL-2.0 §9, GPL-3.0 §14).
    "gpl": "GPL-2.0-or-later",
    "gplv2": "GPL-2.0",
    "gpl2": "GPL-2.0",
    "gplv3": "GPL-3.0",
    "gpl3": "GPL-3.0",
    "lgpl": "LGPL-2.1-or-later",
    "lgplv2.1": "LGPL-2.1",
    "lgplv3": "LGPL-3.0",
    "agpl": "AGPL-3.0",
    "agplv3": "AGPL-3.0",
    "lgpl-2.1-only": "LGPL-2.1",
    "lgpl-3.0-only": "LGPL-3.0",
    # SPDX's "+" suffix means "or later"
    "gpl-2.0+": "GPL-2.0-or-later",
    "gpl-3.0+": "GPL-3.0-or-later",
    "lgpl-2.1+": "LGPL-2.1-or-later",
    "lgpl-3.0+": "LGPL-3.0-or-later",
    "agpl-3.0+": "AGPL-3.0-or-later",
}


def _build_aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for license_id in TABLE:
        aliases[_key(license_id)] = license_id
    for entry in LICENSES:
        aliases.setdefault(_key(entry.name), entry.id)
    for key, license_id in _EXTRA_ALIASES.items():
        if license_id not in TABLE:
            raise ValueError(f"alias {key!r} points at {license_id!r}, which is not in the table")
        aliases[_key(key)] = license_id
    return aliases


_ALIASES = _build_aliases()


@dataclass(frozen=True)
class NormalizedLicense:
    """One declared license (or combination) read into canonical ids."""

    raw: str | None
    """What the source said (list items joined with ", "), None when it said nothing."""
    ids: tuple[str, ...]
    """Canonical ids of the parts we recognised, in order, without duplicates."""
    operator: Operator
    """How the parts combine: OR = the licensee may choose one, AND = all apply."""
    unrecognised: tuple[str, ...] = ()
    """Raw parts that are neither a known license nor a known 'no / unknown license' word."""
    problem: Problem | None = None
    """Why `canonical` is None (None when it is not)."""

    @property
    def canonical(self) -> str | None:
        """The canonical id (or SPDX-style expression), None when not fully known."""
        if self.problem is not None or not self.ids:
            return None
        return f" {self.operator} ".join(self.ids)

    @property
    def alternatives(self) -> tuple[tuple[str, ...], ...]:
        """Choices the licensee has; each choice is the set of licenses that then apply."""
        if self.canonical is None:
            return ()
        if self.operator == "OR":
            return tuple((license_id,) for license_id in self.ids)
        return (self.ids,)


def _read_part(part: str) -> str:
    """A canonical id, or one of the markers ``missing`` / ``unidentified``; '' = unrecognised."""
    key = _key(_WITH.sub("", part))
    if key in _MISSING_KEYS:
        return _MISSING
    if key in _UNIDENTIFIED_KEYS:
        return _UNIDENTIFIED
    return _ALIASES.get(key, "")


def _split(text: str) -> tuple[list[str], Operator]:
    """Top-level parts of an SPDX-style expression; nested or mixed operators read as AND."""
    text = text.strip()
    if _read_part(text):  # a whole name such as 'BSD 3-Clause "New" or "Revised" License'
        return [text], "AND"
    has_or = bool(_OR.search(text))
    has_and = bool(_AND.search(text))
    if has_or and not has_and:
        return [p.strip().strip("()") for p in _OR.split(text.strip("()"))], "OR"
    if has_and:
        flat = _OR.sub(" AND ", text).replace("(", " ").replace(")", " ")
        return [p.strip() for p in _AND.split(flat) if p.strip()], "AND"
    return [text], "AND"


def normalize_license(value: str | Sequence[str] | None) -> NormalizedLicense:
    """Read a Hugging Face ``license`` value or a GitHub ``spdx_id`` (or a list of them)."""
    if value is None:
        return NormalizedLicense(raw=None, ids=(), operator="AND", problem="missing")
    if isinstance(value, str):
        raw = value
        parts, operator = _split(value)
    else:
        items = [str(item) for item in value if item is not None]
        raw = ", ".join(items)
        parts, operator = [], "AND"
        for item in items:
            sub, _ = _split(item)  # an expression inside a list is read conservatively
            parts.extend(sub)
    ids: list[str] = []
    markers: list[str] = []
    unrecognised: list[str] = []
    for part in parts:
        found = _read_part(part)
        if found in (_MISSING, _UNIDENTIFIED):
            markers.append(found)
        elif found:
            if found not in ids:
                ids.append(found)
        else:
            unrecognised.append(part.strip())
    problem: Problem | None = None
    if operator == "OR":
        if not ids:  # nothing to choose from
            problem = "unrecognised" if unrecognised else _worst(markers)
    elif unrecognised:
        problem = "unrecognised"
    elif _UNIDENTIFIED in markers:
        problem = "unidentified"
    elif not ids:  # only "none"-like words (a "none" beside a real license is ignored)
        problem = "missing"
    if problem is None and len(ids) == 1:
        operator = "AND"
    return NormalizedLicense(
        raw=raw,
        ids=tuple(ids),
        operator=operator,
        unrecognised=tuple(unrecognised),
        problem=problem,
    )


def _worst(markers: list[str]) -> Problem:
    return "unidentified" if _UNIDENTIFIED in markers else "missing"


def canonical_license(value: str | Sequence[str] | None) -> str | None:
    """The canonical id of a declared license, None when unknown or missing."""
    return normalize_license(value).canonical
