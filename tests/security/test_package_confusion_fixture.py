"""Precision and recall of the package-confusion audit on a labelled fixture set.

`fixtures/package_confusion_names.csv` holds 272 names: 60 popular model names, 120 known
typosquat patterns of them (typos of 1-2 edits, Cyrillic and digit homoglyphs, separator
changes, added words and prefixes, reordered words, another owner, letter case), and 92
honest names, many of them honest relatives of the popular ones (`bert-base-cased`,
`whisper-medium`, `gemma-2b`, `phi-3-mini-4k-instruct`) that a naive edit-distance check
would flag. Popular names are downloaded hundreds to thousands of times, the rest a few
times; no traffic is planted, so this measures the name and popularity signals alone.

Run with `-s` to see the figures (docs/security/package-confusion.md records them).
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path

from registry_ingest.confusion.index import NameMatcher
from registry_ingest.confusion.scoring import AuditSettings, find_name_pairs, score_pairs
from registry_ingest.popularity import ArtifactStats

FIXTURE = Path(__file__).parent / "fixtures" / "package_confusion_names.csv"


@dataclass(frozen=True)
class Evaluation:
    precision: float
    recall: float
    attribution: float  # flagged look-alikes whose imitated artifact is the labelled one
    true_positives: int
    false_positives: list[str]
    false_negatives: list[str]
    recall_by_trick: dict[str, tuple[int, int]]


def _catalog() -> tuple[list[ArtifactStats], dict[str, tuple[str, str, str]]]:
    with FIXTURE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    labels = {r["name"]: (r["label"], r["imitates"], r["trick"]) for r in rows}
    stats = []
    for i, row in enumerate(rows):
        label, name = row["label"], row["name"]
        if label == "popular":
            downloads, shown, age = 400 + 97 * (i % 40), 50 + i, 0
        elif label == "squat":
            downloads, shown, age = i % 12, i % 5, 2000
        else:
            downloads, shown, age = (i * 7) % 60, i % 9, 1000
        owner, _, base = name.rpartition("/")
        url = f"https://huggingface.co/{owner or 'org' + str(i)}/{base}"
        stats.append(
            ArtifactStats(
                id=f"a{i}",
                name=name,
                type="model",
                source_url=url,
                uploader="someone",
                seq=age + i,  # the popular originals were registered first
                downloads=downloads,
                search_appearances=shown,
            )
        )
    return stats, labels


def evaluate(settings: AuditSettings | None = None) -> Evaluation:
    the_settings = settings or AuditSettings()
    stats, labels = _catalog()
    pairs, _, words = find_name_pairs(stats, the_settings, NameMatcher())
    suspects = score_pairs(pairs, {}, words, the_settings)
    flagged = {s.artifact.name: s.target.name for s in suspects}
    squats = {name for name, (label, _, _) in labels.items() if label == "squat"}
    true_positives = [name for name in flagged if name in squats]
    false_positives = sorted(name for name in flagged if name not in squats)
    false_negatives = sorted(squats - set(flagged))
    attributed = sum(1 for name in true_positives if flagged[name] == labels[name][1])
    by_trick: dict[str, tuple[int, int]] = {}
    for name in squats:
        trick = labels[name][2]
        found, total = by_trick.get(trick, (0, 0))
        by_trick[trick] = (found + (name in flagged), total + 1)
    return Evaluation(
        precision=len(true_positives) / len(flagged) if flagged else 0.0,
        recall=len(true_positives) / len(squats),
        attribution=attributed / len(true_positives) if true_positives else 0.0,
        true_positives=len(true_positives),
        false_positives=false_positives,
        false_negatives=false_negatives,
        recall_by_trick=dict(sorted(by_trick.items())),
    )


def test_precision_and_recall_on_the_labelled_fixture() -> None:
    result = evaluate()
    sys.stdout.write(
        f"\npackage-confusion fixture: precision {result.precision:.3f}, recall "
        f"{result.recall:.3f}, attribution {result.attribution:.3f} "
        f"({result.true_positives} true positives)\n"
        f"  false positives: {result.false_positives}\n"
        f"  false negatives: {result.false_negatives}\n"
        f"  recall by trick: {result.recall_by_trick}\n"
    )
    assert result.precision >= 0.95
    assert result.recall >= 0.9
    assert result.attribution >= 0.95


def test_the_fixture_is_what_the_docs_say() -> None:
    stats, labels = _catalog()
    kinds = [label for label, _, _ in labels.values()]
    assert len(stats) == 272
    assert (kinds.count("popular"), kinds.count("squat"), kinds.count("honest")) == (60, 120, 92)
