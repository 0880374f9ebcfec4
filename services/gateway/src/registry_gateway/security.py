"""Who is calling, and may they? Every route the spec marks with X-Authorization spends
one call of the caller's token at the auth service and checks one permission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Header, Request

from registry_common.errors import PermissionDenied

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


def require(permission: Permission) -> Any:
    """A dependency that yields the caller if it holds `permission` (admins hold all)."""

    async def check(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
        if caller.is_admin or permission in caller.permissions:
            return caller
        raise PermissionDenied(
            f"The user {caller.name!r} lacks the {permission!r} permission; ask an admin."
        )

    return Depends(check)
