"""license: can ACME use the model (fine-tune + inference) alongside its LGPL-2.1 code base?

The model's license id (card ``license``, else the Hub's ``license:`` tag, else a license
named in a "License" section of the README) is looked up in a compatibility table:

- 1.0  permissive or attribution-only terms, and LGPL-2.1 itself: weights are loaded as data
       at run time, nothing is imposed on the LGPL code beyond notices (MIT, Apache-2.0, BSD,
       ISC, Zlib, Unlicense, CC0, CC-BY, BSL-1.0, CDLA-Permissive, ODC-By, ...);
- 0.75 weak copyleft that coexists with LGPL-2.1 (LGPL-3.0, unversioned LGPL, MPL-2.0,
       Artistic-2.0, EUPL-1.2): modified model files must stay open, the code is untouched;
- 0.5  usable but with conditions a lawyer must check: use-based restrictions (OpenRAIL
       family), custom community licenses (Llama, Gemma), share-alike on the model
       (CC-BY-SA, ODbL, CDLA-Sharing, GFDL), EPL-2.0, MS-PL;
- 0.25 "other" (custom terms without a known name) and EPL-1.0 / OSL-3.0 (GPL-incompatible
       weak copyleft);
- 0.0  incompatible: strong copyleft (GPL-2.0/3.0: shipping the combination would force the
       LGPL code base under GPL; AGPL-3.0 adds network copyleft), non-commercial or
       no-derivatives terms (CC-BY-NC*, CC-BY-ND*, research-only licenses: fine-tuning or
       commercial use is forbidden), "unknown", and no license at all (no rights granted).

Several licenses: the least compatible one counts (the card does not say which part each
covers). An id missing from the table scores 0.25 (unclear terms).
"""

from __future__ import annotations

import re
from typing import Any, Final

from registry_scoring.metrics.base import MetricResult, timed
from registry_scoring.metrics.card import Card
from registry_scoring.metrics.context import MetricContext
from registry_scoring.metrics.facts import ModelFacts

NAME = "license"
UNLISTED: Final = 0.25

_PERMISSIVE = (
    "mit mit-0 apache-2.0 apache-1.1 bsd bsd-2-clause bsd-3-clause bsd-3-clause-clear "
    "bsd-4-clause isc zlib unlicense cc0-1.0 cc0 wtfpl bsl-1.0 afl-3.0 ecl-2.0 ncsa postgresql "
    "pddl cc-by-2.0 cc-by-2.5 cc-by-3.0 cc-by-4.0 cc-by odc-by cdla-permissive-1.0 "
    "cdla-permissive-2.0 etalab-2.0 ofl-1.1 lppl-1.3c python-2.0 lgpl-2.1 lgpl-2.1-only "
    "lgpl-2.1-or-later lgpl-2.1+"
)
_WEAK_COPYLEFT = (
    "lgpl lgpl-3.0 lgpl-3.0-only lgpl-3.0-or-later lgpl-lr mpl-2.0 artistic-2.0 eupl-1.2"
)
_CONDITIONAL = (
    "openrail openrail++ bigscience-openrail-m creativeml-openrail-m bigcode-openrail-m "
    "bigscience-bloom-rail-1.0 openmdw-1.0 llama2 llama3 llama3.1 llama3.2 llama3.3 llama4 "
    "gemma cc-by-sa-3.0 cc-by-sa-4.0 cc-by-sa odbl cdla-sharing-1.0 gfdl epl-2.0 ms-pl eupl-1.1"
)
_UNCLEAR = "other epl-1.0 osl-3.0 c-uda"
_INCOMPATIBLE = (
    "gpl gpl-2.0 gpl-2.0-only gpl-2.0-or-later gpl-3.0 gpl-3.0-only gpl-3.0-or-later agpl-3.0 "
    "agpl-3.0-only agpl-3.0-or-later cc-by-nc-2.0 cc-by-nc-3.0 cc-by-nc-4.0 cc-by-nc "
    "cc-by-nd-4.0 cc-by-nd cc-by-nc-nd-3.0 cc-by-nc-nd-4.0 cc-by-nc-sa-2.0 cc-by-nc-sa-3.0 "
    "cc-by-nc-sa-4.0 fair-noncommercial-research-license deepfloyd-if-license h-research "
    "intel-research apple-amlr apple-ascl unknown"
)
COMPATIBILITY: Final[dict[str, float]] = {
    **dict.fromkeys(_PERMISSIVE.split(), 1.0),
    **dict.fromkeys(_WEAK_COPYLEFT.split(), 0.75),
    **dict.fromkeys(_CONDITIONAL.split(), 0.5),
    **dict.fromkeys(_UNCLEAR.split(), 0.25),
    **dict.fromkeys(_INCOMPATIBLE.split(), 0.0),
}

