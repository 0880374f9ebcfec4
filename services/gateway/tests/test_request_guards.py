"""What the gateway refuses before anything reaches a service: tokens no token of ours can be,
and query bodies too long to validate."""

from __future__ import annotations

import pytest

from registry_common.errors import AuthenticationFailed, PayloadTooLarge
from registry_gateway.api import MAX_QUERIES_PARSED, _few_queries
from registry_gateway.security import MAX_TOKEN_CHARS, check_token_shape


@pytest.mark.parametrize(
    "token", ["bearer é", "bearer \x00abc", "bearer\nX-Injected: 1", "b" * (MAX_TOKEN_CHARS + 1)]
)
def test_a_token_no_token_of_ours_can_be_is_refused_as_invalid(token: str) -> None:
    with pytest.raises(AuthenticationFailed) as refused:
        check_token_shape(token)
    assert refused.value.status == 403
    assert refused.value.message == (
        "The X-Authorization token is malformed (a token is printable ASCII); "
        "sign in again with PUT /authenticate."
    )


def test_too_many_queries_are_refused_before_validation() -> None:
    queries = [{"name": "*"}] * (MAX_QUERIES_PARSED + 1)
    with pytest.raises(PayloadTooLarge) as refused:
        _few_queries(queries)
    assert refused.value.status == 413
    assert refused.value.message == (
        f"The body holds {MAX_QUERIES_PARSED + 1} queries; at most {MAX_QUERIES_PARSED} are "
        "read in one request. Split it."
    )
    at_most = [{"name": "*"}] * MAX_QUERIES_PARSED
    assert _few_queries(at_most) is at_most
