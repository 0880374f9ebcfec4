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

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence

from registry_ingest.confusion.names import (
    NameForms,
    NameMatch,
    compare,
    forms,
    max_typo_distance,
)


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


class NameMatcher:
    """Remembers, between audits, which popular names each name imitates.

    The index holds the top `headroom` x K popular names, so the top K of a later audit is
    usually still inside it: then only names new since the last audit are looked up, and
    the rest of the catalog costs nothing. When a name from the current top K is missing
    from the index (popularity moved a lot), the index is rebuilt and every name looked up
    again. Names that left the catalog are forgotten, so memory follows the catalog.
    Matches against indexed names outside the current top K are the caller's to drop.
    """

    def __init__(self, headroom: int = 2) -> None:
        self._headroom = headroom
        self._indexed: frozenset[str] = frozenset()
        self._names: list[str] = []
        self._index = PopularIndex([])
        self._matches: dict[str, list[tuple[str, NameMatch]]] = {}
        self._counted: set[str] = set()
        # How many distinct names of the catalog use each word (of their skeleton): a
        # changed word many names use marks an honest variant, not a typo.
        self.word_use: Counter[str] = Counter()
        self.rebuilds = 0

    def matches(
        self, names: Sequence[str], ranked_popular: Sequence[str], k: int
    ) -> dict[str, list[tuple[str, NameMatch]]]:
        """For each of `names`: (popular name, match) pairs. `ranked_popular`: distinct
        popular names, most popular first; the top `k` of them are the current targets."""
        if not set(ranked_popular[:k]) <= self._indexed:
            self._names = list(ranked_popular[: k * self._headroom])
            self._indexed = frozenset(self._names)
            self._index = PopularIndex([forms(n) for n in self._names])
            self._matches = {}
            self.rebuilds += 1
        present = set(names)
        for gone in self._matches.keys() - present:
            del self._matches[gone]
        for gone in self._counted - present:
            self.word_use.subtract(set(forms(gone).tokens))
        for new in present - self._counted:
            self.word_use.update(set(forms(new).tokens))
        self._counted = present
        for name in present - self._matches.keys():
            self._matches[name] = [
                (self._names[position], match)
                for position, match in self._index.matches(forms(name))
            ]
        return self._matches
