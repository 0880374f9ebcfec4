"""Request and response shapes of our extensions to the spec (user management)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from registry_gateway.schemas import User, UserAuthenticationInfo

Permission = Literal["upload", "search", "download"]


class UserRegistration(BaseModel):
    """Shaped like the spec's AuthenticationRequest, plus the permissions to grant."""

    user: User
    secret: UserAuthenticationInfo
    permissions: list[Permission] = Field(
        default_factory=list, description="Any of upload, search, download (admins hold all)."
    )


class PasswordChange(BaseModel):
    password: str = Field(description="The new password (the same rules as at registration).")
    current_password: str | None = Field(
        default=None, description="Required when changing your own password."
    )


class UserPermissions(BaseModel):
    permissions: list[Permission] = Field(default_factory=list)
    is_admin: bool = False


class UserInfo(BaseModel):
    name: str
    is_admin: bool
    permissions: list[str]
