"""The scoring of the package-confusion audit, as pure functions of the catalog's counters and
the download traffic (no I/O: `audit.py` loads, these decide; the fixture test calls them
directly).

    score = 0.5 * name + 0.25 * popularity_gap + 0.25 * traffic        (WEIGHTS)

- name: the strength of the trick (homoglyph 1.0, scope 0.85, 1 edit 0.85, delimiter 0.8,
  reorder 0.75, affix 0.7, case 0.7, 2 edits 0.6), halved for a typo that changes only
  numbers or only words at least `COMMON_WORD_NAMES` other names use (an honest variant such
  as `bert-base-cased` next to `bert-base-uncased`);
- popularity_gap: log10 of how many times more popular the imitated artifact is, over 2
  (100 times more popular = 1); popularity = organic downloads + search appearances / 10;
- traffic: how much the candidate's own downloads look like a bot farm (`traffic.py`).

Which of two look-alikes is the impostor is decided by organic popularity (downloads the
traffic analysis does not discount), so a copy that bought downloads from a bot farm to
outrank the original is still the one reported; an artifact whose traffic looks inflated is
never an original.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from registry_common.sourcerefs import GITHUB_HOSTS, HF_HOSTS, find_reference
from registry_ingest.confusion.index import NameMatcher
from registry_ingest.confusion.names import NameForms, NameMatch, compare, forms
from registry_ingest.confusion.traffic import TrafficFinding
from registry_ingest.popularity import ArtifactStats

WEIGHTS = {"name": 0.5, "popularity_gap": 0.25, "traffic": 0.25}
SEARCH_APPEARANCES_PER_DOWNLOAD = 10
COMMON_WORD_NAMES = 3
INFLATED = 0.5  # traffic strength from which an artifact's popularity is not believed
_DIGITS = re.compile(r"[0-9]")


@dataclass(frozen=True)
class AuditSettings:
    top_k: int = 1000
    min_score: float = 0.5
    min_target_popularity: float = 5.0
    min_downloads: int = 10
    new_account: timedelta = timedelta(hours=1)
    traffic_rows: int = 5000
    max_age: float = 10.0  # seconds a computed report is served again


@dataclass(frozen=True)
class Suspect:
    artifact: ArtifactStats
    target: ArtifactStats
    match: NameMatch
    score: float
    gap: float
    traffic: TrafficFinding
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "artifact": _ref(self.artifact),
            "score": self.score,
            "imitates": _ref(self.target),
            "signals": {
                "name": {"kind": self.match.kind, "strength": self.match.strength},
                "popularity_gap": round(self.gap, 3),
                "traffic": {"strength": self.traffic.strength, **self.traffic.signs},
            },
            "reasons": list(self.reasons),
        }


# ---------------------------------------------------------------------- name pairs


def find_name_pairs(
    stats: Sequence[ArtifactStats], settings: AuditSettings, matcher: NameMatcher
) -> tuple[list[tuple[ArtifactStats, ArtifactStats, NameMatch]], int, Counter[str]]:
    """(candidate, popular artifact, how the names match), in either popularity order:
    which one imitates the other is decided once the traffic is known."""
    floor = settings.min_target_popularity
    ranked = sorted(
        (s for s in stats if _raw_popularity(s) >= floor),
        key=lambda s: (-_raw_popularity(s), s.seq),
    )
    top = ranked[: settings.top_k]
    popular_by_name: dict[str, list[ArtifactStats]] = defaultdict(list)
    for item in top:
        popular_by_name[item.name].append(item)
    by_name: dict[str, list[ArtifactStats]] = defaultdict(list)
    for item in stats:
        by_name[item.name].append(item)
    ranked_names = list(dict.fromkeys(item.name for item in ranked))
    found = matcher.matches(list(by_name), ranked_names, len(popular_by_name))
    words = matcher.word_use
    pairs: list[tuple[ArtifactStats, ArtifactStats, NameMatch]] = []
    for name, matches in found.items():
        for popular_name, match in matches:
            targets = popular_by_name.get(popular_name)
            if not targets:
                continue  # indexed, but no longer among the top K
            match = _damped(match, forms(name), forms(popular_name), words)
            for target in _most_popular_per_type(targets):
                pairs.extend((a, target, match) for a in by_name[name] if a.type == target.type)
    pairs.extend(_same_name_other_owner(by_name, popular_by_name))
    return pairs, len(top), words


# ---------------------------------------------------------------------- scoring


def score_pairs(
    pairs: Sequence[tuple[ArtifactStats, ArtifactStats, NameMatch]],
    traffic: dict[str, TrafficFinding],
    words: Counter[str],
    settings: AuditSettings,
) -> list[Suspect]:
    best: dict[str, Suspect] = {}
    for first, second, match in pairs:
        first_traffic = traffic.get(first.id) or TrafficFinding(first.downloads, 0.0)
        second_traffic = traffic.get(second.id) or TrafficFinding(second.downloads, 0.0)
        first_pop = _organic_popularity(first, first_traffic)
        second_pop = _organic_popularity(second, second_traffic)
        if (first_pop, -first.seq) < (second_pop, -second.seq):
            suspect, target, suspect_traffic = first, second, first_traffic
            suspect_pop, target_pop = first_pop, second_pop
        else:
            # The "popular" side of the pair is the less organically popular one (or the
            # newer of two equals): it is the impostor. Only same-kind tricks reverse
            # cleanly (a typo of a typo is a typo); affix/scope read the other way.
            if match.kind not in {"typo", "homoglyph", "delimiter", "case", "reorder"}:
                continue
            suspect, target, suspect_traffic = second, first, second_traffic
            suspect_pop, target_pop = second_pop, first_pop
            turned = compare(forms(suspect.name), forms(target.name))
            if turned is None:
                continue
            match = _damped(turned, forms(suspect.name), forms(target.name), words)
        if (
            target_pop < settings.min_target_popularity
            or traffic.get(target.id, _QUIET).strength >= INFLATED
        ):
            continue  # not popular, or popular only through a bot farm: not an original
        gap = min(1.0, max(0.0, math.log10((target_pop + 1) / (suspect_pop + 1)) / 2))
        score = round(
            WEIGHTS["name"] * match.strength
            + WEIGHTS["popularity_gap"] * gap
            + WEIGHTS["traffic"] * suspect_traffic.strength,
            3,
        )
        if score < settings.min_score:
            continue
        current = best.get(suspect.id)
        if current is not None and current.score >= score:
            continue
        reasons = (
            f"name {match.reason}; '{target.name}' was downloaded {target.downloads:,} "
            f"{_times(target.downloads)} and found by {target.search_appearances:,} "
            f"{_searches(target.search_appearances)}, this one {suspect.downloads:,} "
            f"{_times(suspect.downloads)} and by {suspect.search_appearances:,}",
            *suspect_traffic.reasons,
        )
        best[suspect.id] = Suspect(suspect, target, match, score, gap, suspect_traffic, reasons)
    return sorted(best.values(), key=lambda s: (-s.score, s.artifact.name, s.artifact.id))


def _raw_popularity(stats: ArtifactStats) -> float:
    return stats.downloads + stats.search_appearances / SEARCH_APPEARANCES_PER_DOWNLOAD


def _organic_popularity(stats: ArtifactStats, traffic: TrafficFinding) -> float:
    return traffic.organic_downloads + stats.search_appearances / SEARCH_APPEARANCES_PER_DOWNLOAD


def _damped(
    match: NameMatch, candidate: NameForms, target: NameForms, words: Counter[str]
) -> NameMatch:
    """Halve a typo that looks like an honest relative rather than an imitation: one that
    changes only numbers (`gemma-2b` next to `gemma-7b`: another size or version), or whose
    changed words are ordinary words of the catalog (`bert-base-cased` next to
    `bert-base-uncased`: `cased` is a word other names use)."""
    if match.kind != "typo":
        return match
    if _DIGITS.sub("", candidate.folded) == _DIGITS.sub("", target.folded):
        note = "though only numbers differ, as between sizes or versions"
    else:
        changed = [t for t in candidate.tokens if t not in target.tokens]
        if not changed or any(words[t] - 1 < COMMON_WORD_NAMES for t in changed):
            return match
        shown = ", ".join(f"'{t}'" for t in changed)
        note = f"though {shown} is a word other artifact names use too"
    return NameMatch(
        match.kind, round(match.strength / 2, 3), f"{match.reason}, {note}", match.distance
    )


def _same_name_other_owner(
    by_name: dict[str, list[ArtifactStats]],
    popular_by_name: dict[str, list[ArtifactStats]],
) -> list[tuple[ArtifactStats, ArtifactStats, NameMatch]]:
    """The scope trick on identical names: a popular Hub or GitHub artifact's name
    registered again from another owner (`evil/bert-base-uncased` named like
    `google-bert/bert-base-uncased`). The same source registered twice is no trick."""
    pairs = []
    for name, popular in popular_by_name.items():
        for target in _most_popular_per_type(popular):
            target_owner = owner_of(target)
            for other in by_name.get(name, ()):
                if other.id == target.id or other.type != target.type:
                    continue
                owner = owner_of(other)
                if owner == target_owner:
                    continue
                reason = (
                    f"is '{name}', the name of the artifact from {target_owner}, but comes "
                    f"from {owner}"
                )
                pairs.append((other, target, NameMatch("scope", 0.85, reason)))
    return pairs


def _most_popular_per_type(ranked: Sequence[ArtifactStats]) -> list[ArtifactStats]:
    """The first (most popular) artifact of each type among `ranked` (popularity order):
    copies of one name from one source are one original, not one per copy."""
    seen: dict[str, ArtifactStats] = {}
    for item in ranked:
        seen.setdefault(item.type, item)
    return list(seen.values())


def owner_of(stats: ArtifactStats) -> str:
    """Who publishes the artifact's source, in words: the Hub or GitHub owner, the uploader
    of a zip, or the host of another URL."""
    parts = urlsplit(stats.source_url)
    if parts.scheme == "upload":
        return f"an upload by '{stats.uploader or 'anonymous'}'"
    host = (parts.hostname or "").lower().removeprefix("www.")
    if host in HF_HOSTS or host in GITHUB_HOSTS:
        # The owner as the one parser of source references reads it (`sourcerefs`).
        ref = find_reference(stats.source_url)
        owner = ref.owner if ref is not None and ref.kind != "url" else None
        return f"owner '{owner}' on {host}" if owner else f"{host} without an owner"
    return f"the host {host or 'unknown'}"


def _ref(stats: ArtifactStats) -> dict[str, Any]:
    return {
        "id": stats.id,
        "name": stats.name,
        "type": stats.type,
        "downloads": stats.downloads,
        "search_appearances": stats.search_appearances,
    }


def _times(count: int) -> str:
    return "time" if count == 1 else "times"


def _searches(count: int) -> str:
    return "search" if count == 1 else "searches"


_QUIET = TrafficFinding(0, 0.0)
