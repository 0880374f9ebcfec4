"""Is a GitHub project's code license compatible with a model's license for our scenario?

The scenario (`FINE_TUNE_AND_GENERATE`): a company (the customer, ACME) takes the project's
code and the model, runs the code to fine-tune the model - the result is a derivative of the
model (ModelGo: amalgamation) - and uses the fine-tuned model for inference / generation,
serving the generations to users over a network. Neither the weights nor the code are
redistributed.

*Compatible* means: each license grants every right this scenario exercises (use, modification
of the model, commercial use), and no condition that this scenario triggers in one license
forbids what the other license requires. Conditions that only distribution would trigger are
reported in `Verdict.if_distributed`, not held against the verdict.

The rules (`RULES`) read the facts of `registry_lineage.licenses.table`; every rule is a few
lines below. ``docs/licenses.md`` gives the reasoning for each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from registry_lineage.licenses.spdx import NormalizedLicense, normalize_license
from registry_lineage.licenses.table import LicenseTerms, accepts, lookup

Distribution = Literal["none", "weights", "combined"]
Side = Literal["model", "code"]


@dataclass(frozen=True)
class Scenario:
    """What the licensee does with the model and the code."""

    name: str
    commercial: bool = True
    """Used by a company for its business (ACME is a company, so the default is True)."""
    network_service: bool = True
    """Generations are served to users over a network (this triggers AGPL-style clauses)."""
    distribution: Distribution = "none"
    """none; weights = the fine-tuned weights are published; combined = the code and the
    (fine-tuned) model are distributed together as one work."""

    def describe(self) -> str:
        who = "commercial use by a company" if self.commercial else "non-commercial use"
        served = "generations served over a network" if self.network_service else "used in-house"
        shared = {
            "none": "no redistribution of weights or code",
            "weights": "fine-tuned weights published",
            "combined": "code and fine-tuned model distributed together",
        }[self.distribution]
        return f"{self.name}; {who}; {served}; {shared}"


FINE_TUNE_AND_GENERATE = Scenario(name="fine-tune + inference/generation")

# Rule ids with one line each, in order of precedence: the first blocking rule that fires is the
# verdict's `rule`; for a compatible verdict it is the first non-blocking rule that fired.
RULES: dict[str, str] = {
    "unknown-license": "A side has no license or one we cannot identify: no license means all "
    "rights reserved, so the answer is no.",
    "non-commercial": "A non-commercial license on either side rules out a company's use; "
    "allowed (with that limit) only in a non-commercial scenario.",
    "no-derivatives": "The model's license forbids derivatives, or sharing them: fine-tuning "
    "makes one and serving it shares its results; allowed only for private, unserved use.",
    "copyleft-vs-use-restrictions": "When code and model are distributed as one work, a "
    "copyleft license that forbids further restrictions cannot govern use-restricted material.",
    "copyleft-conflict": "When code and model are distributed as one work, neither copyleft "
    "license can take in the other side's material.",
    "network-copyleft": "Serving generation over a network triggers AGPL-style clauses: offer "
    "the source of the modified code (not the weights) to users; compatible.",
    "share-alike": "Distribution triggers copyleft: the distributed work keeps the license "
    "(only in distribution scenarios).",
    "use-restrictions": "Behavioural use restrictions (OpenRAIL, Llama, Gemma) bind the "
    "fine-tuned model and the service; compatible with any code license when nothing is "
    "distributed.",
    "copyleft-not-triggered": "Copyleft conditions apply on distribution; fine-tuning and "
    "serving in-house distribute nothing and the weights are output of the code, not a work "
    "based on it; compatible.",
    "permissive": "Both licenses allow use, modification and commercial use with notice-only "
    "conditions; compatible.",
    "distribution-duties": "Distributing a side carries its notice, attribution and "
    "restriction-passing duties (only in distribution scenarios).",
}
_ORDER = {rule: index for index, rule in enumerate(RULES)}


@dataclass(frozen=True)
class Verdict:
    compatible: bool
    model_license: str | None
    """Canonical id (or SPDX-style expression) of the model's license, None when unknown."""
    code_license: str | None
    reasons: list[str]
    """Human sentences: the verdict first, then why."""
    rule: str
    """The deciding rule (a key of `RULES`)."""
    rules: list[str] = field(default_factory=list)
    """Every rule that fired, in order of precedence."""
    obligations: list[str] = field(default_factory=list)
    """What the licensee must do to stay within both licenses in this scenario."""
    if_distributed: list[str] = field(default_factory=list)
    """What would change if the weights or the code were redistributed."""
    model_license_raw: str | None = None
    code_license_raw: str | None = None
    scenario: str = FINE_TUNE_AND_GENERATE.describe()

    def detail(self) -> dict[str, Any]:
        """JSON-ready explanation (for an optional detail field of our own in the API)."""
        return {
            "compatible": self.compatible,
            "scenario": self.scenario,
            "model_license": self.model_license,
            "model_license_raw": self.model_license_raw,
            "code_license": self.code_license,
            "code_license_raw": self.code_license_raw,
            "rule": self.rule,
            "rules": list(self.rules),
            "reasons": list(self.reasons),
            "obligations": list(self.obligations),
            "if_distributed": list(self.if_distributed),
        }


