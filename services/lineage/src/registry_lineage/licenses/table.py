"""The license table: what each license grants and what it asks in return.

One `LicenseTerms` per license, written from the license text (the clause is cited in the
comment above each entry) and read, where the text is silent about machine learning, the way
the ModelGo paper (Duan, Li, He: "ModelGo: A Practical Tool for Machine Learning License
Analysis", WWW 2024) reads it: fine-tuning a model is *amalgamation*, a modification whose
result is a derivative of the model; running code to train is an activity software licenses do
not define, so the trained weights are not a work based on the code; generation output is
independent of software, while model licenses (OpenRAIL, Llama, Gemma) define it explicitly.

Only facts that matter for the compatibility question are recorded. ``docs/licenses.md`` explains
how `registry_lineage.licenses.compatibility` uses each field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

Kind = Literal["code", "model", "content"]
"""What the license was written for: software, ML models, or creative content / data."""

Copyleft = Literal["none", "weak", "strong", "network"]
"""none; weak = file or library scope (MPL, LGPL, EPL); strong = works based on it (GPL,
CC BY-SA adaptations); network = strong, and serving users over a network counts (AGPL §13)."""

Derivatives = Literal["yes", "private", "no"]
"""May you make derivatives (a fine-tuned model is one): yes; private = you may make them but
not share them (CC BY-ND 4.0 §2(a)(1)(B)); no = no adaptation right at all."""


@dataclass(frozen=True)
class LicenseTerms:
    id: str
    """Canonical id: the SPDX id where one exists (as GitHub spells it), else our own."""
    name: str
    """Full name (GitHub's display name where GitHub knows the license)."""
    kind: Kind
    commercial_use: bool
    derivatives: Derivatives
    copyleft: Copyleft = "none"
    share_alike_on: tuple[str, ...] = ()
    """What must carry the same license when it is distributed (empty: nothing)."""
    no_further_restrictions: bool = False
    """Works it governs may not be distributed with restrictions beyond its own (GPL §10)."""
    use_restrictions: bool = False
    """Behavioural use clauses (OpenRAIL Attachment A, Llama / Gemma acceptable-use policies)."""
    restrictions_flow: bool = False
    """The use clauses bind derivatives and must be passed on to anyone who receives them."""
    attribution: bool = True
    """Copies (and derivatives, when shared) must keep notices / credit the licensor."""
    patent_grant: bool = False
    accepts: frozenset[str] = frozenset()
    """For copyleft licenses: ids of licenses whose material may be part of one combined work
    distributed under this license (the license itself is always accepted)."""
    notes: tuple[str, ...] = ()
    """Obligations or limits that apply to a company fine-tuning and serving generation."""
    also: tuple[str, ...] = ()
    """Other canonical ids that share these terms for this question (versions, -or-later)."""
    source: str = ""
    """The clauses the entry rests on, briefly."""


# Licenses every GPL version accepts in a combined work: notice-only permissive terms, which
# GPL can absorb (FSF's list of GPL-compatible licenses).
_GPL_COMPATIBLE_PERMISSIVE = frozenset(
    {
        "MIT",
        "MIT-0",
        "BSD-2-Clause",
        "BSD-3-Clause",
        "BSD-3-Clause-Clear",
        "0BSD",
        "ISC",
        "Unlicense",
        "Zlib",
        "BSL-1.0",
        "WTFPL",
        "CC0-1.0",
        "Artistic-2.0",  # 4(c)(ii) lets modified versions be relicensed (FSF: GPL-compatible)
    }
)
# Apache-2.0's patent-termination and indemnity terms are "further restrictions" for GPL-2.0
# (FSF: "incompatible with GPL version 2") but GPL-3.0 accepts them (§7 b, e; §10); ECL-2.0 is
# Apache-2.0 with a narrower patent grant.
_APACHE_LIKE = frozenset({"Apache-2.0", "ECL-2.0"})
_GPL2_ACCEPTS = _GPL_COMPATIBLE_PERMISSIVE | {
    "LGPL-2.1",  # LGPL-2.1 §3: may be switched to GPL-2.0
    "MPL-2.0",  # MPL-2.0 §3.3: GPL-2.0-or-later is a Secondary License
    "GPL-2.0-or-later",
    "EUPL-1.2",  # EUPL-1.2 §5 "Compatibility clause" lists GPL-2.0
}
_GPL3_ACCEPTS = (
    _GPL_COMPATIBLE_PERMISSIVE
    | _APACHE_LIKE
    | {
        "LGPL-2.1",
        "LGPL-3.0",
        "MPL-2.0",
        "GPL-2.0-or-later",
        "AGPL-3.0",  # GPL-3.0 §13 allows combining with AGPL-3.0 work
        "CC-BY-4.0",  # FSF: compatible with GPL-3.0
        "CC-BY-SA-4.0",  # CC BY-SA 4.0 §3(b)(1): GPL-3.0 is a "BY-SA Compatible License"
        "EUPL-1.2",
    }
)
# What may be relicensed under a CC BY-SA adaptation: anything permissive and sublicensable.
_SHARE_ALIKE_ACCEPTS = (
    _GPL_COMPATIBLE_PERMISSIVE | _APACHE_LIKE | {"AFL-3.0", "CC-BY-4.0", "CC-BY-3.0"}
)

_FLOW_NOTE = (
    "The fine-tuned model is a derivative, so the same use restrictions bind it and every "
    "service built on it; anyone you give it to must be bound by them too."
)
_MAU_NOTE = (
    "Commercial use is free only while the licensee's products had at most 700 million monthly "
    "active users on the release date (§2); above that a separate license from Meta is needed."
)

LICENSES: tuple[LicenseTerms, ...] = (
    # ----------------------------------------------------------------- permissive code
    # MIT: "to deal in the Software without restriction, including ... use, copy, modify, merge,
    # publish, distribute, sublicense, and/or sell"; the notice must be "included in all copies
    # or substantial portions". No patent clause.
    LicenseTerms(
        id="MIT",
        name="MIT License",
        kind="code",
        commercial_use=True,
        derivatives="yes",
        source="grant 'without restriction'; notice in all copies or substantial portions",
    ),
    # MIT-0: the MIT grant without the notice condition.
    LicenseTerms(
        id="MIT-0",
        name="MIT No Attribution",
        kind="code",
        commercial_use=True,
        derivatives="yes",
        attribution=False,
        source="MIT grant; no notice condition",
    ),
    # BSD-2-Clause: redistributions of source/binary retain the notice (clauses 1-2).
    LicenseTerms(
        id="BSD-2-Clause",
        name='BSD 2-Clause "Simplified" License',
        kind="code",
        commercial_use=True,
        derivatives="yes",
        source="use and redistribution with or without modification; clauses 1-2 keep notice",
    ),
    # BSD-3-Clause: BSD-2-Clause + clause 3 (no endorsement using the authors' names).
    LicenseTerms(
        id="BSD-3-Clause",
        name='BSD 3-Clause "New" or "Revised" License',
        kind="code",
        commercial_use=True,
        derivatives="yes",
        source="clauses 1-2 keep notice; clause 3 no endorsement",
    ),
    # BSD-3-Clause-Clear: BSD-3-Clause saying expressly that no patent rights are granted.
    LicenseTerms(
        id="BSD-3-Clause-Clear",
        name="BSD 3-Clause Clear License",
        kind="code",
        commercial_use=True,
        derivatives="yes",
        source="BSD-3-Clause terms; 'NO EXPRESS OR IMPLIED LICENSES TO ANY PARTY'S PATENT RIGHTS'",
    ),
    # 0BSD: "Permission to use, copy, modify, and/or distribute ... for any purpose" - no notice.
    LicenseTerms(
        id="0BSD",
        name="BSD Zero Clause License",
        kind="code",
        commercial_use=True,
        derivatives="yes",
        attribution=False,
        source="grant for any purpose; no conditions",
    ),
    # Apache-2.0: §2 copyright grant incl. "prepare Derivative Works of"; §3 patent grant
    # (terminated by patent litigation); §4 redistribution: license copy, notices, state changes.
    LicenseTerms(
        id="Apache-2.0",
        name="Apache License 2.0",
        kind="code",
        commercial_use=True,
        derivatives="yes",
        patent_grant=True,
        source="§2 copyright grant, §3 patent grant, §4 redistribution conditions",
    ),
    # ISC: "Permission to use, copy, modify, and/or distribute ... for any purpose ... provided
    # that the above copyright notice and this permission notice appear in all copies".
    LicenseTerms(
        id="ISC",
        name="ISC License",
        kind="code",
        commercial_use=True,
        derivatives="yes",
        source="grant for any purpose; notice in all copies",
    ),
    # Unlicense: dedication to the public domain; fallback grant "for any purpose".
    LicenseTerms(
        id="Unlicense",
        name="The Unlicense",
        kind="code",
        commercial_use=True,
        derivatives="yes",
        attribution=False,
        source="public-domain dedication; no conditions",
    ),
    # Zlib: any purpose incl. commercial; altered versions marked; notice kept in source.
    LicenseTerms(
        id="Zlib",
        name="zlib License",
        kind="code",
        commercial_use=True,
        derivatives="yes",
        source="clauses 1-3: no misrepresentation, mark altered versions, keep notice",
    ),
    # BSL-1.0: notice in copies of the software, except machine-executable object code.
    LicenseTerms(
        id="BSL-1.0",
        name="Boost Software License 1.0",
        kind="code",
        commercial_use=True,
        derivatives="yes",
        source="grant to use, reproduce, prepare derivative works; notice except in object code",
    ),
    # WTFPL: "You just DO WHAT THE FUCK YOU WANT TO."
    LicenseTerms(
        id="WTFPL",
        name="Do What The F*ck You Want To Public License",
        kind="code",
        commercial_use=True,
        derivatives="yes",
        attribution=False,
        source="clause 0: no conditions",
    ),
    # AFL-3.0: §1 copyright grant incl. derivative works, §2 patent grant, §6 attribution
    # notices; §5 counts "External Deployment" (network use) as distribution, but only for the
    # notice duties - it is permissive. FSF: GPL-incompatible (§10 patent termination).
    LicenseTerms(
        id="AFL-3.0",
        name="Academic Free License v3.0",
        kind="code",
        commercial_use=True,
        derivatives="yes",
        patent_grant=True,
        source="§1 grant incl. derivative works, §2 patent grant, §5 External Deployment, §6",
    ),
    # Artistic-2.0: §§1-4 use, modify, distribute; modified versions distributed must be made
    # freely available, renamed, or relicensed (4(c)(ii)); §14 patent grant.
    LicenseTerms(
        id="Artistic-2.0",
        name="Artistic License 2.0",
        kind="code",
        commercial_use=True,
        derivatives="yes",
        patent_grant=True,
        share_alike_on=("modified versions that replace the Standard Version, unless renamed",),
        source="§4 distribution of modified versions; §14 patent grant",
    ),
    # ECL-2.0: Apache-2.0 with the patent grant limited for employees of educational institutions.
    LicenseTerms(
        id="ECL-2.0",
        name="Educational Community License v2.0",
        kind="code",
        commercial_use=True,
        derivatives="yes",
        patent_grant=True,
        source="Apache-2.0 §§2-4, patent grant narrowed (§3)",
    ),
    # ----------------------------------------------------------------- weak copyleft code
    # MPL-2.0: file-level copyleft - Covered Software distributed in source form stays MPL
    # (§3.1, §3.2); a Larger Work may combine it with anything (§3.3); §2.1(b) patent grant.
    LicenseTerms(
        id="MPL-2.0",
        name="Mozilla Public License 2.0",
        kind="code",
        commercial_use=True,
        derivatives="yes",
        copyleft="weak",
        share_alike_on=("modified files",),
        patent_grant=True,
        source="§2.1 grant, §3.1-3.3 file-level copyleft, Larger Works free",
    ),
    # LGPL-2.1: §2 a modified library is LGPL when distributed; §5-6 a work that uses the
    # library may be under any terms that allow modification and reverse engineering;
    # §10 no further restrictions on the library. Running is not restricted (§0).
    LicenseTerms(
        id="LGPL-2.1",
        name="GNU Lesser General Public License v2.1",
        kind="code",
        commercial_use=True,
        derivatives="yes",
        copyleft="weak",
        share_alike_on=("modified versions of the library",),
        no_further_restrictions=True,
        also=("LGPL-2.1-or-later",),
        source="§0 running unrestricted, §2 library copyleft, §6 combined works, §10",
    ),
    # LGPL-3.0: GPL-3.0 plus the §4 "Combined Works" exception; patent grant via GPL-3.0 §11.
    LicenseTerms(
        id="LGPL-3.0",
        name="GNU Lesser General Public License v3.0",
        kind="code",
        commercial_use=True,
        derivatives="yes",
        copyleft="weak",
        share_alike_on=("modified versions of the library",),
        no_further_restrictions=True,
        patent_grant=True,
        also=("LGPL-3.0-or-later",),
        source="GPL-3.0 §2 (unconveyed use unconditioned), LGPL §2 modified library, §4",
    ),
    # EPL-1.0: §3 the Program distributed in source stays EPL; separate modules are not
    # derivative works (definition of Contribution); §2(b) patent grant.
    LicenseTerms(
        id="EPL-1.0",
        name="Eclipse Public License 1.0",
        kind="code",
        commercial_use=True,
        derivatives="yes",
        copyleft="weak",
        share_alike_on=("modified files",),
        patent_grant=True,
        source="§2 grants, §3 requirements on distribution, separate modules excluded",
    ),
    # EPL-2.0: like EPL-1.0; §3.2 source availability; optional Secondary License (GPL).
    LicenseTerms(
        id="EPL-2.0",
        name="Eclipse Public License 2.0",
        kind="code",
        commercial_use=True,
        derivatives="yes",
        copyleft="weak",
        share_alike_on=("modified files",),
        patent_grant=True,
        source="§2 grants, §3 distribution requirements, Exhibit A secondary licenses",
    ),
    # ----------------------------------------------------------------- strong copyleft code
    # GPL-2.0: §0 "Activities other than copying, distribution and modification are not
    # covered ... The act of running the Program is not restricted, and the output from the
    # Program is covered only if its contents constitute a work based on the Program";
    # §2(b) distributed works based on the Program are GPL; §6 no further restrictions.
    LicenseTerms(
        id="GPL-2.0",
        name="GNU General Public License v2.0",
        kind="code",
        commercial_use=True,
        derivatives="yes",
        copyleft="strong",
        share_alike_on=("modified versions", "works that combine it into one program"),
        no_further_restrictions=True,
        accepts=_GPL2_ACCEPTS,
        also=("GPL-2.0-only",),
        source="§0 running and output unrestricted, §2(b) copyleft on distribution, §6",
    ),
    # GPL-2.0-or-later: GPL-2.0, or any later version at the recipient's option (§9), so a
    # combination may be distributed under GPL-3.0 and accept what GPL-3.0 accepts.
    LicenseTerms(
        id="GPL-2.0-or-later",
        name="GNU General Public License v2.0 or later",
        kind="code",
        commercial_use=True,
        derivatives="yes",
        copyleft="strong",
        share_alike_on=("modified versions", "works that combine it into one program"),
        no_further_restrictions=True,
        accepts=_GPL2_ACCEPTS | _GPL3_ACCEPTS | {"GPL-3.0"},
        also=("GPL-1.0-or-later",),
        source="GPL-2.0 §§0, 2, 6; §9 'any later version'",
    ),
    # GPL-3.0: §2 "You may make, run and propagate covered works that you do not convey,
    # without conditions" and "The output from running a covered work is covered by this
    # License only if the output, given its content, constitutes a covered work"; §5(c) a
    # conveyed work based on it is GPL as a whole; §10 "You may not impose any further
    # restrictions"; §11 patent grant.
    LicenseTerms(
        id="GPL-3.0",
        name="GNU General Public License v3.0",
        kind="code",
        commercial_use=True,
        derivatives="yes",
        copyleft="strong",
        share_alike_on=("modified versions", "works that combine it into one program"),
        no_further_restrictions=True,
        patent_grant=True,
        accepts=_GPL3_ACCEPTS,
        also=("GPL-3.0-only", "GPL-3.0-or-later"),
        source="§2 unconveyed use and output, §5(c) copyleft on conveying, §10, §11",
    ),
    # AGPL-3.0: GPL-3.0 plus §13 "Remote Network Interaction": if you modify the Program, users
    # interacting with it remotely must be offered its Corresponding Source.
    LicenseTerms(
        id="AGPL-3.0",
        name="GNU Affero General Public License v3.0",
        kind="code",
        commercial_use=True,
        derivatives="yes",
        copyleft="network",
        share_alike_on=(
            "modified versions, also when users reach them over a network",
            "works that combine it into one program",
        ),
        no_further_restrictions=True,
        patent_grant=True,
        accepts=_GPL3_ACCEPTS | {"GPL-3.0"},
        also=("AGPL-3.0-only", "AGPL-3.0-or-later"),
        source="GPL-3.0 terms, §13 Remote Network Interaction",
    ),
    # OSL-3.0: §1(c) derivative works are OSL when distributed; §5 "External Deployment"
    # (making it usable by others, also over a network) counts as distribution; §2 patents.
    LicenseTerms(
        id="OSL-3.0",
        name="Open Software License 3.0",
        kind="code",
        commercial_use=True,
        derivatives="yes",
        copyleft="network",
        share_alike_on=("derivative works, also when deployed for others' use",),
        no_further_restrictions=True,
        patent_grant=True,
        accepts=_GPL_COMPATIBLE_PERMISSIVE | _APACHE_LIKE | {"AFL-3.0"},
        source="§1(c) reciprocity, §5 External Deployment, §2 patent grant",
    ),
    # EUPL-1.2: §5 copyleft; §1 "Distribution or Communication" includes "providing on-line
    # access to its essential functionalities"; compatible licences appendix (outbound only).
    LicenseTerms(
        id="EUPL-1.2",
        name="European Union Public License 1.2",
        kind="code",
        commercial_use=True,
        derivatives="yes",
        copyleft="network",
        share_alike_on=("derivative works, also when made available online",),
        no_further_restrictions=True,
        patent_grant=True,
        accepts=_GPL_COMPATIBLE_PERMISSIVE | _APACHE_LIKE | {"AFL-3.0"},
        also=("EUPL-1.1",),
        source="§1 definitions, §2 grant, §5 copyleft and compatibility clauses",
    ),
    # ----------------------------------------------------------------- content licenses
    # CC0-1.0: §2 waiver of all copyright; §4(a) no trademark or patent rights are waived.
    LicenseTerms(
        id="CC0-1.0",
        name="Creative Commons Zero v1.0 Universal",
        kind="content",
        commercial_use=True,
        derivatives="yes",
        attribution=False,
        source="§2 waiver, §3 fallback license, §4(a) no patent rights",
    ),
    # CC-BY-4.0: §2(a)(1) reproduce and Share, produce and Share Adapted Material; §3(a)
    # attribution when Sharing; §2(b)(2) patents not licensed.
    LicenseTerms(
        id="CC-BY-4.0",
        name="Creative Commons Attribution 4.0 International",
        kind="content",
        commercial_use=True,
        derivatives="yes",
        source="§2(a)(1) grant incl. Adapted Material, §3(a) attribution",
    ),
    # CC-BY-3.0: §3(b) Adaptations allowed, §4(b) credit. Same answers as 4.0, except that
    # only CC BY 4.0 is on the FSF's list of GPL-3.0-compatible licenses.
    LicenseTerms(
        id="CC-BY-3.0",
        name="Creative Commons Attribution 3.0 Unported",
        kind="content",
        commercial_use=True,
        derivatives="yes",
        also=("CC-BY-2.5", "CC-BY-2.0"),
        source="§3(b) Adaptations, §4(b) attribution",
    ),
    # CC-BY-SA-4.0: CC-BY plus §3(b) ShareAlike - Adapted Material you Share is under BY-SA (or
    # a BY-SA Compatible License, i.e. GPL-3.0) and you may not add terms that restrict it.
    LicenseTerms(
        id="CC-BY-SA-4.0",
        name="Creative Commons Attribution Share Alike 4.0 International",
        kind="content",
        commercial_use=True,
        derivatives="yes",
        copyleft="strong",
        share_alike_on=("adaptations, such as a fine-tuned model, when shared",),
        no_further_restrictions=True,
        accepts=_SHARE_ALIKE_ACCEPTS | {"CC-BY-SA-3.0"},
        source="§3(b) ShareAlike, §3(b)(3) no additional restrictions on Adapted Material",
    ),
    # CC-BY-SA-3.0: §4(b) Adaptations under this license, a later version (so BY-SA 4.0) or a
    # Creative Commons Compatible License; §4(a) no terms that restrict recipients. Unlike 4.0
    # it is not one-way compatible with GPL-3.0.
    LicenseTerms(
        id="CC-BY-SA-3.0",
        name="Creative Commons Attribution Share Alike 3.0 Unported",
        kind="content",
        commercial_use=True,
        derivatives="yes",
        copyleft="strong",
        share_alike_on=("adaptations, such as a fine-tuned model, when shared",),
        no_further_restrictions=True,
        accepts=_SHARE_ALIKE_ACCEPTS,
        also=("CC-BY-SA-2.5", "CC-BY-SA-2.0"),
        source="§4(a) no restricting terms, §4(b) ShareAlike (or a later version)",
    ),
    # CC-BY-NC-4.0: §2(a)(1) grant "for NonCommercial purposes only"; §1(i) NonCommercial =
    # "not primarily intended for or directed towards commercial advantage".
    LicenseTerms(
        id="CC-BY-NC-4.0",
        name="Creative Commons Attribution Non Commercial 4.0 International",
        kind="content",
        commercial_use=False,
        derivatives="yes",
        also=("CC-BY-NC-3.0", "CC-BY-NC-2.5", "CC-BY-NC-2.0"),
        source="§1(i) NonCommercial, §2(a)(1) grant for NonCommercial purposes only",
    ),
    # CC-BY-NC-SA-4.0: NonCommercial + ShareAlike (§3(b)).
    LicenseTerms(
        id="CC-BY-NC-SA-4.0",
        name="Creative Commons Attribution Non Commercial Share Alike 4.0 International",
        kind="content",
        commercial_use=False,
        derivatives="yes",
        copyleft="strong",
        share_alike_on=("adaptations, such as a fine-tuned model, when shared",),
        no_further_restrictions=True,
        accepts=_SHARE_ALIKE_ACCEPTS | {"CC-BY-NC-4.0"},
        also=("CC-BY-NC-SA-3.0", "CC-BY-NC-SA-2.5", "CC-BY-NC-SA-2.0"),
        source="§2(a)(1) NonCommercial only, §3(b) ShareAlike",
    ),
    # CC-BY-ND-4.0: §2(a)(1)(B) "produce and reproduce, but not Share, Adapted Material".
    LicenseTerms(
        id="CC-BY-ND-4.0",
        name="Creative Commons Attribution No Derivatives 4.0 International",
        kind="content",
        commercial_use=True,
        derivatives="private",
        source="§2(a)(1)(B) Adapted Material may be produced but not Shared",
    ),
    # CC-BY-ND-3.0: §3 grants no adaptation right ("You may not alter, transform, or build upon").
    LicenseTerms(
        id="CC-BY-ND-3.0",
        name="Creative Commons Attribution No Derivatives 3.0 Unported",
        kind="content",
        commercial_use=True,
        derivatives="no",
        also=("CC-BY-ND-2.5", "CC-BY-ND-2.0"),
        source="§3 grants reproduce and distribute only; no Adaptations",
    ),
    # CC-BY-NC-ND-4.0: NonCommercial + §2(a)(1)(B) Adapted Material not to be Shared.
    LicenseTerms(
        id="CC-BY-NC-ND-4.0",
        name="Creative Commons Attribution Non Commercial No Derivatives 4.0 International",
        kind="content",
        commercial_use=False,
        derivatives="private",
        source="§2(a)(1) NonCommercial only; Adapted Material may not be Shared",
    ),
    # CC-BY-NC-ND-3.0: no adaptation right, NonCommercial (§3, §4(b)).
    LicenseTerms(
        id="CC-BY-NC-ND-3.0",
        name="Creative Commons Attribution Non Commercial No Derivatives 3.0 Unported",
        kind="content",
        commercial_use=False,
        derivatives="no",
        also=("CC-BY-NC-ND-2.5", "CC-BY-NC-ND-2.0"),
        source="§3 no Adaptations, §4(b) NonCommercial",
    ),
    # ----------------------------------------------------------------- model licenses
    # OpenRAIL-M (RAIL initiative template): §2 copyright grant incl. "Derivatives of the
    # Model", §3 patent grant, §4 "Use-based restrictions as referenced in paragraph 5 MUST be
    # included as an enforceable provision ... in any type of legal agreement governing the use
    # and/or distribution of the Model or Derivatives of the Model", §5 Attachment A
    # restrictions, §6 no rights claimed in the Output.
    LicenseTerms(
        id="OpenRAIL-M",
        name="Open RAIL-M License",
        kind="model",
        commercial_use=True,
        derivatives="yes",
        use_restrictions=True,
        restrictions_flow=True,
        patent_grant=True,
        notes=(_FLOW_NOTE,),
        source="§2-3 grants, §4 restrictions passed on, §5 Attachment A, §6 Output",
    ),
    # OpenRAIL (Hugging Face's generic `openrail` id): the family of Open RAIL licenses; every
    # member permits derivatives and commercial use and carries flowing use restrictions, so we
    # give it the OpenRAIL-M terms.
    LicenseTerms(
        id="OpenRAIL",
        name="Open RAIL License (family)",
        kind="model",
        commercial_use=True,
        derivatives="yes",
        use_restrictions=True,
        restrictions_flow=True,
        notes=(_FLOW_NOTE,),
        source="RAIL family: grants with use-based restrictions that bind derivatives",
    ),
    # CreativeML-OpenRAIL-M (Stable Diffusion v1): OpenRAIL-M structure - §2-3 grants, §4
    # distribution with the §5 restrictions included, Attachment A, §6 Output, §7 updates.
    LicenseTerms(
        id="CreativeML-OpenRAIL-M",
        name="CreativeML Open RAIL-M License",
        kind="model",
        commercial_use=True,
        derivatives="yes",
        use_restrictions=True,
        restrictions_flow=True,
        patent_grant=True,
        notes=(_FLOW_NOTE,),
        source="§2-3 grants, §4-5 use restrictions on Model and Derivatives, §6 Output",
    ),
    # CreativeML-OpenRAIL++-M (Stable Diffusion 2.x): the same terms as CreativeML-OpenRAIL-M.
    LicenseTerms(
        id="CreativeML-OpenRAIL++-M",
        name="CreativeML Open RAIL++-M License",
        kind="model",
        commercial_use=True,
        derivatives="yes",
        use_restrictions=True,
        restrictions_flow=True,
        patent_grant=True,
        notes=(_FLOW_NOTE,),
        source="§2-3 grants, §4-5 use restrictions on Model and Derivatives, §6 Output",
    ),
    # BigScience-OpenRAIL-M: OpenRAIL-M structure (§4 restrictions passed on, Attachment A).
    LicenseTerms(
        id="BigScience-OpenRAIL-M",
        name="BigScience Open RAIL-M License",
        kind="model",
        commercial_use=True,
        derivatives="yes",
        use_restrictions=True,
        restrictions_flow=True,
        patent_grant=True,
        notes=(_FLOW_NOTE,),
        source="§2-3 grants, §4-5 use-based restrictions, Attachment A",
    ),
    # BigScience-BLOOM-RAIL-1.0: same structure, written for BLOOM.
    LicenseTerms(
        id="BigScience-BLOOM-RAIL-1.0",
        name="BigScience BLOOM RAIL License v1.0",
        kind="model",
        commercial_use=True,
        derivatives="yes",
        use_restrictions=True,
        restrictions_flow=True,
        patent_grant=True,
        notes=(_FLOW_NOTE,),
        source="§2-3 grants, §4-5 use-based restrictions, Attachment A",
    ),
    # BigCode-OpenRAIL-M (StarCoder): OpenRAIL-M structure with code-specific Attachment A.
    LicenseTerms(
        id="BigCode-OpenRAIL-M",
        name="BigCode Open RAIL-M License",
        kind="model",
        commercial_use=True,
        derivatives="yes",
        use_restrictions=True,
        restrictions_flow=True,
        patent_grant=True,
        notes=(_FLOW_NOTE,),
        source="§2-3 grants, §4-5 use-based restrictions, Attachment A",
    ),
    # Llama 2 Community License: §1.a "non-exclusive, worldwide, non-transferable and
    # royalty-free limited license ... to use, reproduce, distribute, copy, create derivative
    # works of, and make modifications"; §1.b.i-ii copy of the agreement and notice on
    # redistribution; §1.b.iv Acceptable Use Policy; §1.b.v no improving other LLMs with Llama
    # 2 or its outputs; §2 700M monthly-active-user threshold; §6 termination.
    LicenseTerms(
        id="Llama-2",
        name="Llama 2 Community License Agreement",
        kind="model",
        commercial_use=True,
        derivatives="yes",
        use_restrictions=True,
        restrictions_flow=True,
        notes=(
            _FLOW_NOTE,
            _MAU_NOTE,
            "Neither Llama 2 nor its outputs may be used to improve any other large language "
            "model (§1.b.v); fine-tuning Llama 2 itself is allowed.",
        ),
        source="§1.a grant, §1.b.i-v redistribution, AUP, no improving other LLMs, §2 700M MAU",
    ),
    # Meta Llama 3 Community License: §1.a grant as Llama 2; §1.b.i a product or service that
    # uses the materials must display "Built with Meta Llama 3", and a model fine-tuned from it
    # that is distributed or made available must start its name with "Llama 3"; §1.b.iv AUP;
    # §2 700M MAU.
    LicenseTerms(
        id="Llama-3",
        name="Meta Llama 3 Community License Agreement",
        kind="model",
        commercial_use=True,
        derivatives="yes",
        use_restrictions=True,
        restrictions_flow=True,
        notes=(
            _FLOW_NOTE,
            _MAU_NOTE,
            "A service that uses the fine-tuned model must display 'Built with Meta Llama 3', "
            "and a fine-tuned model made available must have a name starting with 'Llama 3' "
            "(§1.b.i).",
        ),
        source="§1.a grant, §1.b.i attribution and naming, §1.b.iv AUP, §2 700M MAU",
    ),
    # Llama 3.1 Community License: as Llama 3, attribution "Built with Llama", names start with
    # "Llama"; outputs may be used to improve other models (with the naming rule).
    LicenseTerms(
        id="Llama-3.1",
        name="Llama 3.1 Community License Agreement",
        kind="model",
        commercial_use=True,
        derivatives="yes",
        use_restrictions=True,
        restrictions_flow=True,
        notes=(
            _FLOW_NOTE,
            _MAU_NOTE,
            "A service that uses the fine-tuned model must display 'Built with Llama', and a "
            "fine-tuned model made available must have a name starting with 'Llama' (§1.b.i).",
        ),
        also=("Llama-3.3",),
        source="§1.a grant, §1.b.i attribution and naming, §1.b.iv AUP, §2 700M MAU",
    ),
    # Llama 3.2 Community License: as Llama 3.1; its AUP withholds the §1(a) rights for the
    # multimodal (vision) models from people and companies based in the European Union.
    LicenseTerms(
        id="Llama-3.2",
        name="Llama 3.2 Community License Agreement",
        kind="model",
        commercial_use=True,
        derivatives="yes",
        use_restrictions=True,
        restrictions_flow=True,
        notes=(
            _FLOW_NOTE,
            _MAU_NOTE,
            "A service that uses the fine-tuned model must display 'Built with Llama', and a "
            "fine-tuned model made available must have a name starting with 'Llama' (§1.b.i).",
            "For the multimodal Llama 3.2 models the rights are not granted to individuals or "
            "companies based in the European Union (Acceptable Use Policy).",
        ),
        source="§1.a grant, §1.b.i attribution and naming, AUP incl. EU multimodal clause",
    ),
    # Gemma Terms of Use: §1 "Model Derivatives" include fine-tuned models; §3.1 distribution
    # must pass on the §3.2 use restrictions and a copy of the terms; §3.2 Prohibited Use Policy
    # applies to Gemma and Model Derivatives; §3.3 Google claims no rights in outputs; §4.1
    # Google may restrict usage it believes violates the terms.
    LicenseTerms(
        id="Gemma",
        name="Gemma Terms of Use",
        kind="model",
        commercial_use=True,
        derivatives="yes",
        use_restrictions=True,
        restrictions_flow=True,
        notes=(_FLOW_NOTE,),
        source="§1 Model Derivatives, §3.1-3.2 distribution and Prohibited Use Policy, §3.3",
    ),
    # FAIR Noncommercial Research License (Meta research models): grant limited to
    # "Noncommercial Research Uses"; derivatives allowed for those uses; AUP.
    LicenseTerms(
        id="FAIR-Noncommercial-Research",
        name="FAIR Noncommercial Research License",
        kind="model",
        commercial_use=False,
        derivatives="yes",
        use_restrictions=True,
        restrictions_flow=True,
        source="§1 grant for Noncommercial Research Uses only; acceptable use policy",
    ),
)


def _index(entries: Iterable[LicenseTerms]) -> Mapping[str, LicenseTerms]:
    table: dict[str, LicenseTerms] = {}
    for entry in entries:
        for license_id in (entry.id, *entry.also):
            if license_id in table:
                raise ValueError(f"license id {license_id!r} appears twice in the table")
            table[license_id] = entry
    primary = {entry.id for entry in entries}
    for entry in entries:
        unknown = sorted(a for a in entry.accepts if a not in primary)
        if unknown:
            raise ValueError(f"{entry.id} accepts ids that are not table entries: {unknown}")
    return MappingProxyType(table)


TABLE: Mapping[str, LicenseTerms] = _index(LICENSES)
"""Canonical id (including every ``also`` id) -> terms."""


def lookup(license_id: str | None) -> LicenseTerms | None:
    """The terms of a canonical id, or None when the table does not know it."""
    if license_id is None:
        return None
    return TABLE.get(license_id)


def accepts(governing: LicenseTerms, other: LicenseTerms) -> bool:
    """May ``other``'s material be part of one work distributed under ``governing``?"""
    return other.id == governing.id or other.id in governing.accepts
