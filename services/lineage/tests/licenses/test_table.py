"""The license table is complete and self-consistent."""

from __future__ import annotations

from registry_lineage.licenses.table import LICENSES, TABLE, accepts, lookup

REQUIRED = {
    "MIT", "BSD-2-Clause", "BSD-3-Clause", "Apache-2.0", "ISC", "Unlicense", "CC0-1.0",
    "CC-BY-4.0", "CC-BY-SA-4.0", "CC-BY-NC-4.0", "CC-BY-NC-SA-4.0", "CC-BY-ND-4.0",
    "CC-BY-NC-ND-4.0", "MPL-2.0", "LGPL-2.1", "LGPL-3.0", "GPL-2.0", "GPL-3.0", "AGPL-3.0",
    "EPL-2.0", "OpenRAIL", "OpenRAIL-M", "CreativeML-OpenRAIL-M", "BigScience-OpenRAIL-M",
    "BigScience-BLOOM-RAIL-1.0", "Llama-2", "Llama-3", "Llama-3.1", "Gemma", "AFL-3.0",
    "Artistic-2.0", "BSL-1.0",
}  # fmt: skip


def test_table_covers_the_licenses_the_question_needs() -> None:
    assert len(LICENSES) >= 30
    assert set(TABLE) >= REQUIRED


def test_every_entry_is_documented_and_unique() -> None:
    names = [entry.name for entry in LICENSES]
    assert len(names) == len(set(names))
    for entry in LICENSES:
        assert entry.source, entry.id
        assert TABLE[entry.id] is entry
        for alias in entry.also:
            assert lookup(alias) is entry


def test_copyleft_and_restriction_fields_agree() -> None:
    for entry in LICENSES:
        if entry.copyleft in ("strong", "network"):
            assert entry.no_further_restrictions, entry.id
            assert entry.accepts, entry.id
            assert entry.share_alike_on, entry.id
        if entry.copyleft == "none":
            assert not entry.accepts, entry.id
        if entry.restrictions_flow:
            assert entry.use_restrictions, entry.id
        if entry.use_restrictions:
            # nothing with behavioural restrictions can be absorbed by a copyleft license
            assert not any(entry.id in other.accepts for other in LICENSES), entry.id


def test_facts_the_rules_rely_on() -> None:
    def terms(license_id: str):  # type: ignore[no-untyped-def]
        found = lookup(license_id)
        assert found is not None
        return found

    assert not terms("CC-BY-NC-4.0").commercial_use
    assert terms("CC-BY-ND-4.0").derivatives == "private"  # 4.0 §2(a)(1)(B)
    assert terms("CC-BY-ND-3.0").derivatives == "no"
    assert terms("AGPL-3.0").copyleft == "network"
    assert terms("LGPL-2.1").copyleft == "weak"
    assert terms("Llama-2").use_restrictions
    assert terms("Llama-2").restrictions_flow
    assert terms("Apache-2.0").patent_grant
    assert not terms("MIT").patent_grant
    assert terms("OpenRAIL-M").kind == "model"
    assert terms("CC-BY-4.0").kind == "content"
    # Apache-2.0 goes into GPL-3.0 works but not GPL-2.0-only ones (FSF)
    assert accepts(terms("GPL-3.0"), terms("Apache-2.0"))
    assert not accepts(terms("GPL-2.0"), terms("Apache-2.0"))
    assert accepts(terms("GPL-2.0-or-later"), terms("Apache-2.0"))
    # CC BY-SA 4.0 -> GPL-3.0 one way only
    assert accepts(terms("GPL-3.0"), terms("CC-BY-SA-4.0"))
    assert not accepts(terms("CC-BY-SA-4.0"), terms("GPL-3.0"))
