"""Request and response shapes of our extensions to the spec (user management)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from registry_gateway.schemas import User, UserAuthenticationInfo

Permission = Literal["upload", "search", "download"]
# Three permissions exist; a few repeats are harmless, 100,000 of them are a cost to validate.
MAX_PERMISSIONS = 16


class UserRegistration(BaseModel):
    """Shaped like the spec's AuthenticationRequest, plus the permissions to grant."""

    user: User
    secret: UserAuthenticationInfo
    permissions: list[Permission] = Field(
        default_factory=list,
        max_length=MAX_PERMISSIONS,
        description="Any of upload, search, download (admins hold all).",
    )


class PasswordChange(BaseModel):
    password: str = Field(description="The new password (the same rules as at registration).")
    current_password: str | None = Field(
        default=None, description="Required when changing your own password."
    )


class UserPermissions(BaseModel):
    permissions: list[Permission] = Field(default_factory=list, max_length=MAX_PERMISSIONS)
    is_admin: bool = False


class UserInfo(BaseModel):
    name: str
    is_admin: bool
    permissions: list[str]
