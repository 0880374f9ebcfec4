"""The fake GitHub answers plain HTTP clients with the documented REST v3 shapes.

Expected values are derived from the fixture table (``tests.fakes.github_repos``) and from the
commit graph the fake builds (``fake_github.graph(...)``), never typed in twice.
"""

from __future__ import annotations

import base64
import hashlib
import io
import time
import zipfile
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.fixtures import TABLE
from tests.fakes.github import FakeGitHub, GitHubControl

pytestmark = pytest.mark.integration

BERT = "google-research/bert"
WHISPER = "openai/whisper"


@pytest.fixture
def client(fake_github: FakeGitHub) -> Iterator[httpx.Client]:
    assert fake_github.url is not None
    with httpx.Client(base_url=fake_github.url, follow_redirects=True, timeout=10) as http:
        yield http


def _get_json(client: httpx.Client, route: str, **params: Any) -> Any:
    response = client.get(route, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _all_pages(client: httpx.Client, route: str, **params: Any) -> tuple[list[Any], int]:
    """Follow ``Link: rel="next"`` like a GitHub client; returns (items, pages fetched)."""
    response = client.get(route, params=params)
    items, pages = list(response.json()), 1
    while "next" in response.links:
        response = client.get(response.links["next"]["url"])
        assert response.status_code == 200
        items += response.json()
        pages += 1
    return items, pages


def test_repository_shape(client: httpx.Client, fake_github: FakeGitHub) -> None:
    response = client.get(f"/repos/{BERT}")
    repo = response.json()
    graph = fake_github.graph(BERT)

    assert response.status_code == 200
    assert repo["full_name"] == BERT
    assert repo["default_branch"] == "master"
    assert repo["license"]["spdx_id"] == "Apache-2.0"
    assert repo["license"]["key"] == "apache-2.0"
    assert repo["stargazers_count"] == 39_612
    assert repo["forks_count"] == 9_651
    assert repo["open_issues_count"] == 871
    assert repo["size"] == 317
    assert repo["pushed_at"] == graph.commits[graph.head].date
    assert repo["owner"]["login"] == "google-research"
    assert repo["owner"]["type"] == "Organization"
    for header in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
        assert response.headers[header].isdigit()


@pytest.mark.parametrize("repo", TABLE.github_repos, ids=lambda r: r.full_name)
def test_license_endpoints(client: httpx.Client, repo: Any) -> None:
    summary = _get_json(client, f"/repos/{repo.full_name}")["license"]
    response = client.get(f"/repos/{repo.full_name}/license")

    if repo.license_spdx is None:
        assert summary is None
        assert response.status_code == 404
        return
    assert summary["spdx_id"] == repo.license_spdx
    body = response.json()
    assert body["license"]["spdx_id"] == repo.license_spdx
    assert body["encoding"] == "base64"
    assert base64.b64decode(body["content"]).decode() == repo.files["LICENSE"]


def test_contributors_paginate_with_link_headers(
    client: httpx.Client, fake_github: FakeGitHub
) -> None:
    first = client.get(f"/repos/{WHISPER}/contributors", params={"per_page": 3})
    assert {"next", "last"} <= set(first.links)
    contributors, pages = _all_pages(client, f"/repos/{WHISPER}/contributors", per_page=3)
    graph = fake_github.graph(WHISPER)

    assert pages == 3
    assert [(c["login"], c["contributions"]) for c in contributors] == graph.contributions
    assert sum(c["contributions"] for c in contributors) == len(graph.default_branch_commits)
    bot = next(c for c in contributors if c["login"] == "dependabot[bot]")
    assert bot["type"] == "Bot"


def test_commit_list_and_detail_stats(client: httpx.Client, fake_github: FakeGitHub) -> None:
    commits, pages = _all_pages(client, f"/repos/{BERT}/commits", per_page=4)
    graph = fake_github.graph(BERT)

    assert pages == 3
    assert [c["sha"] for c in commits] == [c.sha for c in graph.default_branch_commits]
    initial = _get_json(client, f"/repos/{BERT}/commits/{commits[-1]['sha']}")
    assert initial["commit"]["message"] == "Initial commit of BERT code"
    assert initial["stats"]["additions"] == sum(f["additions"] for f in initial["files"])
    assert (
        initial["stats"]["total"] == initial["stats"]["additions"] + initial["stats"]["deletions"]
    )
    assert {f["status"] for f in initial["files"]} == {"added"}
    assert initial["parents"] == []
    by_branch = _get_json(client, f"/repos/{BERT}/commits/master")
    assert by_branch["sha"] == graph.head


def test_commits_can_be_filtered(client: httpx.Client) -> None:
    by_author = _get_json(client, f"/repos/{BERT}/commits", author="nlp-priya")
    by_path = _get_json(client, f"/repos/{BERT}/commits", path="run_squad.py")
    recent = _get_json(client, f"/repos/{BERT}/commits", since="2019-01-01T00:00:00Z")

    assert {c["author"]["login"] for c in by_author} == {"nlp-priya"}
    assert [c["commit"]["message"] for c in by_path] == ["Adding SQuAD code"]
    assert all(c["commit"]["author"]["date"] >= "2019" for c in recent)
    assert client.get(f"/repos/{BERT}/commits", params={"sha": "no-such-branch"}).status_code == 404


def test_reviewed_code_fraction_is_computable(client: httpx.Client) -> None:
    """The computation a review-coverage metric does: commit -> PR -> reviews, weighted by lines."""
    reviewed = total = 0
    reviewed_prs: set[int] = set()
    for commit in _all_pages(client, f"/repos/{BERT}/commits", per_page=100)[0]:
        if len(commit["parents"]) > 1:
            continue  # a merge commit repeats the diff of the PR commits it brings in
        detail = _get_json(client, f"/repos/{BERT}/commits/{commit['sha']}")
        additions = detail["stats"]["additions"]
        total += additions
        pulls = _get_json(client, f"/repos/{BERT}/commits/{commit['sha']}/pulls")
        for pull in pulls:
            reviews = _get_json(client, f"/repos/{BERT}/pulls/{pull['number']}/reviews")
            if pull["merged_at"] and any(r["state"] == "APPROVED" for r in reviews):
                reviewed += additions
                reviewed_prs.add(pull["number"])
                break

    assert reviewed_prs == {12, 40, 101}  # PR 88 was merged without any review
    # Additions: pushes 2854, 1283, 138, 61; PR 12: 1; PR 40: 24 + 41; PR 88: 12; PR 101: 509.
    assert total == 2854 + 1283 + 138 + 61 + 1 + 24 + 41 + 12 + 509
    assert reviewed == 1 + 24 + 41 + 509


def test_pull_requests_states_and_merge_commits(
    client: httpx.Client, fake_github: FakeGitHub
) -> None:
    graph = fake_github.graph(BERT)
    on_master = {c.sha for c in graph.default_branch_commits}
    closed = {p["number"]: p for p in _get_json(client, f"/repos/{BERT}/pulls", state="closed")}
    open_prs = _get_json(client, f"/repos/{BERT}/pulls")

    assert [p["number"] for p in open_prs] == [150]
    assert set(closed) == {12, 40, 88, 101, 160}
    assert closed[160]["merged_at"] is None
    for number in (12, 40, 88, 101):
        assert closed[number]["merged_at"] is not None
        assert closed[number]["merge_commit_sha"] in on_master
    detail = _get_json(client, f"/repos/{BERT}/pulls/40")
    assert detail["merged"] is True
    assert detail["merged_by"]["login"] == "jacob-d"
    assert (detail["commits"], detail["additions"], detail["deletions"]) == (2, 65, 10)
    assert client.get(f"/repos/{BERT}/pulls/9999").status_code == 404


def test_pull_commits_reviews_and_files(client: httpx.Client, fake_github: FakeGitHub) -> None:
    on_master = {c.sha for c in fake_github.graph(BERT).default_branch_commits}

    merged_by_commit = _get_json(client, f"/repos/{BERT}/pulls/40/commits")
    squashed = _get_json(client, f"/repos/{BERT}/pulls/12/commits")
    assert len(merged_by_commit) == 2
    assert all(c["sha"] in on_master for c in merged_by_commit)  # merge method keeps them
    assert all(c["sha"] not in on_master for c in squashed)  # squash replaces them
    reviews = _get_json(client, f"/repos/{BERT}/pulls/40/reviews")
    assert [(r["user"]["login"], r["state"]) for r in reviews] == [
        ("mingwei-c", "CHANGES_REQUESTED"),
        ("mingwei-c", "APPROVED"),
    ]
    assert _get_json(client, f"/repos/{BERT}/pulls/88/reviews") == []
    files = _get_json(client, f"/repos/{BERT}/pulls/40/files")
    assert {f["filename"] for f in files} == {"tokenization.py", "tokenization_test.py"}


def test_contents_files_and_directories(client: httpx.Client) -> None:
    repo = TABLE.github_repo(WHISPER)

    readme = _get_json(client, f"/repos/{WHISPER}/contents/README.md")
    assert readme["type"] == "file"
    assert base64.b64decode(readme["content"]).decode() == repo.files["README.md"]
    listing = _get_json(client, f"/repos/{WHISPER}/contents/whisper", ref="v20230314")
    assert {e["name"] for e in listing} == {
        "__init__.py",
        "model.py",
        "transcribe.py",
        "version.py",
    }
    root = {e["name"]: e["type"] for e in _get_json(client, f"/repos/{WHISPER}/contents")}
    assert root["whisper"] == "dir"
    assert root["LICENSE"] == "file"
    assert _get_json(client, f"/repos/{WHISPER}/readme")["path"] == "README.md"
    assert client.get(f"/repos/{WHISPER}/contents/nope.txt").status_code == 404
    assert (
        client.get(f"/repos/{WHISPER}/contents/README.md", params={"ref": "v0"}).status_code == 404
    )


def test_git_tree_recursive_lists_every_blob_with_git_hashes(client: httpx.Client) -> None:
    repo = TABLE.github_repo(WHISPER)
    tree = _get_json(client, f"/repos/{WHISPER}/git/trees/main", recursive=1)

    blobs = {e["path"]: e for e in tree["tree"] if e["type"] == "blob"}
    assert set(blobs) == set(repo.files)
    assert tree["truncated"] is False
    data = repo.files["whisper/model.py"].encode()
    expected = hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest()
    assert blobs["whisper/model.py"]["sha"] == expected
    top_level = _get_json(client, f"/repos/{WHISPER}/git/trees/main")["tree"]
    assert "whisper/model.py" not in {e["path"] for e in top_level}


def test_zipball_is_a_real_archive_with_github_layout(
    client: httpx.Client, fake_github: FakeGitHub
) -> None:
    response = client.get(f"/repos/{WHISPER}/zipball/v20231117")
    sha = fake_github.graph(WHISPER).tags["v20231117"]

    assert response.status_code == 200
    assert response.history[0].status_code == 302  # clients must follow the codeload redirect
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    top = f"openai-whisper-{sha[:7]}/"
    assert all(name.startswith(top) for name in archive.namelist())
    assert archive.read(top + "LICENSE").decode() == TABLE.github_repo(WHISPER).files["LICENSE"]
    assert archive.comment.decode() == sha
    default = zipfile.ZipFile(io.BytesIO(client.get(f"/repos/{BERT}/zipball").content))
    assert default.namelist()[0] == f"google-research-bert-{fake_github.graph(BERT).head[:7]}/"


def test_tags_and_releases(client: httpx.Client, fake_github: FakeGitHub) -> None:
    tags = _get_json(client, f"/repos/{WHISPER}/tags")
    graph = fake_github.graph(WHISPER)

    assert [t["name"] for t in tags] == ["v20240930", "v20231117", "v20230314"]
    assert all(t["commit"]["sha"] == graph.tags[t["name"]] for t in tags)
    assert (
        _get_json(client, f"/repos/{WHISPER}/commits/v20230314")["sha"] == graph.tags["v20230314"]
    )
    releases = _get_json(client, f"/repos/{WHISPER}/releases")
    assert [r["tag_name"] for r in releases] == ["v20240930", "v20231117", "v20230314"]
    toolkit = "lineage-lab/sentiment-toolkit"
    assert [t["name"] for t in _get_json(client, f"/repos/{toolkit}/tags")] == ["1.3.0", "v1.2.0"]
    # 1.3.0 is a prerelease, so "latest" is the previous one.
    assert _get_json(client, f"/repos/{toolkit}/releases/latest")["tag_name"] == "v1.2.0"
    assert client.get(f"/repos/{BERT}/releases/latest").status_code == 404


def test_unknown_repository_is_a_github_404(client: httpx.Client) -> None:
    response = client.get("/repos/nobody/nothing/contributors")

    assert response.status_code == 404
    assert response.json()["message"] == "Not Found"
    assert response.json()["documentation_url"].startswith("https://docs.github.com/")


def test_injected_failures_hit_one_repository_then_clear(
    client: httpx.Client, github_control: GitHubControl
) -> None:
    github_control.fail(WHISPER, status=502, times=2)

    assert client.get(f"/repos/{WHISPER}").status_code == 502
    assert client.get(f"/repos/{BERT}").status_code == 200
    assert client.get(f"/repos/{WHISPER}").status_code == 502
    assert client.get(f"/repos/{WHISPER}").status_code == 200

    github_control.fail(WHISPER, status=403)
    limited = client.get(f"/repos/{WHISPER}/commits")
    assert limited.status_code == 403
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert "rate limit" in limited.json()["message"]
    github_control.fail(status=429, retry_after=7)  # every repository
    secondary = client.get(f"/repos/{BERT}")
    assert secondary.status_code == 429
    assert secondary.headers["Retry-After"] == "7"
    github_control.clear_failures()
    assert client.get(f"/repos/{BERT}").status_code == 200


def test_rate_limit_exhaustion_and_reset(
    client: httpx.Client, github_control: GitHubControl
) -> None:
    github_control.exhaust_rate_limit(reset_in_seconds=0.4)

    response = client.get(f"/repos/{BERT}")
    assert response.status_code == 403
    assert response.headers["X-RateLimit-Remaining"] == "0"
    status = _get_json(client, "/rate_limit")  # does not count, answers even when exhausted
    assert status["resources"]["core"]["remaining"] == 0
    time.sleep(0.5)
    recovered = client.get(f"/repos/{BERT}")
    assert recovered.status_code == 200
    assert int(recovered.headers["X-RateLimit-Remaining"]) == github_control.rate_limit - 1

    github_control.set_rate_limit(remaining=2)
    assert [client.get(f"/repos/{BERT}").status_code for _ in range(3)] == [200, 200, 403]


def test_requests_are_logged_with_their_authorization(
    client: httpx.Client, github_control: GitHubControl
) -> None:
    client.get(f"/repos/{BERT}", headers={"Authorization": "Bearer ghp_fake"})

    assert [(r.path, r.status, r.authorization) for r in github_control.requests] == [
        (f"/repos/{BERT}", 200, "Bearer ghp_fake")
    ]