@dataclass(frozen=True)
class _Finding:
    rule: str
    blocking: bool
    reason: str
    obligations: tuple[str, ...] = ()


# ---------------------------------------------------------------------------- the evaluator


def check(
    model_license: str | Sequence[str] | None,
    code_license: str | Sequence[str] | None,
    *,
    scenario: Scenario = FINE_TUNE_AND_GENERATE,
) -> Verdict:
    """Decide compatibility of a model license and a code license for ``scenario``.

    Both arguments are raw declarations (a Hugging Face card's ``license``, GitHub's
    ``spdx_id``, a canonical id, an SPDX ``OR``/``AND`` expression or a list); None = none.
    """
    return _check(normalize_license(model_license), normalize_license(code_license), scenario)


def _check(model: NormalizedLicense, code: NormalizedLicense, scenario: Scenario) -> Verdict:
    findings: list[_Finding] = []
    if model.canonical is None:
        findings.append(_unknown("model", model))
    if code.canonical is None:
        findings.append(_unknown("code", code))
    choice_notes: list[str] = []
    chosen: tuple[str, ...] = ()
    if not findings:
        findings, choice_notes, chosen = _best_choice(model, code, scenario)
    verdict = _verdict(model, code, scenario, findings, choice_notes, chosen)
    if verdict.compatible and scenario.distribution == "none":
        verdict = replace(verdict, if_distributed=_if_distributed(model, code, scenario, verdict))
    return verdict


_Choice = tuple[list[_Finding], list[str], tuple[str, ...]]


def _best_choice(model: NormalizedLicense, code: NormalizedLicense, scenario: Scenario) -> _Choice:
    """Evaluate every choice an ``OR`` offers; the first compatible one wins.

    Returns the findings, sentences about the choice made, and the ids chosen.
    """
    first: _Choice | None = None
    for model_ids in model.alternatives:
        for code_ids in code.alternatives:
            findings: list[_Finding] = []
            for model_id in model_ids:
                for code_id in code_ids:
                    for finding in _evaluate(model_id, code_id, scenario):
                        if finding not in findings:
                            findings.append(finding)
            notes = [
                f"The {side} is offered under a choice of licenses ({lic.canonical}); this "
                f"verdict uses {' AND '.join(ids)}."
                for side, lic, ids in (("model", model, model_ids), ("code", code, code_ids))
                if lic.operator == "OR"
            ]
            chosen = (*model_ids, *code_ids)
            if not any(f.blocking for f in findings):
                return findings, notes, chosen
            if first is None:
                first = (findings, notes, chosen)
    assert first is not None  # both sides have at least one alternative here
    return first


