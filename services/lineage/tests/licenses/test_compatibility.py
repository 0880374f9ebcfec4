"""The license matrix and one test per rule of `registry_lineage.licenses.compatibility`."""

from __future__ import annotations

from dataclasses import replace

import pytest

from registry_lineage.licenses.compatibility import (
    FINE_TUNE_AND_GENERATE,
    RULES,
    Scenario,
    Verdict,
    check,
)

Declared = str | list[str] | None

# (model license as a Hugging Face card says it, code license as GitHub says it,
#  compatible?, deciding rule). The default scenario: a company fine-tunes the model with the
# code and serves generations over a network; nothing is redistributed.
MATRIX: list[tuple[Declared, Declared, bool, str]] = [
    # permissive + permissive
    ("apache-2.0", "Apache-2.0", True, "permissive"),  # bert-base-uncased + google-research/bert
    ("apache-2.0", "MIT", True, "permissive"),  # whisper-tiny + openai/whisper
    ("mit", "MIT", True, "permissive"),
    ("mit", "BSD-3-Clause", True, "permissive"),
    ("bsd-3-clause", "ISC", True, "permissive"),
    ("cc0-1.0", "Unlicense", True, "permissive"),
    ("cc-by-4.0", "BSL-1.0", True, "permissive"),
    ("apache-2.0", "WTFPL", True, "permissive"),
    ("mit", "AFL-3.0", True, "permissive"),
    ("MIT OR CC-BY-NC-4.0", "MIT", True, "permissive"),  # the licensee picks MIT
    # copyleft code: conditions apply on distribution only, and do not reach the weights
    ("apache-2.0", "GPL-3.0", True, "copyleft-not-triggered"),  # minilm-base + minilm-training
    ("apache-2.0", "LGPL-2.1", True, "copyleft-not-triggered"),  # + sentiment-toolkit
    ("mit", "GPL-2.0", True, "copyleft-not-triggered"),
    ("apache-2.0", "GPL-2.0", True, "copyleft-not-triggered"),  # conflicts only if combined
    ("apache-2.0", "MPL-2.0", True, "copyleft-not-triggered"),
    ("mit", "EPL-2.0", True, "copyleft-not-triggered"),
    # copyleft model: share-alike applies only when the fine-tuned model is shared
    ("gpl-3.0", "MIT", True, "copyleft-not-triggered"),
    ("cc-by-sa-4.0", "Apache-2.0", True, "copyleft-not-triggered"),
    ("cc-by-sa-4.0", "GPL-3.0", True, "copyleft-not-triggered"),
    # network copyleft: serving generation triggers AGPL §13 for the code, not the weights
    ("apache-2.0", "AGPL-3.0", True, "network-copyleft"),
    ("mit", "OSL-3.0", True, "network-copyleft"),
    ("apache-2.0", "EUPL-1.2", True, "network-copyleft"),
    ("bigscience-bloom-rail-1.0", "AGPL-3.0", True, "network-copyleft"),
    ("agpl-3.0", "Apache-2.0", True, "network-copyleft"),  # AGPL model: offer weights+scripts
    # use-based restrictions flow to the fine-tuned model; any code license is fine in-house
    ("openrail", "MIT", True, "use-restrictions"),
    ("creativeml-openrail-m", "Apache-2.0", True, "use-restrictions"),
    ("bigscience-openrail-m", "GPL-3.0", True, "use-restrictions"),
    ("llama2", "MIT", True, "use-restrictions"),
    ("llama2", "GPL-3.0", True, "use-restrictions"),
    ("llama3", "Apache-2.0", True, "use-restrictions"),
    ("llama3.1", "BSD-3-Clause", True, "use-restrictions"),
    ("llama3.2", "MIT", True, "use-restrictions"),  # meta-llama/Llama-3.2-1B
    ("gemma", "Apache-2.0", True, "use-restrictions"),
    # non-commercial on either side: ACME is a company
    ("cc-by-nc-4.0", "MIT", False, "non-commercial"),
    ("cc-by-nc-sa-4.0", "GPL-3.0", False, "non-commercial"),
    ("cc-by-nc-nd-4.0", "MIT", False, "non-commercial"),
    ("fair-noncommercial-research-license", "MIT", False, "non-commercial"),
    ("apache-2.0", "CC-BY-NC-4.0", False, "non-commercial"),
    (["apache-2.0", "cc-by-nc-4.0"], "MIT", False, "non-commercial"),  # a list: both apply
    # no derivatives: fine-tuning makes one
    ("cc-by-nd-4.0", "MIT", False, "no-derivatives"),
    ("cc-by-nd-3.0", "Apache-2.0", False, "no-derivatives"),
    # unknown or missing license on either side: all rights reserved
    (None, "MIT", False, "unknown-license"),  # parvk11/audience_classifier_model
    ("mit", None, False, "unknown-license"),  # tiny-llm-sql-lora + sql-lora-recipes
    ("mit", "NOASSERTION", False, "unknown-license"),  # Tiny-LLM + tiny-llm-train
    ("other", "Apache-2.0", False, "unknown-license"),  # acme-private/internal-classifier
    ("unknown", "MIT", False, "unknown-license"),
    ("deepfloyd-if-license", "MIT", False, "unknown-license"),
    # the model's network clause reaches the fine-tuning code
    ("agpl-3.0", "openrail", False, "copyleft-vs-use-restrictions"),
    ("agpl-3.0", "GPL-2.0", False, "copyleft-conflict"),
]


