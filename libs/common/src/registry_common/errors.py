"""One error base for the whole registry, rendered by one handler per app.

Domain code raises these; it never imports an HTTP framework. Every message is a
sentence a person can act on. A 5xx means a bug or an outage and says which component.
"""

from __future__ import annotations

import math
from typing import Any


class RegistryError(Exception):
    """Base of every expected failure: a message for people and an HTTP status."""

    status: int = 500
    code: str = "internal_error"

    def __init__(
        self,
        message: str,
        status: int | None = None,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        self.details = details or {}

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"detail": self.message, "code": self.code}
        if self.details:
            body["details"] = self.details
        return body


class BadRequest(RegistryError):
    status = 400
    code = "bad_request"


class AuthenticationFailed(RegistryError):
    """A missing, invalid, expired or exhausted token: 403, as the spec says."""

    status = 403
    code = "authentication_failed"


class InvalidCredentials(RegistryError):
    status = 401
    code = "invalid_credentials"


class PermissionDenied(RegistryError):
    status = 401
    code = "permission_denied"


class NotFound(RegistryError):
    status = 404
    code = "not_found"


class Conflict(RegistryError):
    status = 409
    code = "conflict"


class PayloadTooLarge(RegistryError):
    status = 413
    code = "too_large"


class TooManyRequests(RegistryError):
    """The caller must wait: rendered as 429 with a `Retry-After` header (whole seconds)."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: float, code: str | None = None) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(message, code=code, details={"retry_after": self.retry_after})


def retry_after_of(error: RegistryError) -> int | None:
    """Seconds to send in `Retry-After`: set by TooManyRequests, and kept by an error the
    gateway mirrors from a service (the details travel in the body)."""
    value = error.details.get("retry_after")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


class ComponentUnavailable(RegistryError):
    """An outage of a component the request needs: the message names it."""

    status = 503
    code = "component_unavailable"

    def __init__(self, component: str, reason: str) -> None:
        super().__init__(
            f"The {component} is unavailable right now ({reason}); "
            "nothing was changed, please retry shortly.",
            details={"component": component},
        )
        self.component = component


class UpstreamError(RegistryError):
    """An external service (Hugging Face, GitHub) failed in a way we cannot fix."""

    status = 502
    code = "upstream_error"
