"""`github_license`: URL parsing, the fake GitHub's fixture repos, and GitHub's failures."""

from __future__ import annotations

import httpx
import pytest

from registry_common.errors import BadRequest, NotFound, UpstreamError
from registry_lineage.licenses.compatibility import check
from registry_lineage.licenses.github import GitHubLicense, github_license, parse_github_url
from tests.fakes.github import FakeGitHub, GitHubControl

# ---------------------------------------------------------------------------- URL parsing


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/openai/whisper",
        "https://github.com/openai/whisper/",
        "https://github.com/openai/whisper.git",
        "https://github.com/openai/whisper/tree/main/whisper",
        "https://github.com/openai/whisper/blob/main/README.md#usage",
        "https://github.com/openai/whisper?tab=readme-ov-file",
        "http://www.github.com/openai/whisper",
        "github.com/openai/whisper",
        "git@github.com:openai/whisper.git",
        "  https://GitHub.com/openai/whisper  ",
    ],
)
def test_github_urls_are_accepted(url: str) -> None:
    assert parse_github_url(url) == ("openai", "whisper")


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "https://gitlab.com/openai/whisper",
        "https://huggingface.co/openai/whisper-tiny",
        "https://github.com.evil.example/openai/whisper",
        "https://github.com/openai",
        "https://github.com/",
        "https://github.com/orgs/openai",
        "https://github.com/topics/speech",
        "ftp://github.com/openai/whisper",
        "https://github.com:8443/openai/whisper",
        "https://github.com/-bad-/repo",
        "https://github.com/openai/..",
        "not a url at all",
    ],
)
def test_other_urls_are_bad_requests(url: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_github_url(url)
    assert caught.value.status == 400
    assert "GitHub" in caught.value.message or "github_url" in caught.value.message


# ---------------------------------------------------------------------------- the fake GitHub


def _api(gh: FakeGitHub) -> str:
    assert gh.url is not None
    return gh.url


@pytest.mark.integration
@pytest.mark.parametrize(
    ("full_name", "spdx_id", "name", "canonical"),
    [
        ("google-research/bert", "Apache-2.0", "Apache License 2.0", "Apache-2.0"),
        ("openai/whisper", "MIT", "MIT License", "MIT"),
        (
            "lineage-lab/minilm-training",
            "GPL-3.0",
            "GNU General Public License v3.0",
            "GPL-3.0",
        ),
        (
            "lineage-lab/sentiment-toolkit",
            "LGPL-2.1",
            "GNU Lesser General Public License v2.1",
            "LGPL-2.1",
        ),
        ("arnir0/tiny-llm-train", "NOASSERTION", "Other", None),
    ],
)
async def test_fixture_repositories(
    fake_github: FakeGitHub,
    github_control: GitHubControl,
    full_name: str,
    spdx_id: str,
    name: str,
    canonical: str | None,
) -> None:
    found = await github_license(
        f"https://github.com/{full_name}", api_url=_api(fake_github), token=None
    )
    owner, repo = full_name.split("/")
    assert found == GitHubLicense(owner=owner, repo=repo, spdx_id=spdx_id, name=name)
    assert found.license.canonical == canonical
    assert [r.path for r in github_control.requests] == [f"/repos/{full_name}/license"]


@pytest.mark.integration
async def test_repository_without_license(
    fake_github: FakeGitHub, github_control: GitHubControl
) -> None:
    found = await github_license(
        "https://github.com/lineage-lab/sql-lora-recipes/",
        api_url=_api(fake_github),
        token=None,
    )
    assert found == GitHubLicense("lineage-lab", "sql-lora-recipes", spdx_id=None, name=None)
    assert found.license.problem == "missing"
    seen = [(r.path, r.status) for r in github_control.requests]
    assert seen == [
        ("/repos/lineage-lab/sql-lora-recipes/license", 404),
        ("/repos/lineage-lab/sql-lora-recipes", 200),
    ]


@pytest.mark.integration
async def test_url_variants_and_github_spelling(
    fake_github: FakeGitHub, github_control: GitHubControl
) -> None:
    found = await github_license(
        "https://github.com/OpenAI/Whisper.git/tree/main/whisper",
        api_url=_api(fake_github) + "/",
        token=None,
    )
    # GitHub's own spelling of the repository, not the URL's
    assert (found.owner, found.repo, found.spdx_id) == ("openai", "whisper", "MIT")


@pytest.mark.integration
async def test_token_is_sent_and_shared_client_left_open(
    fake_github: FakeGitHub, github_control: GitHubControl
) -> None:
    async with httpx.AsyncClient() as client:
        found = await github_license(
            "https://github.com/google-research/bert",
            api_url=_api(fake_github),
            token="ghp_example",
            client=client,
        )
        assert not client.is_closed
    assert found.spdx_id == "Apache-2.0"
    assert github_control.requests[0].authorization == "Bearer ghp_example"


@pytest.mark.integration
async def test_missing_repository_is_not_found(
    fake_github: FakeGitHub, github_control: GitHubControl
) -> None:
    url = "https://github.com/lineage-lab/no-such-repo"
    with pytest.raises(NotFound) as caught:
        await github_license(url, api_url=_api(fake_github), token=None)
    assert caught.value.status == 404
    assert caught.value.message.startswith(f"No GitHub project at {url}")


@pytest.mark.integration
async def test_rate_limit_exhausted_is_upstream_error(
    fake_github: FakeGitHub, github_control: GitHubControl
) -> None:
    github_control.exhaust_rate_limit(reset_in_seconds=120)
    with pytest.raises(UpstreamError) as caught:
        await github_license(
            "https://github.com/openai/whisper", api_url=_api(fake_github), token=None
        )
    assert caught.value.status == 502
    assert "rate limit is exhausted" in caught.value.message
    assert "UTC" in caught.value.message
    assert len(github_control.requests) == 1  # a rate limit is not retried


@pytest.mark.integration
async def test_secondary_rate_limit_is_upstream_error(
    fake_github: FakeGitHub, github_control: GitHubControl
) -> None:
    github_control.fail("openai/whisper", status=429)
    with pytest.raises(UpstreamError) as caught:
        await github_license(
            "https://github.com/openai/whisper", api_url=_api(fake_github), token=None
        )
    assert "rate limit" in caught.value.message
    assert "wait 1 s" in caught.value.message


@pytest.mark.integration
@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_upstream_errors(
    fake_github: FakeGitHub, github_control: GitHubControl, status: int
) -> None:
    github_control.fail("google-research/bert", status=status)
    with pytest.raises(UpstreamError) as caught:
        await github_license(
            "https://github.com/google-research/bert", api_url=_api(fake_github), token=None
        )
    assert caught.value.status == 502
    assert caught.value.message.startswith("GitHub could not be reached")
    assert f"HTTP {status}" in caught.value.message
    assert len(github_control.requests) == 2  # one retry


@pytest.mark.integration
async def test_one_server_error_is_retried(
    fake_github: FakeGitHub, github_control: GitHubControl
) -> None:
    github_control.fail("google-research/bert", status=503, times=1)
    found = await github_license(
        "https://github.com/google-research/bert", api_url=_api(fake_github), token=None
    )
    assert found.spdx_id == "Apache-2.0"
    assert [r.status for r in github_control.requests] == [503, 200]


@pytest.mark.integration
async def test_fixture_pairs_through_the_check(
    fake_github: FakeGitHub, github_control: GitHubControl
) -> None:
    """The model cards' licenses against the repositories they link (hub fixture table)."""
    pairs = {
        ("apache-2.0", "google-research/bert"): True,  # bert-base-uncased
        ("apache-2.0", "openai/whisper"): True,  # whisper-tiny
        ("apache-2.0", "lineage-lab/minilm-training"): True,  # minilm-base, GPL-3.0 code
        ("apache-2.0", "lineage-lab/sentiment-toolkit"): True,  # minilm-imdb-sentiment
        ("mit", "lineage-lab/sql-lora-recipes"): False,  # tiny-llm-sql-lora, unlicensed code
        ("mit", "arnir0/tiny-llm-train"): False,  # Tiny-LLM, NOASSERTION
    }
    for (model_license, full_name), compatible in pairs.items():
        code = await github_license(
            f"https://github.com/{full_name}", api_url=_api(fake_github), token=None
        )
        assert check(model_license, code.spdx_id).compatible is compatible, full_name


# ---------------------------------------------------------------------------- transport failures


def _client(handler) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


async def test_timeout_is_upstream_error() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ReadTimeout("slow", request=request)

    async with _client(handler) as client:
        with pytest.raises(UpstreamError) as caught:
            await github_license(
                "https://github.com/openai/whisper",
                api_url="https://api.example",
                token=None,
                client=client,
                timeout=0.5,
            )
    assert "did not answer in time" in caught.value.message
    assert calls == 2


async def test_connection_failure_is_upstream_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with _client(handler) as client:
        with pytest.raises(UpstreamError) as caught:
            await github_license(
                "https://github.com/openai/whisper",
                api_url="https://api.example",
                token=None,
                client=client,
                attempts=1,
            )
    assert caught.value.message.startswith("GitHub could not be reached")
    assert "ConnectError" in caught.value.message


async def test_nothing_listens_is_upstream_error() -> None:
    with pytest.raises(UpstreamError):
        await github_license(
            "https://github.com/openai/whisper",
            api_url="http://127.0.0.1:9",
            token=None,
            timeout=2.0,
            attempts=1,
        )


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (httpx.Response(200, text="<html>maintenance</html>"), "not a JSON object"),
        (httpx.Response(401, json={"message": "Bad credentials"}), "rejected the registry's"),
        (httpx.Response(451, json={"message": "Repository access blocked"}), "HTTP 451"),
        (
            httpx.Response(403, json={"message": "API rate limit exceeded for 1.2.3.4."}),
            "rate limit",
        ),
    ],
)
async def test_unusable_answers_are_upstream_errors(
    response: httpx.Response, expected: str
) -> None:
    async with _client(lambda request: response) as client:
        with pytest.raises(UpstreamError) as caught:
            await github_license(
                "https://github.com/openai/whisper",
                api_url="https://api.example",
                token=None,
                client=client,
            )
    assert expected in caught.value.message
    assert caught.value.status == 502


async def test_unrecognised_spdx_id_falls_back_to_the_name() -> None:
    body = {
        "url": "https://api.example/repos/openai/whisper/contents/LICENSE?ref=main",
        "license": {"key": "apache-2.0", "spdx_id": "Apache-2", "name": "Apache License 2.0"},
    }
    async with _client(lambda request: httpx.Response(200, json=body)) as client:
        found = await github_license(
            "https://github.com/openai/whisper",
            api_url="https://api.example",
            token=None,
            client=client,
        )
    assert found.license.canonical == "Apache-2.0"
    no_license = GitHubLicense("o", "r", spdx_id=None, name=None)
    assert no_license.license.problem == "missing"
    assert no_license.full_name == "o/r"
