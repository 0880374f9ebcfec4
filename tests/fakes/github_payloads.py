"""JSON bodies of the fake GitHub, shaped like api.github.com v3 answers.

``base`` is the fake's own base URL, so that every ``url`` field can be followed back to it;
``html_url`` fields keep github.com, as in real answers.
"""

from __future__ import annotations

import base64
import posixpath
from typing import Any

from .blobs import fake_sha1
from .fixture_types import FileChange, GitHubRepo, GitHubUser, ReleaseSpec, ReviewSpec
from .github_history import Commit, PullRequest, RepoGraph
from .github_repos import LICENSE_NAMES

HTML = "https://github.com"


def node_id(*parts: str) -> str:
    return base64.b64encode(fake_sha1(*parts)[:18].encode()).decode().rstrip("=")


def user(u: GitHubUser, base: str) -> dict[str, Any]:
    api = f"{base}/users/{u.login}"
    return {
        "login": u.login,
        "id": u.user_id,
        "node_id": node_id("user", u.login),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{u.user_id}?v=4",
        "gravatar_id": "",
        "url": api,
        "html_url": f"{HTML}/{u.login}",
        "followers_url": f"{api}/followers",
        "repos_url": f"{api}/repos",
        "type": u.kind,
        "user_view_type": "public",
        "site_admin": False,
    }


def license_summary(spdx: str | None, base: str) -> dict[str, Any] | None:
    if spdx is None:
        return None
    key, name = LICENSE_NAMES[spdx]
    return {
        "key": key,
        "name": name,
        "spdx_id": spdx,
        # GitHub has no license page for unrecognised texts.
        "url": None if key == "other" else f"{base}/licenses/{key}",
        "node_id": node_id("license", key),
    }


def repository(repo: GitHubRepo, graph: RepoGraph, owner: GitHubUser, base: str) -> dict[str, Any]:
    api = f"{base}/repos/{repo.full_name}"
    head = graph.commits[graph.head]
    return {
        "id": repo.repo_id,
        "node_id": node_id("repo", repo.full_name),
        "name": repo.name,
        "full_name": repo.full_name,
        "private": False,
        "owner": user(owner, base),
        "html_url": f"{HTML}/{repo.full_name}",
        "description": repo.description,
        "fork": False,
        "url": api,
        "contributors_url": f"{api}/contributors",
        "commits_url": f"{api}/commits{{/sha}}",
        "pulls_url": f"{api}/pulls{{/number}}",
        "contents_url": f"{api}/contents/{{+path}}",
        "tags_url": f"{api}/tags",
        "releases_url": f"{api}/releases{{/id}}",
        "languages_url": f"{api}/languages",
        "git_url": f"git://github.com/{repo.full_name}.git",
        "clone_url": f"{HTML}/{repo.full_name}.git",
        "homepage": repo.homepage,
        "created_at": repo.created_at,
        "updated_at": head.date,
        "pushed_at": head.date,
        "size": repo.size_kb,
        "stargazers_count": repo.stargazers_count,
        "watchers_count": repo.stargazers_count,
        "language": repo.language,
        "has_issues": True,
        "has_projects": True,
        "has_downloads": True,
        "has_wiki": True,
        "has_pages": False,
        "has_discussions": False,
        "forks_count": repo.forks_count,
        "archived": repo.archived,
        "disabled": False,
        "open_issues_count": repo.open_issues_count,
        "license": license_summary(repo.license_spdx, base),
        "allow_forking": True,
        "is_template": False,
        "topics": list(repo.topics),
        "visibility": "public",
        "forks": repo.forks_count,
        "open_issues": repo.open_issues_count,
        "watchers": repo.stargazers_count,
        "default_branch": repo.default_branch,
        "network_count": repo.forks_count,
        "subscribers_count": repo.subscribers_count,
    }


def _git_actor(u: GitHubUser, date: str) -> dict[str, str]:
    return {"name": u.name, "email": u.email, "date": date}


