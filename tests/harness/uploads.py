"""Zip uploads through the gateway (`POST /artifact/{kind}/upload`), as the end-to-end
modules build them: one zip builder and one form, so a change to the upload form is made
once."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping

import httpx


def zip_of(files: Mapping[str, bytes | str], *, compression: int = zipfile.ZIP_STORED) -> bytes:
    """A zip holding `files` (path in the archive -> content). ZIP_DEFLATED where the
    compressed size matters (the compression-ratio guard)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def upload(
    client: httpx.Client,
    kind: str,
    name: str,
    files: Mapping[str, bytes | str],
    *,
    version: str | None = None,
) -> httpx.Response:
    """The upload form of a zip of `files` named `name` (and `version`, when given)."""
    data = {"name": name} if version is None else {"name": name, "version": version}
    return client.post(
        f"/artifact/{kind}/upload",
        files={"file": (f"{name}.zip", zip_of(files), "application/zip")},
        data=data,
    )


def uploaded_id(response: httpx.Response) -> str:
    """The id of the artifact an upload created (201), failing with the answer otherwise."""
    assert response.status_code == 201, response.text
    artifact_id: str = response.json()["metadata"]["id"]
    return artifact_id