def _evaluate(model_id: str, code_id: str, scenario: Scenario) -> list[_Finding]:
    """Every rule, for one model license and one code license (both in the table)."""
    model = lookup(model_id)
    code = lookup(code_id)
    if model is None or code is None:  # normalisation yields table ids only
        raise ValueError(f"no table entry for {model_id!r} or {code_id!r}")
    findings: list[_Finding] = []
    findings += _non_commercial("model", model_id, model, scenario)
    findings += _non_commercial("code", code_id, code, scenario)
    findings += _derivatives(model_id, model, code_id, code, scenario)
    findings += _use_restrictions("model", model_id, model)
    findings += _use_restrictions("code", code_id, code)
    findings += _copyleft("model", model_id, model, scenario)
    findings += _copyleft("code", code_id, code, scenario)
    findings += _combined_work(model_id, model, code_id, code, scenario)
    findings += _distribution_duties(model_id, model, code_id, code, scenario)
    if _plain(model) and _plain(code):
        notices = (
            "apply to copies that are redistributed, which this use does not do"
            if scenario.distribution == "none"
            else "are met by keeping the notices with what is distributed"
        )
        findings.append(
            _Finding(
                "permissive",
                False,
                f"Both {model_id} (model) and {code_id} (code) allow use, modification and "
                f"commercial use; their only conditions (keeping notices) {notices}.",
            )
        )
    return findings


def _plain(terms: LicenseTerms) -> bool:
    return (
        terms.commercial_use
        and terms.derivatives == "yes"
        and terms.copyleft == "none"
        and not terms.use_restrictions
    )


# ---------------------------------------------------------------------------- the rules


def _unknown(side: Side, declared: NormalizedLicense) -> _Finding:
    what = (
        "the model may not be copied or fine-tuned"
        if side == "model"
        else "the code may not be copied, modified or used in this workflow"
    )
    raw = declared.raw
    if declared.problem == "missing":
        reason = (
            f"The {side} declares no license. Without a license nothing is granted (all rights "
            f"reserved), so {what}."
        )
    elif raw is not None and raw.strip().upper() == "NOASSERTION":
        reason = (
            f"GitHub found a license file for the {side} but could not identify it "
            "(NOASSERTION), so the rights it grants cannot be checked automatically; the "
            "check answers no until someone reviews the license text."
        )
    elif declared.problem == "unidentified":
        reason = (
            f"The {side}'s license is declared as '{raw}', which does not say which license "
            "applies (a custom or unstated license), so the rights it grants cannot be checked "
            "automatically; the check answers no until someone reviews the license text."
        )
    else:
        names = ", ".join(f"'{part}'" for part in declared.unrecognised) or f"'{raw}'"
        reason = (
            f"The {side}'s license {names} is not one this registry knows, so the rights it "
            "grants cannot be checked automatically; the check answers no until someone "
            "reviews the license text."
        )
    return _Finding("unknown-license", True, reason)


def _non_commercial(
    side: Side, license_id: str, terms: LicenseTerms, scenario: Scenario
) -> list[_Finding]:
    if terms.commercial_use:
        return []
    if scenario.commercial:
        return [
            _Finding(
                "non-commercial",
                True,
                f"The {side} license {license_id} allows non-commercial use only "
                f"({terms.source}). This check assumes use by a company (the customer ACME) "
                "for its business, which is commercial use, so it is not permitted.",
            )
        ]
    return [
        _Finding(
            "non-commercial",
            False,
            f"The {side} license {license_id} allows non-commercial use only; that is "
            "acceptable here because the use is non-commercial.",
            (f"Keep every use of the {side} and of the fine-tuned model non-commercial.",),
        )
    ]


