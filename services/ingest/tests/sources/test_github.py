"""Fetching GitHub repositories from the fake GitHub."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from registry_common.errors import NotFound, UpstreamError
from registry_ingest.sources.github import _ref_candidates
from registry_ingest.sources.urls import parse_source_url
from services.ingest.tests.sources.helpers import fetch, make_fetcher
from tests.fakes.github import FakeGitHub, GitHubControl

pytestmark = pytest.mark.integration

WHISPER = "https://github.com/openai/whisper"


async def _fetch(gh: FakeGitHub, url: str, tmp_path: Path, artifact_type: str = "code", **kw):  # type: ignore[no-untyped-def]
    assert gh.url is not None
    return await fetch(url, tmp_path, artifact_type, github_url=gh.url, **kw)


async def test_whole_repository(
    fake_github: FakeGitHub, github_control: GitHubControl, tmp_path: Path
) -> None:
    source = await _fetch(fake_github, WHISPER, tmp_path)
    paths = {f.path: f for f in source.files}
    repo = fake_github.fixtures.github_repo("openai/whisper")
    assert set(paths) == set(repo.files)
    for path, text in repo.files.items():
        local = paths[path].local_path
        assert local is not None
        assert local.read_text() == text
        assert paths[path].sha256 is not None
    assert paths["whisper/transcribe.py"].kind == "code"
    assert paths["README.md"].kind == "card"
    assert source.complete is True
    assert source.revision == fake_github.graph("openai/whisper").head
    assert source.versions == ["20230314", "20231117", "20240930"]
    assert source.card_text == repo.files["README.md"]
    assert source.card_data == {}
    meta = source.metadata
    assert meta["source_kind"] == "github"
    assert meta["repo_id"] == "openai/whisper"
    assert meta["license"] == "mit"
    assert meta["author"] == "openai"
    github = meta["github"]
    assert github["stars"] == 72_304
    assert github["forks"] == 8_712
    assert github["open_issues"] == 102
    assert github["default_branch"] == "main"
    assert github["license_spdx"] == "MIT"
    assert github["pushed_at"]
    json.dumps(meta)
    sent = [r for r in github_control.requests if r.path.startswith("/repos/")]
    assert sent
    assert all(r.authorization is None for r in sent)


async def test_git_suffix_and_dataset_type(
    fake_github: FakeGitHub, github_control: GitHubControl, tmp_path: Path
) -> None:
    source = await _fetch(fake_github, WHISPER + ".git", tmp_path, "dataset")
    assert source.ref.default_name == "whisper"
    assert source.ref.artifact_type == "dataset"
    assert source.complete
    assert source.metadata["repo_id"] == "openai/whisper"


async def test_sub_directory(
    fake_github: FakeGitHub, github_control: GitHubControl, tmp_path: Path
) -> None:
    source = await _fetch(fake_github, WHISPER + "/tree/main/whisper", tmp_path)
    assert [f.path for f in source.files] == [
        "README.md",  # the repository's card comes along
        "__init__.py",
        "model.py",
        "transcribe.py",
        "version.py",
    ]
    assert source.complete
    with pytest.raises(NotFound, match="has no folder 'nope'"):
        await _fetch(fake_github, WHISPER + "/tree/main/nope", tmp_path / "x")


async def test_tag_ref_and_default_branch(
    fake_github: FakeGitHub, github_control: GitHubControl, tmp_path: Path
) -> None:
    tagged = await _fetch(fake_github, WHISPER + "/tree/v20230314", tmp_path / "tag")
    assert tagged.revision == fake_github.graph("openai/whisper").resolve("v20230314")
    assert tagged.metadata["github"]["ref"] == "v20230314"
    bert = await _fetch(fake_github, "https://github.com/google-research/bert", tmp_path / "b")
    assert bert.metadata["github"]["ref"] == "master"
    assert bert.metadata["license"] == "apache-2.0"
    with pytest.raises(NotFound, match="no branch, tag or commit 'nope'"):
        await _fetch(fake_github, WHISPER + "/tree/nope", tmp_path / "missing")
    with pytest.raises(NotFound, match="no branch, tag or commit 'nope'"):
        await _fetch(fake_github, WHISPER + "/tree/nope/whisper", tmp_path / "missing2")


@pytest.mark.parametrize(
    ("revision", "subdir", "expected"),
    [
        (None, None, []),
        ("main", None, [("main", None)]),
        ("feature", "x/sub", [("feature", "x/sub"), ("feature/x", "sub"), ("feature/x/sub", None)]),
    ],
)
def test_ambiguous_tree_urls(
    revision: str | None, subdir: str | None, expected: list[tuple[str, str | None]]
) -> None:
    assert _ref_candidates(revision, subdir) == expected


async def test_unclassified_and_missing_licenses(
    fake_github: FakeGitHub, github_control: GitHubControl, tmp_path: Path
) -> None:
    noassert = await _fetch(fake_github, "https://github.com/arnir0/tiny-llm-train", tmp_path / "a")
    assert noassert.metadata["license"] == "other"
    assert noassert.metadata["github"]["license_spdx"] == "NOASSERTION"
    unlicensed = await _fetch(
        fake_github, "https://github.com/lineage-lab/sql-lora-recipes", tmp_path / "b"
    )
    assert unlicensed.metadata["license"] is None


async def test_missing_repository(
    fake_github: FakeGitHub, github_control: GitHubControl, tmp_path: Path
) -> None:
    with pytest.raises(NotFound, match="No GitHub repository 'nobody/nothing' exists"):
        await _fetch(fake_github, "https://github.com/nobody/nothing", tmp_path)


async def test_rate_limit(
    fake_github: FakeGitHub, github_control: GitHubControl, tmp_path: Path
) -> None:
    github_control.exhaust_rate_limit(reset_in_seconds=120)
    with pytest.raises(UpstreamError) as caught:
        await _fetch(fake_github, WHISPER, tmp_path)
    assert caught.value.status == 502
    assert "rate limit is exhausted" in caught.value.message
    assert "resets at" in caught.value.message
    assert caught.value.details["rate_limit_reset"].endswith("Z")
    assert len([r for r in github_control.requests if r.status == 403]) == 1  # no retrying


async def test_server_errors_are_retried_then_reported(
    fake_github: FakeGitHub, github_control: GitHubControl, tmp_path: Path
) -> None:
    github_control.fail("openai/whisper", status=502, times=1)
    assert (await _fetch(fake_github, WHISPER, tmp_path / "a")).complete
    github_control.fail("openai/whisper", status=503)
    with pytest.raises(UpstreamError, match=r"GitHub .* HTTP 503 \(after 3 attempts\)"):
        await _fetch(fake_github, WHISPER, tmp_path / "b")
    github_control.clear_failures()
    github_control.fail("openai/whisper", status=429, times=1, retry_after=0)
    assert (await _fetch(fake_github, WHISPER, tmp_path / "c")).complete


async def test_unreachable_github(tmp_path: Path) -> None:
    fetcher = make_fetcher(timeout=2.0)  # aimed nowhere
    with pytest.raises(UpstreamError, match="GitHub"):
        await fetcher.fetch(parse_source_url(WHISPER, "code"), tmp_path)


async def test_archive_over_the_budget_keeps_the_file_list(
    fake_github: FakeGitHub, github_control: GitHubControl, tmp_path: Path
) -> None:
    source = await _fetch(fake_github, WHISPER, tmp_path, max_fetch_bytes=100)
    repo = fake_github.fixtures.github_repo("openai/whisper")
    assert {f.path for f in source.files} == set(repo.files)
    assert all(not f.fetched for f in source.files)
    assert source.complete is False
    assert source.notes
    assert "ingest limit" in source.notes[0]
    assert source.revision == fake_github.graph("openai/whisper").head
    assert source.metadata["fetched_bytes"] == 0
    assert source.metadata["declared_bytes"] > 0


async def test_token_is_sent_when_configured(
    fake_github: FakeGitHub, github_control: GitHubControl, tmp_path: Path
) -> None:
    await _fetch(fake_github, WHISPER, tmp_path, github_token="ghp_test")
    api_calls = [r for r in github_control.requests if r.path.startswith("/repos/")]
    assert api_calls
    assert all(r.authorization == "Bearer ghp_test" for r in api_calls)


async def test_kaggle_is_metadata_only(tmp_path: Path) -> None:
    fetcher = make_fetcher()
    url = "https://www.kaggle.com/datasets/hliang001/flickr2k"
    source = await fetcher.fetch(parse_source_url(url, "dataset"), tmp_path)
    assert source.files == []
    assert source.complete is False
    assert source.notes == [
        "This Kaggle dataset needs credentials to download; only its metadata is stored."
    ]
    assert source.metadata["source_kind"] == "kaggle"
    assert source.metadata["repo_id"] == "hliang001/flickr2k"
    assert source.metadata["linked_code"] == []  # every standard key is present
