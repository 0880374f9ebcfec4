"""The rules for user names, passwords and permissions, each refusal with its sentence."""

from __future__ import annotations

import pytest

from registry_auth.users import check_name, check_password, check_permissions
from registry_common.errors import BadRequest


@pytest.mark.parametrize(
    ("name", "sentence"),
    [
        ("   ", "The user name must not be blank."),
        ("n" * 256, "The user name is longer than 255 characters."),
        ("tab\there", "The user name must not contain control characters."),
        ("Me", "The user name 'Me' is reserved (/users/me means the caller)."),
    ],
)
def test_refused_names(name: str, sentence: str) -> None:
    with pytest.raises(BadRequest) as refused:
        check_name(name)
    assert refused.value.message == sentence


def test_a_fine_name_is_kept_as_given() -> None:
    assert check_name("Zoë Ünïcode") == "Zoë Ünïcode"


@pytest.mark.parametrize(
    ("password", "name", "sentence"),
    [
        ("x" * 1025, "alice", "The password is longer than 1024 characters."),
        ("short1A!", "alice", "The password is too weak: use at least 12 characters mixing"),
        ("alllowercaseletters", "alice", "or a passphrase of 20 characters or more."),
        ("Alice-Password-1", "alice-password-1", "The password must not be the user name."),
    ],
)
def test_refused_passwords(password: str, name: str, sentence: str) -> None:
    with pytest.raises(BadRequest) as refused:
        check_password(password, name)
    assert sentence in refused.value.message


@pytest.mark.parametrize("password", ["Correct-Horse-9", "correct horse battery staple"])
def test_strong_passwords_pass(password: str) -> None:
    assert check_password(password, "alice") == password


def test_permissions_are_checked_and_normalised() -> None:
    assert check_permissions(["search", "upload", "search"]) == ["search", "upload"]
    with pytest.raises(BadRequest) as refused:
        check_permissions(["search", "delete", "admin"])
    assert refused.value.message == (
        "Unknown permission(s) ['admin', 'delete']; choose among upload, search, download "
        "(admins are made with is_admin)."
    )