def _derivatives(
    model_id: str,
    model: LicenseTerms,
    code_id: str,
    code: LicenseTerms,
    scenario: Scenario,
) -> list[_Finding]:
    findings: list[_Finding] = []
    shares = scenario.network_service or scenario.distribution != "none"
    if model.derivatives == "no":
        findings.append(
            _Finding(
                "no-derivatives",
                True,
                f"The model license {model_id} grants no right to adapt the model "
                f"({model.source}); fine-tuning creates a derivative of the model (ModelGo: "
                "amalgamation, a modification), so it is not permitted.",
            )
        )
    elif model.derivatives == "private" and shares:
        findings.append(
            _Finding(
                "no-derivatives",
                True,
                f"The model license {model_id} lets you adapt the model only if the adaptation "
                f"is never shared ({model.source}). Fine-tuning creates a derivative, and "
                "serving its generations to users (or distributing it) makes that derivative's "
                "results available to others - the use ModelGo's no-derivatives reading "
                "excludes - so fine-tuning for this use is not permitted.",
            )
        )
    elif model.derivatives == "private":
        findings.append(
            _Finding(
                "no-derivatives",
                False,
                f"The model license {model_id} lets you adapt the model as long as the "
                "adaptation is never shared; this use keeps the fine-tuned model private.",
                ("Keep the fine-tuned model and its generations private.",),
            )
        )
    if code.derivatives != "yes":
        duty = (
            "Use the code unmodified."
            if code.derivatives == "no"
            else "Keep any changes to the code in-house."
        )
        findings.append(
            _Finding(
                "no-derivatives",
                False,
                f"The code license {code_id} restricts modified versions of the code, but the "
                "model is not a derivative of the code, so running the code is enough here.",
                (duty,),
            )
        )
    return findings


def _use_restrictions(side: Side, license_id: str, terms: LicenseTerms) -> list[_Finding]:
    if not terms.use_restrictions:
        return []
    if side == "model":
        reason = (
            f"The model license {license_id} permits fine-tuning and commercial use but "
            f"imposes behavioural use restrictions ({terms.source}); they bind the fine-tuned "
            "model and the generation service whatever the code's license is, and the code's "
            "license cannot lift them."
        )
    else:
        reason = (
            f"The code license {license_id} imposes behavioural use restrictions; they apply to "
            "the fine-tuning workflow that runs the code."
        )
    what = "the model and the fine-tuned model" if side == "model" else "the code"
    duty = f"Use {what} only in ways {license_id}'s use restrictions allow."
    return [_Finding("use-restrictions", False, reason, (duty, *terms.notes))]


def _distributed(side: Side, scenario: Scenario) -> bool:
    if side == "model":
        return scenario.distribution in ("weights", "combined")
    return scenario.distribution == "combined"


def _copyleft(
    side: Side, license_id: str, terms: LicenseTerms, scenario: Scenario
) -> list[_Finding]:
    if terms.copyleft == "none":
        return []
    scope = "; ".join(terms.share_alike_on)
    if scenario.distribution == "combined" and terms.copyleft in ("strong", "network"):
        return []  # `_combined_work` decides under which license the whole work goes
    if _distributed(side, scenario):
        what = "fine-tuned weights" if side == "model" else "code"
        return [
            _Finding(
                "share-alike",
                False,
                f"The {side} license {license_id} is copyleft ({scope}) and this use "
                f"distributes the {what}, so its conditions apply.",
                (f"Distribute the {what} under {license_id} ({scope}).",),
            )
        ]
    if terms.copyleft == "network" and scenario.network_service:
        if side == "code":
            return [
                _Finding(
                    "network-copyleft",
                    False,
                    f"The code license {license_id} has a network clause ({terms.source}): "
                    "serving users over a network counts, so if the service runs a modified "
                    "version of the code you must offer those users its complete source under "
                    f"{license_id}. It covers the code only: the fine-tuned weights are the "
                    "output of running the code, not its source or a work based on it (ModelGo "
                    "treats training with code as creating no derivative of the code), so the "
                    "model's license is not affected.",
                    (
                        f"Offer the users of the generation service the source of your version "
                        f"of the {license_id} code.",
                    ),
                )
            ]
        return [
            _Finding(
                "network-copyleft",
                False,
                f"The model license {license_id} has a network clause ({terms.source}): serving "
                "the fine-tuned model (a modified version of the model) to users over a "
                "network obliges you to offer them its source - the fine-tuned weights and the "
                f"scripts that produced them - under {license_id}.",
                (
                    "Offer the users of the generation service the fine-tuned weights and the "
                    f"fine-tuning scripts under {license_id}.",
                ),
            )
        ]
    if side == "code":
        reason = (
            f"The code license {license_id} is copyleft ({scope}), but its conditions apply "
            f"only when the code or a work based on it is distributed ({terms.source}). "
            "Fine-tuning and serving generation in-house distribute neither, and the "
            "fine-tuned weights are the output of running the code, not a work based on it, "
            "so the copyleft does not reach the model (ModelGo: training is not a derivative "
            "use of code; the code is an auxiliary work)."
        )
    else:
        reason = (
            f"The model license {license_id} is copyleft ({scope}): the fine-tuned model is "
            "a work based on the model, but the condition applies only when it is shared, and "
            "this use shares neither the weights nor the code."
        )
    return [_Finding("copyleft-not-triggered", False, reason)]


