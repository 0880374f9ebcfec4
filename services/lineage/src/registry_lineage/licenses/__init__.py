"""License compatibility for "fine-tune a model with a GitHub project's code, then generate".

- `spdx`: Hugging Face card ids and GitHub `spdx_id`s to one canonical id.
- `table`: the licenses we know, each with the rights it grants and the conditions it imposes.
- `compatibility`: `check(model_license, code_license) -> Verdict`, a small evaluator over the
  table for one usage scenario.
- `github`: the license GitHub reports for a repository URL.

The reasoning is written down in ``docs/licenses.md``.
"""

from __future__ import annotations

from registry_lineage.licenses.compatibility import (
    FINE_TUNE_AND_GENERATE,
    RULES,
    Scenario,
    Verdict,
    check,
)
from registry_lineage.licenses.github import GitHubLicense, github_license, parse_github_url
from registry_lineage.licenses.spdx import NormalizedLicense, canonical_license, normalize_license
from registry_lineage.licenses.table import TABLE, LicenseTerms, lookup

__all__ = [
    "FINE_TUNE_AND_GENERATE",
    "RULES",
    "TABLE",
    "GitHubLicense",
    "LicenseTerms",
    "NormalizedLicense",
    "Scenario",
    "Verdict",
    "canonical_license",
    "check",
    "github_license",
    "lookup",
    "normalize_license",
    "parse_github_url",
]
