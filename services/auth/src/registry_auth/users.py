"""User management rules: names, password strength, permissions."""

from __future__ import annotations

from registry_common.errors import BadRequest

PERMISSIONS = ("upload", "search", "download")
MIN_PASSWORD_LENGTH = 12
MAX_FIELD_LENGTH = 255
# Names the gateway's routes use for something else: `GET /users/me` is the caller, so a user
# named "me" could never be addressed by name.
RESERVED_NAMES = frozenset({"me"})


def check_name(name: str) -> str:
    if not name or not name.strip():
        raise BadRequest("The user name must not be blank.")
    if len(name) > MAX_FIELD_LENGTH:
        raise BadRequest(f"The user name is longer than {MAX_FIELD_LENGTH} characters.")
    if any(ord(c) < 32 for c in name):
        raise BadRequest("The user name must not contain control characters.")
    if name.lower() in RESERVED_NAMES:
        raise BadRequest(f"The user name {name!r} is reserved (/users/me means the caller).")
    return name


def check_password(password: str, name: str) -> str:
    """At least 12 characters drawn from 3 of: lower case, upper case, digits, other; or a
    passphrase of 20 characters or more. Never the user's own name."""
    if len(password) > 1024:
        raise BadRequest("The password is longer than 1024 characters.")
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    strong = len(password) >= 20 or (len(password) >= MIN_PASSWORD_LENGTH and classes >= 3)
    if not strong:
        raise BadRequest(
            "The password is too weak: use at least 12 characters mixing three of lower case, "
            "upper case, digits and symbols, or a passphrase of 20 characters or more."
        )
    if password.casefold() == name.casefold():
        raise BadRequest("The password must not be the user name.")
    return password


def check_permissions(permissions: list[str]) -> list[str]:
    unknown = sorted(set(permissions) - set(PERMISSIONS))
    if unknown:
        raise BadRequest(
            f"Unknown permission(s) {unknown}; choose among {', '.join(PERMISSIONS)} "
            "(admins are made with is_admin)."
        )
    return sorted(set(permissions))
