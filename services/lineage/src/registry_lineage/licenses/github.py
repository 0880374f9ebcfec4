"""The license GitHub reports for a repository URL.

``GET /repos/{owner}/{repo}/license`` answers the detected license; it answers 404 both when
the repository does not exist and when it has no license file, so a 404 is followed by
``GET /repos/{owner}/{repo}`` to tell the two apart (its ``license`` field is null when there
is none). Errors: a URL that is not a GitHub project -> `BadRequest`; no such repository ->
`NotFound`; GitHub unreachable, failing (5xx) or rate-limited -> `UpstreamError` (502).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any, Final

import httpx

from registry_common.errors import NotFound, UpstreamError
from registry_common.outbound import (
    OutboundError,
    OutboundPolicy,
    guarded_client,
    origin_of,
    parse_retry_after,
)
from registry_common.sourcerefs import github_full_name, parse_github_repo
from registry_lineage.licenses.spdx import NormalizedLicense, normalize_license

DEFAULT_TIMEOUT: Final = 10.0
"""Seconds for each request (connect, read, write and pool each)."""
DEFAULT_ATTEMPTS: Final = 2
"""Tries per request when GitHub fails with a 5xx or the connection breaks."""
_RETRY_DELAY: Final = 0.25


@dataclass(frozen=True)
class GitHubLicense:
    owner: str
    repo: str
    spdx_id: str | None
    """As GitHub reports it (``NOASSERTION`` for a license it cannot classify); None = none."""
    name: str | None
    """GitHub's display name of the license, None when there is none."""

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo}"

    @property
    def license(self) -> NormalizedLicense:
        """The license read into our canonical ids (`registry_lineage.licenses.spdx`)."""
        if self.spdx_id is None:
            return normalize_license(None)
        found = normalize_license(self.spdx_id)
        if found.canonical is None and self.name and self.spdx_id != "NOASSERTION":
            by_name = normalize_license(self.name)
            if by_name.canonical is not None:
                return by_name
        return found


def parse_github_url(github_url: str) -> tuple[str, str]:
    """``(owner, repo)`` of a GitHub project URL; `BadRequest` when it is not one.

    The one parser of source references reads it (`registry_common.sourcerefs`), so the
    license check accepts exactly the repositories ingest registers and lineage binds.
    """
    return parse_github_repo(github_url)