# License names as people write them in a README "License" section -> table id.
_README_NAMES: Final[tuple[tuple[re.Pattern[str], str], ...]] = tuple(
    (re.compile(pattern, re.IGNORECASE), license_id)
    for pattern, license_id in (
        (r"\bAGPL", "agpl-3.0"),
        (r"\bLGPL[- ]?v?2\.1|Lesser General Public License v?(ersion )?2\.1", "lgpl-2.1"),
        (r"\bLGPL|Lesser General Public", "lgpl"),
        (r"\bGPL[- ]?v?2|General Public License v?(ersion )?2", "gpl-2.0"),
        (r"\bGPL|General Public License", "gpl-3.0"),
        (r"Apache(?: License)?,?\s*(?:Version\s*)?2\.0|\bApache-2\.0", "apache-2.0"),
        (r"\bMIT\b", "mit"),
        (r"\bBSD\b", "bsd"),
        (r"CC[- ]BY[- ]NC|non[- ]?commercial", "cc-by-nc-4.0"),
        (r"CC[- ]BY[- ]ND", "cc-by-nd-4.0"),
        (r"CC[- ]BY[- ]SA", "cc-by-sa-4.0"),
        (r"CC0|public domain", "cc0-1.0"),
        (r"CC[- ]BY", "cc-by-4.0"),
        (r"OpenRAIL", "openrail"),
        (r"Mozilla Public License|\bMPL", "mpl-2.0"),
    )
)


def license_score(license_id: str) -> float:
    key = license_id.strip().lower()
    if key in COMPATIBILITY:
        return COMPATIBILITY[key]
    if key.startswith(("cc-by-nc", "cc-by-nd")) or "noncommercial" in key or "research" in key:
        return 0.0
    if key.startswith(("agpl", "gpl")):
        return 0.0
    return UNLISTED


def licenses_in_readme(readme: str | None) -> list[str]:
    """License ids named in the card's "License" section(s), first match per section."""
    found: list[str] = []
    for section in Card(readme).sections:
        if "licens" not in section.key:
            continue
        for pattern, license_id in _README_NAMES:
            if pattern.search(section.prose):
                found.append(license_id)
                break
    return found


def score(facts: ModelFacts) -> tuple[float, dict[str, Any]]:
    licenses = list(facts.licenses)
    source = "metadata"
    if "other" in licenses:
        name = facts.get("license_name") or facts.card_data.get("license_name")
        if isinstance(name, str) and name.strip().lower() in COMPATIBILITY:
            licenses = [name.strip().lower() if x == "other" else x for x in licenses]
    if not licenses:
        licenses = licenses_in_readme(facts.readme)
        source = "readme"
    if not licenses:
        return 0.0, {"licenses": [], "reason": "no license declared: no rights are granted"}
    scores = {lic: license_score(lic) for lic in licenses}
    value = min(scores.values())
    return value, {"licenses": licenses, "scores": scores, "source": source}


async def compute(facts: ModelFacts, ctx: MetricContext) -> MetricResult:
    async def run() -> tuple[float, dict[str, Any]]:
        return score(facts)

    return await timed(run)
