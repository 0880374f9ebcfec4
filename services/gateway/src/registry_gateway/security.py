"""Who is calling, and may they? Every route the spec marks with X-Authorization spends
one call of the caller's token at the auth service and checks one permission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Header, Request

from registry_common.errors import AuthenticationFailed, PermissionDenied

Permission = Literal["upload", "search", "download", "admin"]

AUTH_HEADER = "X-Authorization"
AuthHeader = Annotated[str | None, Header(alias=AUTH_HEADER)]


@dataclass(frozen=True)
class Caller:
    name: str
    is_admin: bool
    permissions: frozenset[str]


async def current_caller(request: Request, x_authorization: AuthHeader = None) -> Caller:
    check_token_shape(x_authorization)
    clients = request.app.state.clients
    response = await clients.auth.post(
        "/internal/tokens/spend", headers={AUTH_HEADER: x_authorization or ""}
    )
    body = response.json()
    return Caller(body["name"], bool(body["is_admin"]), frozenset(body["permissions"]))


def require(permission: Permission) -> Any:
    """A dependency that yields the caller if it holds `permission` (admins hold all)."""

    async def check(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
        if caller.is_admin or permission in caller.permissions:
            return caller
        raise PermissionDenied(
            f"The user {caller.name!r} lacks the {permission!r} permission; ask an admin."
        )

    return Depends(check)


# A token the registry issued is "bearer " + a JWT: printable ASCII, a few hundred characters.
MAX_TOKEN_CHARS = 4096


def check_token_shape(value: str | None) -> None:
    """Refuse (403, as for any invalid token) a header no token of ours can be: non-ASCII or
    control characters would otherwise fail later, in the internal call that carries it."""
    if value and (len(value) > MAX_TOKEN_CHARS or not all(" " <= ch <= "~" for ch in value)):
        raise AuthenticationFailed(
            "The X-Authorization token is malformed (a token is printable ASCII); "
            "sign in again with PUT /authenticate."
        )
