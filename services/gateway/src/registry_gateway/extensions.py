"""Request and response shapes of our extensions to the spec (users, dead letters)."""

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


class DeadLetter(BaseModel):
    id: str = Field(description="Names the message for a redrive.")
    event_type: str | None = Field(description="None when the body is not a valid event.")
    event_id: str | None
    reason: str | None = Field(
        description="Why the last delivery failed; None when the queue itself moved it."
    )
    receive_count: int
    dead_lettered_at: str | None


class DeadLetterQueue(BaseModel):
    consumer: str
    queue_depth: int = Field(description="Events waiting in the consumer's queue.")
    dead_letters: int = Field(description="Events in its dead-letter queue.")
    letters: list[DeadLetter] = Field(description="The first of them (bounded by `limit`).")


class DeadLetterQueues(BaseModel):
    queues: list[DeadLetterQueue]
    generated_at: str


class RedriveRequest(BaseModel):
    consumer: str = Field(
        min_length=1, max_length=40, description="Whose dead letters go back to its queue."
    )
    ids: list[str] | None = Field(
        default=None, description="Dead letters to redrive, by id (1-100); absent: all."
    )


class RedriveResult(BaseModel):
    consumer: str
    moved: int = Field(description="Dead letters sent back to the consumer's queue.")
    not_found: list[str] = Field(description="Ids asked for that are not dead letters (any more).")
