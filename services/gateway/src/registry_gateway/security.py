"""Who is calling, and may they? Every route the spec marks with X-Authorization spends
one call of the caller's token at the auth service and checks one permission; the
expensive routes also spend from the caller's rate limit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Header, Request

from registry_common.errors import AuthenticationFailed, PermissionDenied
from registry_gateway.client_address import client_address

Permission = Literal["upload", "search", "download", "admin"]

AUTH_HEADER = "X-Authorization"
AuthHeader = Annotated[str | None, Header(alias=AUTH_HEADER)]


@dataclass(frozen=True)
class Caller:
    name: str
    is_admin: bool
    permissions: frozenset[str]
    created_at: str | None = None  # ISO 8601: when the account was created


async def current_caller(request: Request, x_authorization: AuthHeader = None) -> Caller:
    check_token_shape(x_authorization)
    clients = request.app.state.clients
    response = await clients.auth.post(
        "/internal/tokens/spend", headers={AUTH_HEADER: x_authorization or ""}
    )
    body = response.json()
    return Caller(
        body["name"],
        bool(body["is_admin"]),
        frozenset(body["permissions"]),
        body.get("created_at"),
    )


def require(permission: Permission, *, limit: str | None = None) -> Any:
    """A dependency that yields the caller if it holds `permission` (admins hold all) and,
    for a `limit` group (see GatewaySettings.rate_limits), is within its rate limit."""

    async def check(request: Request, caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
        if not (caller.is_admin or permission in caller.permissions):
            raise PermissionDenied(
                f"The user {caller.name!r} lacks the {permission!r} permission; ask an admin."
            )
        if limit is not None:
            request.app.state.rate_limits.spend(limit, caller.name)
        return caller

    return Depends(check)


def caller_address(request: Request) -> str | None:
    """The client's address (X-Forwarded-For only from GATEWAY_TRUSTED_PROXIES peers)."""
    peer = request.client.host if request.client else None
    forwarded = request.headers.getlist("x-forwarded-for")
    return client_address(peer, forwarded, request.app.state.settings.trusted_proxies)


ClientAddress = Annotated[str | None, Depends(caller_address)]


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