def _combined_work(
    model_id: str,
    model: LicenseTerms,
    code_id: str,
    code: LicenseTerms,
    scenario: Scenario,
) -> list[_Finding]:
    """One work made of both sides must be licensable under one governing copyleft license."""
    model_network = model.copyleft == "network" and scenario.network_service
    if scenario.distribution != "combined" and not model_network:
        return []
    sides = ((model_id, model), (code_id, code))
    governing = [(i, t) for i, t in sides if t.copyleft in ("strong", "network")]
    if not governing:
        return []
    for gov_id, gov in governing:
        if all(accepts(gov, terms) for _, terms in sides):
            return [
                _Finding(
                    "share-alike",
                    False,
                    f"Distributed as one work, the code and the model can be licensed together "
                    f"under {gov_id}, which accepts both.",
                    (f"License the combined work under {gov_id}.",),
                )
            ]
    gov_id, gov = governing[0]
    other_id, other = next((i, t) for i, t in sides if not accepts(gov, t))
    if scenario.distribution == "combined":
        lead = (
            "Distributed as one work, the code and the model would have to be licensed as a "
            f"whole under {gov_id}"
        )
    else:  # the model's network clause: its source (weights and fine-tuning scripts) goes out
        lead = (
            "Serving the fine-tuned model over a network obliges you to offer its source - the "
            f"weights and the fine-tuning code - under {gov_id}"
        )
    if other.use_restrictions and gov.no_further_restrictions:
        return [
            _Finding(
                "copyleft-vs-use-restrictions",
                True,
                f"{lead}, which forbids any further restrictions ({gov.source}), while "
                f"{other_id} requires its use restrictions to travel with the material and "
                "every derivative of it: no license can satisfy both.",
            )
        ]
    why = " (its non-commercial limit is a further restriction)" if not other.commercial_use else ""
    mutual = (
        f", and {other_id} in turn does not accept {gov_id} material"
        if other.copyleft in ("strong", "network") and not accepts(other, gov)
        else ""
    )
    return [
        _Finding(
            "copyleft-conflict",
            True,
            f"{lead}, which does not accept material under {other_id}{why}{mutual}: no single "
            "license can govern the combination.",
        )
    ]


def _distribution_duties(
    model_id: str,
    model: LicenseTerms,
    code_id: str,
    code: LicenseTerms,
    scenario: Scenario,
) -> list[_Finding]:
    findings: list[_Finding] = []
    sides: tuple[tuple[Side, str, LicenseTerms], ...] = (
        ("model", model_id, model),
        ("code", code_id, code),
    )
    for side, license_id, terms in sides:
        if not _distributed(side, scenario):
            continue
        what = "fine-tuned weights" if side == "model" else "code"
        duties: list[str] = []
        if terms.attribution:
            duties.append(f"Keep {license_id}'s license text and notices with the {what}.")
        if terms.restrictions_flow:
            duties.append(
                f"Bind every recipient of the fine-tuned model by {license_id}'s use "
                "restrictions (make them part of your license)."
            )
        if duties:
            findings.append(
                _Finding(
                    "distribution-duties",
                    False,
                    f"Distributing the {what} carries {license_id}'s conditions for copies.",
                    tuple(duties),
                )
            )
    return findings


