"""How one artifact name can imitate another: the name signals of the package-confusion audit.

Every name is reduced to a few comparable forms:

- `skeleton`: NFKC, accents dropped, case folded, look-alike characters mapped to one
  representative (Cyrillic and Greek letters, 0/o, 1/l/i, rn/m, vv/w), delimiters unified to
  `-`. Two names with the same skeleton look the same to a reader.
- `compact`: the skeleton without delimiters (delimiter tricks vanish);
- `tokens`: the skeleton split at delimiters and at letter/digit boundaries; `sorted_key` is
  their sorted join (token reordering vanishes);
- `base`: the part after the last `/` (an `owner/name` name's owner is a scope).

`compare` then says which trick, if any, turns a popular name into a candidate's, with a
strength in [0, 1] (how sure the name alone makes us) and a sentence.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA

# Characters a reader cannot tell apart from an ASCII letter in a name (a deliberately small,
# explicit table: the look-alikes typosquatting reports show, not all of Unicode's
# confusables, whose digit mappings would merge honest names such as `t5` and `ts`).
_LOOKALIKES = {
    # Cyrillic and Armenian
    "\N{CYRILLIC SMALL LETTER A}": "a",
    "\N{CYRILLIC SMALL LETTER VE}": "b",
    "\N{CYRILLIC SMALL LETTER IE}": "e",
    "\N{CYRILLIC SMALL LETTER IO}": "e",
    "\N{CYRILLIC SMALL LETTER SHHA}": "h",
    "\N{CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I}": "l",
    "\N{CYRILLIC SMALL LETTER YI}": "l",
    "\N{CYRILLIC SMALL LETTER JE}": "j",
    "\N{CYRILLIC SMALL LETTER KA}": "k",
    "\N{CYRILLIC SMALL LETTER EM}": "m",
    "\N{CYRILLIC SMALL LETTER EN}": "h",
    "\N{CYRILLIC SMALL LETTER O}": "o",
    "\N{CYRILLIC SMALL LETTER ER}": "p",
    "\N{CYRILLIC SMALL LETTER ES}": "c",
    "\N{CYRILLIC SMALL LETTER TE}": "t",
    "\N{CYRILLIC SMALL LETTER U}": "y",
    "\N{CYRILLIC SMALL LETTER HA}": "x",
    "\N{CYRILLIC SMALL LETTER DZE}": "s",
    "\N{CYRILLIC SMALL LETTER KOMI DE}": "d",
    "\N{CYRILLIC SMALL LETTER QA}": "q",
    "\N{CYRILLIC SMALL LETTER WE}": "w",
    "\N{CYRILLIC SMALL LETTER PALOCHKA}": "l",
    "\N{LATIN SMALL LETTER SCRIPT G}": "g",
    "\N{ARMENIAN SMALL LETTER SEH}": "u",
    "\N{ARMENIAN SMALL LETTER OH}": "o",
    # Greek
    "\N{GREEK SMALL LETTER ALPHA}": "a",
    "\N{GREEK SMALL LETTER BETA}": "b",
    "\N{GREEK SMALL LETTER EPSILON}": "e",
    "\N{GREEK SMALL LETTER IOTA}": "l",
    "\N{GREEK SMALL LETTER KAPPA}": "k",
    "\N{GREEK SMALL LETTER NU}": "v",
    "\N{GREEK SMALL LETTER OMICRON}": "o",
    "\N{GREEK SMALL LETTER RHO}": "p",
    "\N{GREEK SMALL LETTER TAU}": "t",
    "\N{GREEK SMALL LETTER UPSILON}": "u",
    "\N{GREEK SMALL LETTER CHI}": "x",
    # digits and letters that pass for one another in most fonts
    "0": "o",
    "1": "l",
    "i": "l",
    "|": "l",
    "!": "l",
}
_LOOKALIKE_TABLE = str.maketrans(_LOOKALIKES)
_MULTI_LOOKALIKES = (("rn", "m"), ("vv", "w"))
_DELIMITERS = re.compile(r"[\s\-_.~+]+")
_TOKEN_SPLIT = re.compile(r"[-/]+")

# Words impostors add to a popular name to look official or newer (token level), and the
# string prefixes/suffixes package squatters glue on without a delimiter.
AFFIX_TOKENS = frozenset(
    {
        "official", "org", "team", "real", "original", "orig", "new", "latest", "updated",
        "update", "fixed", "fix", "secure", "safe", "verified", "pro", "plus", "premium", "free",
        "full", "v2", "v3", "v4", "2", "3", "hf", "hub", "huggingface", "model", "models", "py",
        "python", "lib", "dev", "beta", "final", "release", "mirror", "copy", "backup", "ai",
    }
)  # fmt: skip
_GLUED_AFFIXES = ("py", "python", "official", "pro", "hf", "lib")


@dataclass(frozen=True)
class NameForms:
    raw: str
    folded: str  # NFKC, accents dropped, case folded (no look-alike mapping)
    skeleton: str
    compact: str
    tokens: tuple[str, ...]
    sorted_key: str
    base_skeleton: str
    owner_skeleton: str | None
    core_keys: tuple[str, ...]  # compact forms with known affixes removed


@dataclass(frozen=True)
class NameMatch:
    kind: str  # homoglyph | delimiter | case | reorder | affix | scope | typo
    strength: float
    reason: str  # completes "name ..." e.g. "is 1 edit from 'bert-base-uncased'"
    distance: int = 0


def _fold(name: str) -> str:
    if name.isascii():
        return name.lower()  # NFKC and accent stripping change nothing in ASCII
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", name))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFKC", stripped).casefold()


def _skeleton(folded: str) -> str:
    mapped = folded.translate(_LOOKALIKE_TABLE)
    for many, one in _MULTI_LOOKALIKES:
        mapped = mapped.replace(many, one)
    return _DELIMITERS.sub("-", mapped).strip("-")


_AFFIX_SKELETONS = frozenset(_skeleton(a) for a in AFFIX_TOKENS)
_GLUED_SKELETONS = tuple(_skeleton(a) for a in _GLUED_AFFIXES)


def _tokens(skeleton: str) -> tuple[str, ...]:
    return tuple(t for t in _TOKEN_SPLIT.split(skeleton) if t)


def _core_keys(tokens: tuple[str, ...], compact: str) -> tuple[str, ...]:
    keys: set[str] = set()
    kept = [t for t in tokens if t not in _AFFIX_SKELETONS]
    if kept and len(kept) < len(tokens):
        keys.add("".join(kept))
    for affix in _GLUED_SKELETONS:
        if compact.startswith(affix) and len(compact) > len(affix) + 2:
            keys.add(compact[len(affix) :])
        if compact.endswith(affix) and len(compact) > len(affix) + 2:
            keys.add(compact[: -len(affix)])
    keys.discard(compact)
    return tuple(sorted(keys))


@lru_cache(maxsize=262_144)
def forms(name: str) -> NameForms:
    """The comparable forms of `name` (cached: names are compared far more than created)."""
    folded = _fold(name)
    skeleton = _skeleton(folded)
    owner, _, base = skeleton.rpartition("/")
    tokens = _tokens(skeleton)
    compact = "".join(tokens)
    return NameForms(
        raw=name,
        folded=folded,
        skeleton=skeleton,
        compact=compact,
        tokens=tokens,
        sorted_key="-".join(sorted(tokens)),
        base_skeleton=base,
        owner_skeleton=owner or None,
        core_keys=_core_keys(tokens, compact),
    )


def max_typo_distance(length: int) -> int:
    """Edits a typo may make to a popular name of `length` characters (compact form):
    none below 4 (every short name is a few edits from another), 1 up to 8, else 2."""
    if length < 4:
        return 0
    return 1 if length <= 8 else 2


def typo_distance(candidate: NameForms, target: NameForms) -> int | None:
    """OSA distance of the compact forms when within the target's allowance, else None."""
    limit = max_typo_distance(len(target.compact))
    if limit == 0 or abs(len(candidate.compact) - len(target.compact)) > limit:
        return None
    distance = OSA.distance(candidate.compact, target.compact, score_cutoff=limit)
    return distance if 0 < distance <= limit else None