async def github_license(
    github_url: str,
    *,
    api_url: str,
    token: str | None,
    client: httpx.AsyncClient | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    attempts: int = DEFAULT_ATTEMPTS,
    policy: OutboundPolicy | None = None,
) -> GitHubLicense:
    """The license GitHub detects for the project at ``github_url``.

    ``api_url`` is the API root (``https://api.github.com`` or the fake's URL); ``token``, when
    given, is sent as a bearer token. A ``client`` may be shared; it is not closed here.
    Without one, a guarded client is used: the API's origin (or ``policy``) is trusted and
    a redirect anywhere else is vetted like any URL (`registry_common.outbound`).
    """
    owner, repo = parse_github_url(github_url)
    base = api_url.rstrip("/")
    headers = {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
        "User-Agent": "trustworthy-model-registry",
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    call = _Caller(github_url, f"{owner}/{repo}", headers, httpx.Timeout(timeout), attempts)
    if client is not None:
        return await _lookup(call, client, base, owner, repo)
    trusted = policy or OutboundPolicy(frozenset({origin_of(base)}))
    async with guarded_client(trusted, follow_redirects=True) as own_client:
        return await _lookup(call, own_client, base, owner, repo)


async def _lookup(
    call: _Caller, client: httpx.AsyncClient, base: str, owner: str, repo: str
) -> GitHubLicense:
    body = await call.get_json(client, f"{base}/repos/{owner}/{repo}/license")
    if body is None:  # no license file, or no repository: ask for the repository itself
        body = await call.get_json(client, f"{base}/repos/{owner}/{repo}")
        if body is None:
            raise NotFound(
                f"No GitHub project at {call.github_url}: GitHub has no repository "
                f"'{owner}/{repo}' (or it is private and the registry cannot read it)."
            )
        owner, repo = _full_name(body.get("full_name"), owner, repo)
    else:
        owner, repo = _full_name(_repo_of_license(body), owner, repo)
    found = body.get("license")
    if not isinstance(found, dict):
        return GitHubLicense(owner=owner, repo=repo, spdx_id=None, name=None)
    spdx_id = found.get("spdx_id")
    name = found.get("name")
    return GitHubLicense(
        owner=owner,
        repo=repo,
        spdx_id=spdx_id if isinstance(spdx_id, str) and spdx_id else None,
        name=name if isinstance(name, str) and name else None,
    )


def _repo_of_license(body: dict[str, Any]) -> str | None:
    """``owner/repo`` from the /license answer's ``url`` (it follows renames)."""
    url = body.get("url")
    if not isinstance(url, str):
        return None
    match = re.search(r"/repos/([^/]+)/([^/]+)/contents/", url)
    return f"{match.group(1)}/{match.group(2)}" if match else None


def _full_name(full_name: object, owner: str, repo: str) -> tuple[str, str]:
    renamed = github_full_name(full_name)
    if renamed is not None:
        return renamed
    return owner, repo


@dataclass(frozen=True)
class _Caller:
    github_url: str
    full_name: str
    headers: dict[str, str]
    timeout: httpx.Timeout
    attempts: int

    async def get_json(self, client: httpx.AsyncClient, url: str) -> dict[str, Any] | None:
        """The JSON object at ``url``; None on 404; `UpstreamError` for anything unusable."""
        tries = max(1, self.attempts)
        for attempt in range(1, tries + 1):
            try:
                response = await client.get(url, headers=self.headers, timeout=self.timeout)
            except OutboundError as exc:  # a redirect the registry does not follow
                raise UpstreamError(
                    f"GitHub's answer about '{self.full_name}' could not be followed: "
                    f"{exc.message}",
                    details={"service": "github"},
                ) from exc
            except httpx.TimeoutException:
                problem = "it did not answer in time"
            except httpx.HTTPError as exc:
                problem = f"the connection failed: {type(exc).__name__}"
            else:
                if response.status_code == 404:
                    return None
                if response.is_success:
                    return self._json(response)
                self._raise_if_final(response)
                problem = f"it answered HTTP {response.status_code}"
            if attempt < tries:
                await asyncio.sleep(_RETRY_DELAY * attempt)
        raise UpstreamError(
            f"GitHub could not be reached to read the license of '{self.full_name}' "
            f"({problem}); please retry later.",
            details={"service": "github"},
        )

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise UpstreamError(
                f"GitHub answered the license request for '{self.full_name}' with something "
                "that is not a JSON object; please retry later.",
                details={"service": "github"},
            )
        return body

    def _raise_if_final(self, response: httpx.Response) -> None:
        """Rate limits and refusals are not retried; 5xx are (the caller loops)."""
        status = response.status_code
        limited = status == 429 or (
            status == 403
            and (
                response.headers.get("x-ratelimit-remaining") == "0"
                or "rate limit" in response.text.lower()
            )
        )
        if limited:
            raise UpstreamError(
                f"GitHub's API rate limit is exhausted{_when(response)}, so the license of "
                f"'{self.full_name}' could not be read; please retry later.",
                details={"service": "github", "status": status},
            )
        if status == 401:
            raise UpstreamError(
                "GitHub rejected the registry's GitHub token (HTTP 401), so the license of "
                f"'{self.full_name}' could not be read; an operator must fix the token.",
                details={"service": "github", "status": status},
            )
        if status < 500:
            raise UpstreamError(
                f"GitHub refused to give the license of '{self.full_name}' (HTTP {status}).",
                details={"service": "github", "status": status},
            )


def _when(response: httpx.Response) -> str:
    """' (try again in N s)' / ' until HH:MM UTC' from GitHub's headers, or ''."""
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    if retry_after is not None:
        return f" (GitHub asks to wait {math.ceil(retry_after)} s)"
    reset = response.headers.get("x-ratelimit-reset", "")
    if reset.isdigit():
        at = dt.datetime.fromtimestamp(int(reset), tz=dt.UTC)
        return f" until {at:%H:%M:%S} UTC"
    return ""