# ---------------------------------------------------------------------------- the verdict


def _verdict(
    model: NormalizedLicense,
    code: NormalizedLicense,
    scenario: Scenario,
    findings: list[_Finding],
    choice_notes: list[str],
    chosen: tuple[str, ...],
) -> Verdict:
    blocking = [f for f in findings if f.blocking]
    fired = sorted({f.rule for f in findings}, key=_ORDER.__getitem__)
    compatible = not blocking
    deciding = blocking or findings
    rule = min((f.rule for f in deciding), key=_ORDER.__getitem__) if deciding else "permissive"
    model_name = model.canonical or _describe_unknown(model)
    code_name = code.canonical or _describe_unknown(code)
    headline = (
        f"{'Compatible' if compatible else 'Not compatible'}: model license {model_name} and "
        f"code license {code_name}, for {scenario.describe()}."
    )
    ordered = sorted(findings, key=lambda f: (not f.blocking, _ORDER[f.rule]))
    reasons = [headline, *choice_notes]
    reasons += [f.reason for f in ordered if f.reason and f.reason not in reasons]
    reasons += _kind_notes(model, code, chosen) if compatible else []
    obligations: list[str] = []
    if compatible:
        for finding in ordered:
            for duty in finding.obligations:
                if duty not in obligations:
                    obligations.append(duty)
    return Verdict(
        compatible=compatible,
        model_license=model.canonical,
        code_license=code.canonical,
        reasons=reasons,
        rule=rule,
        rules=fired,
        obligations=obligations,
        model_license_raw=model.raw,
        code_license_raw=code.raw,
        scenario=scenario.describe(),
    )


def _describe_unknown(declared: NormalizedLicense) -> str:
    if declared.problem == "missing":
        return "(none declared)"
    return f"'{declared.raw}' ({declared.problem})"


def _kind_notes(
    model: NormalizedLicense, code: NormalizedLicense, chosen: tuple[str, ...]
) -> list[str]:
    """ModelGo's "license type mismatch": a model under a software or content license."""
    notes = []
    for license_id in (i for i in model.ids if i in chosen):
        terms = lookup(license_id)
        if terms is not None and terms.kind != "model":
            kind = "software" if terms.kind == "code" else "content"
            notes.append(
                f"{license_id} is a {kind} license and does not mention training; following "
                "ModelGo, fine-tuning is read as a modification of the model."
            )
    for license_id in (i for i in code.ids if i in chosen):
        terms = lookup(license_id)
        if terms is not None and terms.kind == "model":
            notes.append(f"{license_id} was written for models; its terms are applied to the code.")
    return notes


def _if_distributed(
    model: NormalizedLicense, code: NormalizedLicense, scenario: Scenario, verdict: Verdict
) -> list[str]:
    """What publishing the weights, or shipping code and model together, would change."""
    sentences: list[str] = []
    labels: tuple[tuple[Distribution, str], ...] = (
        ("weights", "Publishing the fine-tuned weights"),
        ("combined", "Distributing the code and the fine-tuned model together as one work"),
    )
    for distribution, label in labels:
        other = _check(model, code, replace(scenario, distribution=distribution))
        if not other.compatible:
            first_reason = other.reasons[1] if len(other.reasons) > 1 else ""
            sentences.append(f"{label} would not be allowed: {first_reason}")
            continue
        extra = [duty for duty in other.obligations if duty not in verdict.obligations]
        if extra:
            sentences.append(f"{label} would also require: " + " ".join(extra))
    return sentences