def compare(candidate: NameForms, target: NameForms) -> NameMatch | None:
    """The strongest trick that makes `candidate` read like `target`, or None."""
    shown = f"'{target.raw}'"
    if candidate.raw == target.raw:
        return None  # the same name: only a scope (different owner) can make it a trick
    if candidate.skeleton == target.skeleton:
        if candidate.raw.casefold() == target.raw.casefold():
            return NameMatch("case", 0.7, f"differs from {shown} only in letter case")
        if candidate.folded == target.folded:
            return NameMatch(
                "homoglyph",
                1.0,
                f"reads as {shown} but is written with accented or full-width characters",
            )
        if _DELIMITERS.sub("", candidate.folded) == _DELIMITERS.sub("", target.folded):
            return NameMatch("delimiter", 0.8, f"differs from {shown} only in its separators")
        return NameMatch(
            "homoglyph",
            1.0,
            f"reads as {shown} but uses look-alike characters ({_differing(candidate, target)})",
        )
    if candidate.compact == target.compact:
        return NameMatch("delimiter", 0.8, f"differs from {shown} only in its separators")
    if candidate.base_skeleton == target.base_skeleton and candidate.owner_skeleton:
        return NameMatch(
            "scope",
            0.85,
            f"is the name of {shown} under another owner '{_owner(candidate)}'",
        )
    if candidate.sorted_key == target.sorted_key and len(target.tokens) > 1:
        return NameMatch("reorder", 0.75, f"has the words of {shown} in another order")
    if target.compact in candidate.core_keys:
        added = _added(candidate, target)
        return NameMatch("affix", 0.7, f"is {shown} with '{added}' added")
    distance = typo_distance(candidate, target)
    if distance is not None:
        edits = "1 edit" if distance == 1 else f"{distance} edits"
        strength = 0.85 if distance == 1 else 0.6
        return NameMatch("typo", strength, f"is {edits} from {shown}", distance)
    return None


def _owner(candidate: NameForms) -> str:
    owner, _, _ = candidate.raw.rpartition("/")
    return owner


def _differing(candidate: NameForms, target: NameForms) -> str:
    foreign = sorted({c for c in candidate.raw if not c.isascii()})
    if foreign:
        return "non-ASCII " + ", ".join(f"'{c}'" for c in foreign)
    if len(candidate.raw) == len(target.raw):
        swapped = [
            f"'{a}' for '{b}'"
            for a, b in zip(candidate.raw, target.raw, strict=True)
            if a.casefold() != b.casefold()
        ]
        return ", ".join(swapped[:3])
    return "'rn' for 'm' or 'vv' for 'w'"


def _added(candidate: NameForms, target: NameForms) -> str:
    """The added part as the candidate spells it (not its skeleton)."""
    mine, theirs = candidate.folded, target.folded
    if mine.startswith(theirs):
        return mine[len(theirs) :].strip("-_. ")
    if mine.endswith(theirs):
        return mine[: len(mine) - len(theirs)].strip("-_. ")
    words = [w for w in _DELIMITERS.split(theirs) if w]
    return "-".join(w for w in _DELIMITERS.split(mine) if w and w not in words)