@pytest.mark.parametrize(("model", "code", "compatible", "rule"), MATRIX)
def test_license_matrix(model: Declared, code: Declared, compatible: bool, rule: str) -> None:
    verdict = check(model, code)
    assert (verdict.compatible, verdict.rule) == (compatible, rule), verdict.reasons
    assert verdict.rule in verdict.rules
    assert set(verdict.rules) <= set(RULES)
    _assert_readable(verdict)


def _assert_readable(verdict: Verdict) -> None:
    """Reasons are sentences, the first states the verdict."""
    assert verdict.reasons[0].startswith("Compatible" if verdict.compatible else "Not compatible")
    assert len(verdict.reasons) >= 2
    for sentence in [*verdict.reasons, *verdict.obligations, *verdict.if_distributed]:
        assert sentence[0].isupper() or sentence[0] in "'(", sentence
        assert sentence.endswith("."), sentence
    if not verdict.compatible:
        assert verdict.obligations == []
        assert verdict.if_distributed == []


def test_matrix_is_large_enough_and_exercises_every_default_outcome() -> None:
    assert len(MATRIX) >= 30
    decided = {rule for _, _, _, rule in MATRIX}
    assert decided >= set(RULES) - {"share-alike", "distribution-duties"}


def test_verdict_carries_canonical_and_raw_ids() -> None:
    verdict = check("apache-2.0", "GPL-3.0")
    assert (verdict.model_license, verdict.code_license) == ("Apache-2.0", "GPL-3.0")
    assert (verdict.model_license_raw, verdict.code_license_raw) == ("apache-2.0", "GPL-3.0")
    detail = verdict.detail()
    assert detail["compatible"] is True
    assert detail["rule"] == "copyleft-not-triggered"
    assert detail["scenario"] == FINE_TUNE_AND_GENERATE.describe()
    assert check("mit", "NOASSERTION").code_license is None


# ---------------------------------------------------------------------------- rule by rule


def test_unknown_license_says_no_license_means_all_rights_reserved() -> None:
    missing = check("mit", None)
    assert "all rights reserved" in missing.reasons[1]
    assert "code declares no license" in missing.reasons[1]
    noassertion = check("mit", "NOASSERTION")
    assert "could not identify it (NOASSERTION)" in noassertion.reasons[1]
    other = check("other", "MIT")
    assert "'other'" in other.reasons[1]
    unrecognised = check("my-license", "MIT")
    assert "'my-license' is not one this registry knows" in unrecognised.reasons[1]
    both = check(None, None)
    assert both.rule == "unknown-license"
    assert sum("declares no license" in r for r in both.reasons) == 2


