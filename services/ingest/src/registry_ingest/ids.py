"""Artifact ids: 16 random decimal digits (the spec's examples are numeric strings).

Random, not time-based, so a burst of creates cannot collide by construction; the database's
unique constraint catches the astronomically rare clash and the caller draws again.
"""

from __future__ import annotations

import secrets

_LOW = 10**15
_SPAN = 9 * 10**15


def new_artifact_id() -> str:
    return str(_LOW + secrets.randbelow(_SPAN))
