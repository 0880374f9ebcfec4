"""Blocking: find the popular names a candidate may imitate without comparing all pairs.

The popular names (the top K by popularity) are indexed once per audit under exact keys
(skeleton, compact form, base name, sorted tokens) and under their deletion neighbourhood
(symmetric-delete blocking, as spelling correctors use it): every string obtained by deleting
up to two characters of a popular compact form (one for names the typo rule allows one edit).
A candidate is looked up under its own keys, its compact forms without affixes, and every
string obtained by deleting at most one of its characters. Two strings within one edit
(substitution, insertion, deletion, adjacent transposition) always share such a key; two
within two edits share one when the candidate lost characters, or gained one and changed
or lost another (two insertions or two substitutions in one name are not blocked together,
a recall cost the fixture measures). Every hit is then verified by `names.compare`, which
computes the real optimal-string-alignment distance with rapidfuzz.

Cost per candidate: about `len(name) + 6` dictionary lookups, whatever the catalog's size,
so an audit of N artifacts is O(N), not O(N^2) or O(N * K).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence

from registry_ingest.confusion.names import NameForms, NameMatch, compare, max_typo_distance


def _deletions(text: str, depth: int) -> Iterator[str]:
    """`text` with 1..`depth` characters deleted (duplicates possible)."""
    frontier = {text}
    for _ in range(depth):
        frontier = {s[:i] + s[i + 1 :] for s in frontier for i in range(len(s))}
        yield from frontier


class PopularIndex:
    def __init__(self, popular: Sequence[NameForms]) -> None:
        self._forms = list(popular)
        self._keys: dict[str, set[int]] = defaultdict(set)
        for position, item in enumerate(self._forms):
            for key in (
                "s:" + item.skeleton,
                "c:" + item.compact,
                "b:" + item.base_skeleton,
                "o:" + item.sorted_key,
                "d:" + item.compact,
            ):
                self._keys[key].add(position)
            for variant in _deletions(item.compact, max_typo_distance(len(item.compact))):
                self._keys["d:" + variant].add(position)

    def __len__(self) -> int:
        return len(self._forms)

    def matches(self, candidate: NameForms) -> list[tuple[int, NameMatch]]:
        """(position in the popular list, how the candidate imitates it), strongest first."""
        keys = self._keys
        positions: set[int] = set()
        compact = candidate.compact
        lookups = [
            "s:" + candidate.skeleton,
            "c:" + compact,
            "o:" + candidate.sorted_key,
            "d:" + compact,
            *("c:" + core for core in candidate.core_keys),  # the name without affixes
        ]
        if candidate.owner_skeleton:
            lookups.append("b:" + candidate.base_skeleton)
        if len(compact) >= 4:  # shorter names get no typo allowance at all
            lookups.extend("d:" + compact[:i] + compact[i + 1 :] for i in range(len(compact)))
        for key in lookups:
            hit = keys.get(key)
            if hit:
                positions |= hit
        found: list[tuple[int, NameMatch]] = []
        for position in positions:
            match = compare(candidate, self._forms[position])
            if match is not None:
                found.append((position, match))
        found.sort(key=lambda pair: -pair[1].strength)
        return found
