"""Range parsing of S3-streamed downloads: every header a client can send is a range, the whole
body, or 416, never an exception."""

from __future__ import annotations

import pytest

from registry_gateway.downloads import parse_range


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=10-99", (10, 100)),
        ("bytes=10-", (10, 1000)),
        ("bytes=-100", (900, 1000)),
        ("bytes=990-5000", (990, 1000)),
        ("bytes=1000-", "invalid"),
        ("bytes=-0", "invalid"),
        ("bytes=0-1,5-6", None),  # several ranges: the whole body
        ("bytes=0-" + "9" * 5000, None),  # past int()'s digit limit: the whole body
        ("bytes=" + "9" * 20 + "-", None),
        ("bytes=9999999999999999999-", "invalid"),
        ("bytes=\u0663-", None),  # an Arabic-Indic digit is no ASCII digit
    ],
)
def test_parse_range(header: str | None, expected: object) -> None:
    assert parse_range(header, 1000) == expected
