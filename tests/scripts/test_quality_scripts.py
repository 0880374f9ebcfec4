"""The quality scripts' own rules: which tests are component-level, which lines run at
import, and how an error message in the code becomes a pattern and is matched to a test."""

from __future__ import annotations

import ast
import textwrap

import pytest

from scripts.coverage_report import import_time_lines
from scripts.error_messages import HOLE, Site, _asserted, _Patterns, _TestSources, extract
from scripts.quality import floors, packages
from scripts.quality import test_kind as kind_of  # not collected as a test


@pytest.mark.parametrize(
    ("test_id", "kind"),
    [
        ("libs/common/tests/test_db.py::test_x|run", "unit"),
        ("services/ingest/tests/sources/test_urls.py::test_y[a]", "unit"),
        ("launcher/tests/test_lifespan.py::test_z", "unit"),
        ("tests/e2e/test_catalog.py::test_a[embedded]", "e2e"),
        ("tests/ui/test_browse.py::test_b", "e2e"),
        ("tests/consumers/test_idempotent_consumers.py::test_c", "integration"),
        ("deploy/tests/test_lint.py::test_d", "integration"),
    ],
)
def test_a_tests_kind_is_its_directory(test_id: str, kind: str) -> None:
    assert kind_of(test_id) == kind


def test_every_service_and_the_shared_library_are_measured() -> None:
    assert {
        "registry_common",
        "registry_gateway",
        "registry_auth",
        "registry_ingest",
        "registry_scoring",
        "registry_lineage",
        "registry_health",
    } <= set(packages())
    limits = floors()
    assert 0 < limits.coverage_unit <= limits.coverage_all <= 100
    assert 0 < limits.error_messages <= 100


def test_import_time_lines_are_those_outside_function_bodies() -> None:
    source = textwrap.dedent(
        """\
        import os
        LIMIT = 3
        class Thing:
            size = 1
            def method(self):
                return os.sep
        def helper(x):
            if x:
                return 1
            return 2
        """
    )
    assert import_time_lines(source) == {1, 2, 3, 4, 5, 7}


def test_an_f_string_message_becomes_a_pattern_with_holes() -> None:
    function = ast.parse(
        'def f(name):\n    message = f"No user is named {name!r}."\n    raise NotFound(message)'
    ).body[0]
    assert isinstance(function, ast.FunctionDef)
    raise_ = function.body[1]
    assert isinstance(raise_, ast.Raise)
    assert isinstance(raise_.exc, ast.Call)
    parts = _Patterns({}).parts(raise_.exc.args[0], function)
    assert parts == ["No user is named ", HOLE, "."]
    site = Site("x.py", 3, 3, "registry_error", "NotFound", parts, "not_found")
    assert site.pattern.fullmatch("No user is named 'bob'.")
    assert not site.relayed


def test_the_codes_messages_are_extracted_with_their_composed_sentences() -> None:
    by_where = {site.where: site for site in extract()}
    unindexed = next(s for s in by_where.values() if s.cls == "NotIndexed")
    assert unindexed.template == "Artifact {…} is not in the lineage index (yet)."
    # ComponentUnavailable(component, reason) composes its sentence in its __init__
    outage = next(
        s
        for s in by_where.values()
        if s.cls == "ComponentUnavailable" and "disk is full" in s.template
    )
    assert outage.template.endswith(
        "(the disk is full); nothing was changed, please retry shortly."
    )


def test_asserted_means_a_fragment_of_the_produced_text_or_its_specific_code() -> None:
    message = "No user is named 'bob'."
    assert _asserted({"No user is named"}, message, None) == "text"
    assert _asserted({"user"}, message, None) is None  # too short to identify it
    assert _asserted({"rate_limited"}, "Too many.", "rate_limited") == "code"
    assert _asserted(set(), message, None) is None


def test_a_tests_expectations_come_from_its_asserts_raises_and_parametrize() -> None:
    expectations = _TestSources().expectations(
        "services/auth/tests/test_user_rules.py::test_refused_names[   -blank]"
    )
    assert "The user name must not be blank." in expectations
    assert "The user name is longer than 255 characters." in expectations