def commit(
    c: Commit, graph: RepoGraph, users: dict[str, GitHubUser], base: str, *, detailed: bool
) -> dict[str, Any]:
    """A commit as listed by ``/commits``; ``detailed`` adds ``stats`` and ``files``."""
    full_name = graph.repo.full_name
    api = f"{base}/repos/{full_name}"
    author, committer = users[c.author], users[c.committer]
    body: dict[str, Any] = {
        "sha": c.sha,
        "node_id": node_id("commit", c.sha),
        "commit": {
            "author": _git_actor(author, c.date),
            "committer": _git_actor(committer, c.date),
            "message": c.message,
            "tree": {"sha": graph.tree_sha(), "url": f"{api}/git/trees/{graph.tree_sha()}"},
            "url": f"{api}/git/commits/{c.sha}",
            "comment_count": 0,
            "verification": {
                "verified": c.committer == "web-flow",
                "reason": "valid" if c.committer == "web-flow" else "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
        },
        "url": f"{api}/commits/{c.sha}",
        "html_url": f"{HTML}/{full_name}/commit/{c.sha}",
        "comments_url": f"{api}/commits/{c.sha}/comments",
        "author": user(author, base),
        "committer": user(committer, base),
        "parents": [
            {"sha": p, "url": f"{api}/commits/{p}", "html_url": f"{HTML}/{full_name}/commit/{p}"}
            for p in c.parents
        ],
    }
    if detailed:
        body["stats"] = {
            "total": c.additions + c.deletions,
            "additions": c.additions,
            "deletions": c.deletions,
        }
        body["files"] = [commit_file(change, c, full_name, api) for change in c.changes]
    return body


def commit_file(change: FileChange, c: Commit, full_name: str, api: str) -> dict[str, Any]:
    patch_lines = [f"@@ -1,{change.deletions} +1,{change.additions} @@"]
    patch_lines += [f"-removed line {i}" for i in range(min(change.deletions, 3))]
    patch_lines += [f"+added line {i}" for i in range(min(change.additions, 3))]
    return {
        "sha": fake_sha1("blob", full_name, c.sha, change.path),
        "filename": change.path,
        "status": change.status,
        "additions": change.additions,
        "deletions": change.deletions,
        "changes": change.additions + change.deletions,
        "blob_url": f"{HTML}/{full_name}/blob/{c.sha}/{change.path}",
        "raw_url": f"{HTML}/{full_name}/raw/{c.sha}/{change.path}",
        "contents_url": f"{api}/contents/{change.path}?ref={c.sha}",
        "patch": "\n".join(patch_lines),
    }


def pull_request(
    pr: PullRequest, graph: RepoGraph, users: dict[str, GitHubUser], base: str, *, detailed: bool
) -> dict[str, Any]:
    spec = pr.spec
    repo = graph.repo
    api = f"{base}/repos/{repo.full_name}"
    author = users[spec.author]
    pr_api = f"{api}/pulls/{spec.number}"
    merge_commit_sha = pr.merge_commit_sha
    if spec.state == "open":
        # GitHub keeps a test-merge commit for open PRs; it is not reachable from any branch.
        merge_commit_sha = fake_sha1("test-merge", repo.full_name, str(spec.number))
    body: dict[str, Any] = {
        "url": pr_api,
        "id": int(fake_sha1("pr", repo.full_name, str(spec.number))[:8], 16),
        "node_id": node_id("pr", repo.full_name, str(spec.number)),
        "html_url": f"{HTML}/{repo.full_name}/pull/{spec.number}",
        "diff_url": f"{HTML}/{repo.full_name}/pull/{spec.number}.diff",
        "patch_url": f"{HTML}/{repo.full_name}/pull/{spec.number}.patch",
        "issue_url": f"{api}/issues/{spec.number}",
        "commits_url": f"{pr_api}/commits",
        "review_comments_url": f"{pr_api}/comments",
        "number": spec.number,
        "state": spec.state,
        "locked": False,
        "title": spec.title,
        "user": user(author, base),
        "body": spec.body,
        "labels": [],
        "created_at": spec.created_at,
        "updated_at": spec.closed_at or spec.created_at,
        "closed_at": spec.closed_at,
        "merged_at": spec.merged_at,
        "merge_commit_sha": merge_commit_sha,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "draft": False,
        "head": {
            "label": f"{spec.author}:{spec.head_ref}",
            "ref": spec.head_ref,
            "sha": pr.head_sha,
            "user": user(author, base),
        },
        "base": {
            "label": f"{repo.owner}:{repo.default_branch}",
            "ref": repo.default_branch,
            "sha": pr.base_sha,
        },
        "author_association": "CONTRIBUTOR",
        "auto_merge": None,
        "active_lock_reason": None,
    }
    if detailed:
        pr_commits = [graph.commits[s] for s in pr.commit_shas]
        touched = {ch.path for c in pr_commits for ch in c.changes}
        body.update(
            {
                "merged": spec.merged_at is not None,
                "mergeable": None if spec.state == "closed" else True,
                "merged_by": user(users[spec.merged_by], base) if spec.merged_by else None,
                "comments": 0,
                "review_comments": 0,
                "commits": len(pr_commits),
                "additions": sum(c.additions for c in pr_commits),
                "deletions": sum(c.deletions for c in pr_commits),
                "changed_files": len(touched),
            }
        )
    return body


def review(
    r: ReviewSpec,
    index: int,
    pr: PullRequest,
    repo: GitHubRepo,
    users: dict[str, GitHubUser],
    base: str,
) -> dict[str, Any]:
    number = pr.spec.number
    return {
        "id": int(fake_sha1("review", repo.full_name, str(number), str(index))[:8], 16),
        "node_id": node_id("review", repo.full_name, str(number), str(index)),
        "user": user(users[r.reviewer], base),
        "body": r.body,
        "state": r.state,
        "html_url": f"{HTML}/{repo.full_name}/pull/{number}#pullrequestreview-{index}",
        "pull_request_url": f"{base}/repos/{repo.full_name}/pulls/{number}",
        "author_association": "MEMBER",
        "submitted_at": r.submitted_at,
        "commit_id": pr.head_sha,
    }


def _content_links(
    graph: RepoGraph, path: str, kind: str, sha: str, ref: str, base: str
) -> dict[str, Any]:
    full_name = graph.repo.full_name
    api = f"{base}/repos/{full_name}"
    git_kind = "trees" if kind == "dir" else "blobs"
    html_kind = "tree" if kind == "dir" else "blob"
    links = {
        "url": f"{api}/contents/{path}?ref={ref}",
        "html_url": f"{HTML}/{full_name}/{html_kind}/{ref}/{path}",
        "git_url": f"{api}/git/{git_kind}/{sha}",
        "download_url": None
        if kind == "dir"
        else f"https://raw.githubusercontent.com/{full_name}/{ref}/{path}",
    }
    return {
        **links,
        "_links": {"self": links["url"], "git": links["git_url"], "html": links["html_url"]},
    }


def content_entry(graph: RepoGraph, path: str, ref: str, base: str) -> dict[str, Any]:
    """An item of a directory listing from ``/contents/{dir}``."""
    is_dir = path in graph.directories
    kind = "dir" if is_dir else "file"
    sha = graph.tree_sha(path) if is_dir else graph.blob_sha(path)
    size = 0 if is_dir else len(graph.repo.files[path].encode())
    entry = {"name": posixpath.basename(path), "path": path, "sha": sha, "size": size, "type": kind}
    return {**entry, **_content_links(graph, path, kind, sha, ref, base)}


def content_file(graph: RepoGraph, path: str, ref: str, base: str) -> dict[str, Any]:
    """``/contents/{file}`` and ``/readme``: the entry plus base64 content wrapped like GitHub's."""
    data = graph.repo.files[path].encode()
    encoded = base64.b64encode(data).decode()
    wrapped = "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))
    return {**content_entry(graph, path, ref, base), "content": wrapped, "encoding": "base64"}


def tag(name: str, sha: str, full_name: str, base: str) -> dict[str, Any]:
    api = f"{base}/repos/{full_name}"
    return {
        "name": name,
        "zipball_url": f"{api}/zipball/refs/tags/{name}",
        "tarball_url": f"{api}/tarball/refs/tags/{name}",
        "commit": {"sha": sha, "url": f"{api}/commits/{sha}"},
        "node_id": node_id("tag", full_name, name),
    }


def release(
    rel: ReleaseSpec, graph: RepoGraph, users: dict[str, GitHubUser], base: str
) -> dict[str, Any]:
    full_name = graph.repo.full_name
    api = f"{base}/repos/{full_name}"
    release_id = int(fake_sha1("release", full_name, rel.tag)[:8], 16)
    author = users.get(rel.author) or users[graph.commits[graph.head].author]
    return {
        "url": f"{api}/releases/{release_id}",
        "html_url": f"{HTML}/{full_name}/releases/tag/{rel.tag}",
        "assets_url": f"{api}/releases/{release_id}/assets",
        "id": release_id,
        "node_id": node_id("release", full_name, rel.tag),
        "author": user(author, base),
        "tag_name": rel.tag,
        "target_commitish": graph.repo.default_branch,
        "name": rel.name,
        "draft": False,
        "prerelease": rel.prerelease,
        "created_at": rel.published_at,
        "published_at": rel.published_at,
        "assets": [],
        "tarball_url": f"{api}/tarball/{rel.tag}",
        "zipball_url": f"{api}/zipball/{rel.tag}",
        "body": rel.body,
    }
