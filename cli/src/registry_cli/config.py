"""Where the CLI keeps the registry's URL and the token `registry login` obtained.

One JSON file, `$XDG_CONFIG_HOME/registry/credentials.json` (`~/.config/registry/...` when
the variable is unset), readable by its owner only: the token is a credential."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

DEFAULT_URL = "http://127.0.0.1:8000"  # `make run`
FILE_NAME = "credentials.json"


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "registry"


def credentials_path() -> Path:
    return config_dir() / FILE_NAME


@dataclass(frozen=True)
class Credentials:
    url: str
    user: str
    token: str


def load() -> Credentials | None:
    """The saved credentials, or None when there are none (or the file is unreadable JSON,
    which `registry login` overwrites)."""
    try:
        data = json.loads(credentials_path().read_text(encoding="utf-8"))
        return Credentials(url=str(data["url"]), user=str(data["user"]), token=str(data["token"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(credentials: Credentials) -> Path:
    """Write the credentials with 0600 rights from the first byte on: the file is created
    with that mode (never world-readable for an instant), and an older file is re-moded."""
    directory = config_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / FILE_NAME
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # the umask cannot widen it, an existing file keeps no old mode
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(asdict(credentials), handle)
    os.replace(temporary, path)  # a reader never sees half a file
    return path


def forget() -> bool:
    """Remove the saved credentials; whether there were any."""
    try:
        credentials_path().unlink()
    except FileNotFoundError:
        return False
    return True
