"""The one `Retry-After` reader every outbound client uses."""

from __future__ import annotations

import email.utils
import time

import pytest

from registry_common.outbound import parse_retry_after


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, None), ("", None), ("3", 3.0), (" 2.5 ", 2.5), ("-1", 0.0), ("soon", None),
     ("nan", None), ("inf", None), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)],
)  # fmt: skip
def test_delta_seconds_and_past_dates(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_a_future_http_date_is_the_seconds_until_then() -> None:
    header = email.utils.formatdate(time.time() + 120, usegmt=True)
    wait = parse_retry_after(header)
    assert wait is not None
    assert 100 < wait <= 121
