"""Normalising Hugging Face card ids and GitHub spdx_ids to canonical ids."""

from __future__ import annotations

import pytest

from registry_lineage.licenses.spdx import canonical_license, normalize_license
from registry_lineage.licenses.table import LICENSES, TABLE, lookup


@pytest.mark.parametrize(
    ("declared", "canonical"),
    [
        # Hugging Face card metadata (lower case, its own ids)
        ("apache-2.0", "Apache-2.0"),
        ("mit", "MIT"),
        ("cc-by-nc-4.0", "CC-BY-NC-4.0"),
        ("cc-by-nc-sa-4.0", "CC-BY-NC-SA-4.0"),
        ("cc-by-sa-3.0", "CC-BY-SA-3.0"),
        ("cc0-1.0", "CC0-1.0"),
        ("openrail", "OpenRAIL"),
        ("openrail++", "CreativeML-OpenRAIL++-M"),
        ("creativeml-openrail-m", "CreativeML-OpenRAIL-M"),
        ("bigscience-openrail-m", "BigScience-OpenRAIL-M"),
        ("bigscience-bloom-rail-1.0", "BigScience-BLOOM-RAIL-1.0"),
        ("bigcode-openrail-m", "BigCode-OpenRAIL-M"),
        ("llama2", "Llama-2"),
        ("llama3", "Llama-3"),
        ("llama3.1", "Llama-3.1"),
        ("llama3.2", "Llama-3.2"),
        ("llama3.3", "Llama-3.3"),
        ("gemma", "Gemma"),
        ("fair-noncommercial-research-license", "FAIR-Noncommercial-Research"),
        ("bsd", "BSD-3-Clause"),
        ("gpl", "GPL-2.0-or-later"),
        ("license:mit", "MIT"),  # hub tag form
        # GitHub's license API spdx_id
        ("Apache-2.0", "Apache-2.0"),
        ("MIT", "MIT"),
        ("GPL-3.0", "GPL-3.0"),
        ("LGPL-2.1", "LGPL-2.1"),
        ("AGPL-3.0", "AGPL-3.0"),
        ("BSD-3-Clause", "BSD-3-Clause"),
        ("BSL-1.0", "BSL-1.0"),
        ("Unlicense", "Unlicense"),
        # SPDX spellings of the GNU family
        ("GPL-3.0-only", "GPL-3.0-only"),
        ("GPL-3.0-or-later", "GPL-3.0-or-later"),
        ("gpl-2.0+", "GPL-2.0-or-later"),
        ("LGPL-2.1-only", "LGPL-2.1"),
        ("GPL-2.0-or-later WITH Classpath-exception-2.0", "GPL-2.0-or-later"),
        # GitHub display names and loose spellings
        ("Apache License 2.0", "Apache-2.0"),
        ("  MIT License ", "MIT"),
        ("GNU General Public License v3.0", "GPL-3.0"),
        ('BSD 3-Clause "New" or "Revised" License', "BSD-3-Clause"),
        ("Apache License, Version 2.0", "Apache-2.0"),
        ("unlicense", "Unlicense"),
    ],
)
def test_known_ids(declared: str, canonical: str) -> None:
    found = normalize_license(declared)
    assert found.canonical == canonical
    assert found.problem is None
    assert found.raw == declared
    assert lookup(canonical) is not None


@pytest.mark.parametrize(
    ("declared", "problem"),
    [
        (None, "missing"),
        ("", "missing"),
        ("none", "missing"),
        ("unlicensed", "missing"),  # not the Unlicense
        ("NOASSERTION", "unidentified"),
        ("other", "unidentified"),
        ("unknown", "unidentified"),
        ("proprietary", "unidentified"),
        ("deepfloyd-if-license", "unrecognised"),
        ("my-very-own-license", "unrecognised"),
        ("cc", "unrecognised"),  # which Creative Commons license?
        ([], "missing"),
        (["mit", "other"], "unidentified"),
        (["apache-2.0", "something-else"], "unrecognised"),
    ],
)
def test_unknown_is_none_with_raw_text_kept(declared: str | list[str] | None, problem: str) -> None:
    found = normalize_license(declared)
    assert found.canonical is None
    assert found.alternatives == ()
    assert found.problem == problem
    if isinstance(declared, str):
        assert found.raw == declared


def test_unrecognised_parts_are_reported() -> None:
    found = normalize_license(["apache-2.0", "something-else"])
    assert found.unrecognised == ("something-else",)
    assert found.ids == ("Apache-2.0",)
    assert found.raw == "apache-2.0, something-else"


def test_a_list_means_every_license_applies() -> None:
    found = normalize_license(["mit", "apache-2.0", "mit"])
    assert found.canonical == "MIT AND Apache-2.0"
    assert found.alternatives == (("MIT", "Apache-2.0"),)
    assert normalize_license(["apache-2.0"]).canonical == "Apache-2.0"


def test_or_expression_offers_a_choice() -> None:
    found = normalize_license("(MIT OR Apache-2.0)")
    assert found.canonical == "MIT OR Apache-2.0"
    assert found.alternatives == (("MIT",), ("Apache-2.0",))
    # an alternative we do not know is simply not chosen
    assert normalize_license("MIT OR mystery-license").canonical == "MIT"
    assert normalize_license("other OR mystery-license").problem == "unrecognised"


def test_and_expression_and_mixed_operators_are_read_conservatively() -> None:
    assert normalize_license("MIT AND CC-BY-4.0").alternatives == (("MIT", "CC-BY-4.0"),)
    mixed = normalize_license("MIT AND (Apache-2.0 OR BSD-3-Clause)")
    assert mixed.alternatives == (("MIT", "Apache-2.0", "BSD-3-Clause"),)


def test_every_table_id_and_name_round_trips() -> None:
    for license_id in TABLE:
        assert canonical_license(license_id) == license_id
        assert canonical_license(license_id.lower()) == license_id
    for entry in LICENSES:
        assert canonical_license(entry.name) == entry.id