def test_non_commercial_is_incompatible_for_a_company_but_not_for_non_commercial_use() -> None:
    company = check("cc-by-nc-4.0", "MIT")
    assert "company" in company.reasons[1]
    assert "ACME" in company.reasons[1]
    research = check(
        "cc-by-nc-4.0", "MIT", scenario=replace(FINE_TUNE_AND_GENERATE, commercial=False)
    )
    assert research.compatible
    assert research.rule == "non-commercial"
    assert any("non-commercial" in duty for duty in research.obligations)


def test_no_derivatives_forbids_serving_a_fine_tune_but_allows_a_private_one() -> None:
    served = check("cc-by-nd-4.0", "MIT")
    assert not served.compatible
    assert "never shared" in served.reasons[1]
    private = Scenario(name="private fine-tune", network_service=False)
    kept_private = check("cc-by-nd-4.0", "MIT", scenario=private)
    assert kept_private.compatible
    assert kept_private.rule == "no-derivatives"
    assert "Keep the fine-tuned model and its generations private." in kept_private.obligations
    # CC BY-ND 3.0 grants no adaptation right at all, private or not
    assert not check("cc-by-nd-3.0", "MIT", scenario=private).compatible


def test_no_derivatives_code_only_asks_to_keep_the_code_unmodified() -> None:
    verdict = check("apache-2.0", "CC-BY-ND-4.0")
    assert verdict.compatible
    assert "Keep any changes to the code in-house." in verdict.obligations


def test_gpl_code_does_not_reach_the_weights() -> None:
    verdict = check("apache-2.0", "GPL-3.0")
    text = " ".join(verdict.reasons)
    assert "output of running the code" in text
    assert "only when the code or a work based on it is distributed" in text
    assert verdict.obligations == []
    # publishing the fine-tuned weights alone does not bring them under the GPL either
    weights = check("apache-2.0", "GPL-3.0", scenario=_distributing("weights"))
    assert weights.compatible
    assert "share-alike" not in weights.rules


def test_agpl_code_served_over_a_network_must_offer_its_source() -> None:
    verdict = check("apache-2.0", "AGPL-3.0")
    assert verdict.rule == "network-copyleft"
    assert any("source of your version of the AGPL-3.0 code" in d for d in verdict.obligations)
    assert "not its source" in " ".join(verdict.reasons)
    in_house = check(
        "apache-2.0", "AGPL-3.0", scenario=replace(FINE_TUNE_AND_GENERATE, network_service=False)
    )
    assert in_house.rule == "copyleft-not-triggered"


def test_use_restrictions_flow_to_the_fine_tuned_model() -> None:
    verdict = check("llama2", "MIT")
    assert verdict.rule == "use-restrictions"
    duties = " ".join(verdict.obligations)
    assert "same use restrictions bind it" in duties
    assert "700 million monthly active users" in duties
    llama3 = check("llama3", "MIT")
    assert any("Built with Meta Llama 3" in d for d in llama3.obligations)


def test_use_restrictions_with_gpl_code_conflict_only_when_distributed_together() -> None:
    in_house = check("openrail", "GPL-3.0")
    assert in_house.compatible
    assert in_house.rules == ["use-restrictions", "copyleft-not-triggered"]
    assert any(
        s.startswith("Distributing the code and the fine-tuned model together")
        and "would not be allowed" in s
        and "forbids any further restrictions" in s
        for s in in_house.if_distributed
    )
    together = check("openrail", "GPL-3.0", scenario=_distributing("combined"))
    assert not together.compatible
    assert together.rule == "copyleft-vs-use-restrictions"
    # the fine-tuned weights alone may be published, with the restrictions passed on
    weights = check("openrail", "GPL-3.0", scenario=_distributing("weights"))
    assert weights.compatible
    assert any("use restrictions (make them part" in d for d in weights.obligations)


