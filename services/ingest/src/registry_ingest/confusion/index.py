"""Blocking: find the popular names a candidate may imitate without comparing all pairs.

The popular names (the top K by popularity) are indexed once per audit under exact keys
(skeleton, compact form, base name, sorted tokens, compact form without affixes) and in
buckets by compact length. A candidate is then looked up under its own keys (dictionary
hits) and compared by edit distance only against the popular names whose length is within
the edit allowance (rapidfuzz's `process.extract`, in C++). Cost per candidate: a handful
of dictionary lookups plus one bounded C++ scan, so an audit of N artifacts is O(N * K/L)
distance computations at most, not O(N^2).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from rapidfuzz import process
from rapidfuzz.distance import OSA

from registry_ingest.confusion.names import NameForms, NameMatch, compare, max_typo_distance


class PopularIndex:
    def __init__(self, popular: Sequence[NameForms]) -> None:
        self._forms = list(popular)
        self._exact: dict[str, set[int]] = defaultdict(set)
        by_length: dict[int, list[int]] = defaultdict(list)
        for position, item in enumerate(self._forms):
            for key in (
                "s:" + item.skeleton,
                "c:" + item.compact,
                "b:" + item.base_skeleton,
                "o:" + item.sorted_key,
            ):
                self._exact[key].add(position)
            if max_typo_distance(len(item.compact)):
                by_length[len(item.compact)].append(position)
        # Blocking for typos: a popular name is scanned only for candidates whose compact
        # length is within 2 of its own and which share its first or its last character
        # (a typo of at most 2 edits rarely changes both ends; homoglyphs at either end are
        # caught by the skeleton key instead). One C++ scan per block and candidate.
        self._blocks: dict[tuple[str, int], tuple[list[str], list[int]]] = {}
        grouped: dict[tuple[str, int], list[int]] = defaultdict(list)
        for length, positions in by_length.items():
            for position in positions:
                compact = self._forms[position].compact
                for end in ("^" + compact[0], compact[-1] + "$"):
                    for near in range(length - 2, length + 3):
                        grouped[(end, near)].append(position)
        for block_key, members in grouped.items():
            self._blocks[block_key] = ([self._forms[p].compact for p in members], members)

    def matches(self, candidate: NameForms) -> list[tuple[int, NameMatch]]:
        """(position in the popular list, how the candidate imitates it), strongest first."""
        positions: set[int] = set()
        for key in (
            "s:" + candidate.skeleton,
            "c:" + candidate.compact,
            "o:" + candidate.sorted_key,
            *(("b:" + candidate.base_skeleton,) if candidate.owner_skeleton else ()),
            *("c:" + core for core in candidate.core_keys),  # the name without affixes
        ):
            positions |= self._exact.get(key, set())
        compact = candidate.compact
        if compact:
            for end in ("^" + compact[0], compact[-1] + "$"):
                block = self._blocks.get((end, len(compact)))
                if block is None:
                    continue
                names, block_positions = block
                for _, distance, index in process.extract(
                    compact, names, scorer=OSA.distance, score_cutoff=2, limit=None
                ):
                    if distance > 0:
                        positions.add(block_positions[index])
        found: list[tuple[int, NameMatch]] = []
        for position in positions:
            match = compare(candidate, self._forms[position])
            if match is not None:
                found.append((position, match))
        found.sort(key=lambda pair: -pair[1].strength)
        return found