def _distributing(distribution: str) -> Scenario:
    return replace(FINE_TUNE_AND_GENERATE, distribution=distribution)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("model", "code", "compatible", "rule"),
    [
        ("apache-2.0", "GPL-2.0", False, "copyleft-conflict"),  # Apache patent terms vs GPL-2.0
        ("apache-2.0", "GPL-2.0-or-later", True, "share-alike"),  # ... fine under GPL-3.0
        ("apache-2.0", "GPL-3.0", True, "share-alike"),
        ("cc-by-sa-4.0", "GPL-3.0", True, "share-alike"),  # BY-SA 4.0 -> GPL-3.0 allowed
        ("cc-by-sa-4.0", "GPL-2.0", False, "copyleft-conflict"),
        ("cc-by-sa-3.0", "GPL-3.0", False, "copyleft-conflict"),  # only 4.0 goes into GPL-3.0
        ("gpl-3.0", "AGPL-3.0", True, "share-alike"),
        ("llama2", "AGPL-3.0", False, "copyleft-vs-use-restrictions"),
        ("gemma", "LGPL-3.0", True, "share-alike"),  # weak copyleft: the library part stays LGPL
        ("apache-2.0", "MIT", True, "permissive"),
    ],
)
def test_code_and_model_distributed_as_one_work(
    model: str, code: str, compatible: bool, rule: str
) -> None:
    verdict = check(model, code, scenario=_distributing("combined"))
    assert (verdict.compatible, verdict.rule) == (compatible, rule), verdict.reasons
    if compatible:
        assert "distribution-duties" in verdict.rules
    _assert_readable(verdict)


def test_publishing_share_alike_weights_keeps_the_license() -> None:
    verdict = check("cc-by-sa-4.0", "MIT", scenario=_distributing("weights"))
    assert verdict.compatible
    assert verdict.rule == "share-alike"
    assert "Distribute the fine-tuned weights under CC-BY-SA-4.0" in " ".join(verdict.obligations)
    assert verdict.if_distributed == []  # already a distribution scenario


def test_if_distributed_explains_what_publishing_would_add() -> None:
    verdict = check("apache-2.0", "Apache-2.0")
    assert verdict.obligations == []
    assert verdict.if_distributed[0].startswith("Publishing the fine-tuned weights would also")
    assert "Apache-2.0's license text and notices" in verdict.if_distributed[0]
    nd_free = check("apache-2.0", "GPL-2.0")
    assert any("would not be allowed" in s for s in nd_free.if_distributed)


def test_every_rule_is_exercised() -> None:
    examples: dict[str, Verdict] = {
        "unknown-license": check(None, "MIT"),
        "non-commercial": check("cc-by-nc-4.0", "MIT"),
        "no-derivatives": check("cc-by-nd-4.0", "MIT"),
        "copyleft-vs-use-restrictions": check(
            "openrail", "GPL-3.0", scenario=_distributing("combined")
        ),
        "copyleft-conflict": check("apache-2.0", "GPL-2.0", scenario=_distributing("combined")),
        "network-copyleft": check("apache-2.0", "AGPL-3.0"),
        "share-alike": check("cc-by-sa-4.0", "MIT", scenario=_distributing("weights")),
        "use-restrictions": check("gemma", "MIT"),
        "copyleft-not-triggered": check("apache-2.0", "GPL-3.0"),
        "permissive": check("apache-2.0", "Apache-2.0"),
        "distribution-duties": check("mit", "MIT", scenario=_distributing("weights")),
    }
    assert set(examples) == set(RULES)
    for rule, verdict in examples.items():
        assert rule in verdict.rules, (rule, verdict.rules)


def test_model_kind_mismatch_is_noted() -> None:
    verdict = check("cc-by-4.0", "MIT")
    assert any("CC-BY-4.0 is a content license" in r for r in verdict.reasons)
    assert not any("is a software license" in r for r in check("openrail", "MIT").reasons)


def test_choice_of_license_is_explained() -> None:
    verdict = check("MIT OR CC-BY-NC-4.0", "MIT")
    assert any("this verdict uses MIT" in r for r in verdict.reasons)
    assert check("CC-BY-NC-4.0 OR CC-BY-ND-4.0", "MIT").rule == "non-commercial"
