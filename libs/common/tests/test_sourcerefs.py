"""The one parser of source references: every URL form the fixtures and the contract use,
GitHub's and the Hub's naming rules, and hostile input (one table each)."""

from __future__ import annotations

import pytest

from registry_common.errors import BadRequest
from registry_common.sourcerefs import (
    GITHUB_RESERVED,
    MAX_URL_LENGTH,
    github_full_name,
    github_repo_of,
    hf_dataset_of,
    is_hub_repo_id,
    own_keys,
    parse_github_repo,
    parse_reference,
    references_in,
)

# url, kind, repo_id, revision, subdir, key
ACCEPTED: list[tuple[str, str, str | None, str | None, str | None, str | None]] = [
    # Hugging Face models (the fixtures' and the contract's URLs first)
    ("https://huggingface.co/google-bert/bert-base-uncased", "huggingface_model",
     "google-bert/bert-base-uncased", None, None, "hf:model:google-bert/bert-base-uncased"),
    ("https://huggingface.co/openai/whisper-tiny/tree/main", "huggingface_model",
     "openai/whisper-tiny", "main", None, "hf:model:openai/whisper-tiny"),
    ("https://huggingface.co/openai/whisper-tiny", "huggingface_model",
     "openai/whisper-tiny", None, None, "hf:model:openai/whisper-tiny"),
    ("https://huggingface.co/parvk11/audience_classifier_model", "huggingface_model",
     "parvk11/audience_classifier_model", None, None, "hf:model:parvk11/audience_classifier_model"),
    ("https://huggingface.co/arnir0/Tiny-LLM", "huggingface_model",
     "arnir0/Tiny-LLM", None, None, "hf:model:arnir0/tiny-llm"),
    ("https://huggingface.co/lineage-lab/minilm-imdb-sentiment", "huggingface_model",
     "lineage-lab/minilm-imdb-sentiment", None, None, "hf:model:lineage-lab/minilm-imdb-sentiment"),
    ("https://hf.co/org/model", "huggingface_model", "org/model", None, None, "hf:model:org/model"),
    ("https://www.huggingface.co/org/model.git", "huggingface_model", "org/model", None, None,
     "hf:model:org/model"),
    ("http://huggingface.co/org/model/", "huggingface_model", "org/model", None, None,
     "hf:model:org/model"),
    ("https://huggingface.co/org/model/tree/v1.0/onnx/fp16", "huggingface_model", "org/model",
     "v1.0", "onnx/fp16", "hf:model:org/model"),
    ("https://huggingface.co/org/model/blob/main/config.json", "huggingface_model", "org/model",
     "main", None, "hf:model:org/model"),
    ("https://huggingface.co/org/model/resolve/abc123/model.safetensors", "huggingface_model",
     "org/model", "abc123", None, "hf:model:org/model"),
    ("https://huggingface.co/org/model/tree/refs%2Fpr%2F1", "huggingface_model", "org/model",
     "refs/pr/1", None, "hf:model:org/model"),
    ("https://huggingface.co/org/model?library=transformers#usage", "huggingface_model",
     "org/model", None, None, "hf:model:org/model"),
    ("https://huggingface.co/bert-base-uncased", "huggingface_model", "bert-base-uncased", None,
     None, "hf:model:bert-base-uncased"),
    ("https://huggingface.co/gpt2/tree/main", "huggingface_model", "gpt2", "main", None,
     "hf:model:gpt2"),
    ("https://HuggingFace.co/Org/Model", "huggingface_model", "Org/Model", None, None,
     "hf:model:org/model"),
    ("https://huggingface.co:443/org/model", "huggingface_model", "org/model", None, None,
     "hf:model:org/model"),
    # Hugging Face datasets and spaces
    ("https://huggingface.co/datasets/stanfordnlp/imdb", "huggingface_dataset",
     "stanfordnlp/imdb", None, None, "hf:dataset:stanfordnlp/imdb"),
    ("https://hf.co/datasets/stanfordnlp/imdb/viewer", "huggingface_dataset", "stanfordnlp/imdb",
     None, None, "hf:dataset:stanfordnlp/imdb"),
    ("https://huggingface.co/datasets/org/data/tree/main/train", "huggingface_dataset",
     "org/data", "main", "train", "hf:dataset:org/data"),
    ("https://huggingface.co/datasets/org/data/blob/main/a.csv", "huggingface_dataset",
     "org/data", "main", None, "hf:dataset:org/data"),
    ("https://huggingface.co/datasets/imdb", "huggingface_dataset", "imdb", None, None,
     "hf:dataset:imdb"),
    ("https://huggingface.co/spaces/openai/whisper", "huggingface_space", "openai/whisper", None,
     None, "hf:space:openai/whisper"),
    ("https://huggingface.co/spaces/Org/App/tree/main", "huggingface_space", "Org/App", "main",
     None, "hf:space:org/app"),
    # GitHub repositories
    ("https://github.com/openai/whisper", "github", "openai/whisper", None, None,
     "github:openai/whisper"),
    ("https://github.com/openai/whisper.git", "github", "openai/whisper", None, None,
     "github:openai/whisper"),
    ("https://github.com/google-research/bert", "github", "google-research/bert", None, None,
     "github:google-research/bert"),
    ("https://github.com/google-research/bert/tree/master/", "github", "google-research/bert",
     "master", None, "github:google-research/bert"),
    ("https://github.com/arnir0/tiny-llm-train", "github", "arnir0/tiny-llm-train", None, None,
     "github:arnir0/tiny-llm-train"),
    ("https://github.com/lineage-lab/sql-lora-recipes", "github", "lineage-lab/sql-lora-recipes",
     None, None, "github:lineage-lab/sql-lora-recipes"),
    ("https://github.com/nobody/nothing-here", "github", "nobody/nothing-here", None, None,
     "github:nobody/nothing-here"),
    ("https://www.github.com/OpenAI/Whisper/", "github", "OpenAI/Whisper", None, None,
     "github:openai/whisper"),
    ("https://github.com/o/r/tree/v2/src/pkg", "github", "o/r", "v2", "src/pkg", "github:o/r"),
    ("https://github.com/o/r/blob/main/README.md#usage", "github", "o/r", "main", None,
     "github:o/r"),
    ("https://github.com/o/r/commit/" + "a" * 40, "github", "o/r", "a" * 40, None, "github:o/r"),
    ("https://github.com/o/r/releases/tag/v1.2.3", "github", "o/r", "v1.2.3", None, "github:o/r"),
    ("https://github.com/o/my_repo.name-1", "github", "o/my_repo.name-1", None, None,
     "github:o/my_repo.name-1"),
    ("https://github.com/a-b-c/r?tab=readme-ov-file", "github", "a-b-c/r", None, None,
     "github:a-b-c/r"),
    # Kaggle
    ("https://www.kaggle.com/datasets/someone/some-data", "kaggle", "someone/some-data", None, None,
     "kaggle:someone/some-data"),
    ("https://www.kaggle.com/models/google/gemma", "kaggle", "google/gemma", None, None,
     "kaggle:google/gemma"),
    ("https://kaggle.com/competitions/titanic", "kaggle", "competitions/titanic", None, None,
     "kaggle:competitions/titanic"),
    # Plain URLs (pages of the sites, and everything else over http(s))
    ("https://huggingface.co/docs/hub/index", "url", None, None, None, None),
    ("https://huggingface.co/spaces", "url", None, None, None, None),
    ("https://www.kaggle.com/discussions", "url", None, None, None, None),
    ("https://example.com/models/model.bin?x=1", "url", None, None, None, None),
    ("https://example.com:8443/a", "url", None, None, None, None),
    ("https://raw.githubusercontent.com/o/r/main/README.md", "url", None, None, None, None),
    ("https://github.com.evil.example/openai/whisper", "url", None, None, None, None),
    ("https://gitlab.com/openai/whisper", "url", None, None, None, None),
    ("https://example.com/a%20file.bin", "url", None, None, None, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("url", "kind", "repo_id", "revision", "subdir", "key"), ACCEPTED, ids=[a[0] for a in ACCEPTED]
)
def test_accepted_references(
    url: str,
    kind: str,
    repo_id: str | None,
    revision: str | None,
    subdir: str | None,
    key: str | None,
) -> None:
    ref = parse_reference(url)
    assert (ref.kind, ref.repo_id, ref.revision, ref.subdir) == (kind, repo_id, revision, subdir)
    assert ref.key == (key if key is not None else f"url:{url}")


# url, a fragment the error message must contain
REFUSED: list[tuple[object, str]] = [
    # not http(s)
    ("ftp://github.com/openai/whisper", "http(s) link"),
    ("javascript:alert(1)", "http(s) link"),
    ("file:///etc/passwd", "http(s) link"),
    ("data:text/plain,hello", "http(s) link"),
    ("git@github.com:openai/whisper.git", "http(s) link"),
    ("ssh://git@github.com/openai/whisper", "http(s) link"),
    ("huggingface.co/org/model", "http(s) link"),
    (None, "must be a string"),
    ("", "empty"),
    # userinfo: a link that logs in, or hides its host behind a user name
    ("https://user:secret@github.com/o/r", "user name or password"),
    ("https://github.com@evil.example/o/r", "user name or password"),
    ("https://token@huggingface.co/org/model", "user name or password"),
    # ports: the sites answer on their own ports only
    ("https://github.com:8443/openai/whisper", "port 8443"),
    ("https://huggingface.co:8080/org/model", "port 8080"),
    ("https://example.com:99999/x", "well-formed"),
    ("https://example.com:0/x", "host"),
    # characters that must be percent-encoded, and what percent-decoding must not smuggle in
    ("https://example.com/<script>", "percent-encoded"),
    ("https://github.com/o/r\x00", "percent-encoded"),
    ("https://github.com/ o/r", "spaces"),
    ("https://github.com/openai/%2E%2E", "not a valid GitHub repository"),
    ("https://huggingface.co/org%2Fmodel", "not a valid Hugging Face model id"),
    ("https://huggingface.co/%3Corg%3E/%3Cmodel%3E", "not a valid Hugging Face model id"),
    ("https://huggingface.co/org/model/tree/main/%2E%2E/x", "'..'"),
    ("https://huggingface.co/org/model/tree/main/../secret", "'..'"),
    # no host, no repository, a page of the site
    ("https://", "host"),
    ("https://[::1/x", "well-formed"),
    ("https://huggingface.co/", "names no model"),
    ("https://huggingface.co/datasets/", "names no dataset"),
    ("https://github.com/", "names no repository"),
    ("https://github.com/openai", "names no repository"),
    # GitHub's username rules: alphanumerics and single hyphens; no underscore in owners
    ("https://github.com/-bad-/repo", "not a valid GitHub repository"),
    ("https://github.com/bad-/repo", "not a valid GitHub repository"),
    ("https://github.com/a--b/repo", "not a valid GitHub repository"),
    ("https://github.com/snake_case/repo", "not a valid GitHub repository"),
    ("https://github.com/" + "a" * 40 + "/repo", "not a valid GitHub repository"),
    ("https://github.com/o/" + "r" * 101, "not a valid GitHub repository"),
    ("https://github.com/o/r$", "not a valid GitHub repository"),
    ("https://huggingface.co/org/na..me", "not a valid Hugging Face model id"),
    ("https://huggingface.co/org/na--me", "not a valid Hugging Face model id"),
    # very long
    ("https://github.com/o/" + "r" * MAX_URL_LENGTH, "at most 2048"),
]


@pytest.mark.parametrize(("url", "fragment"), REFUSED, ids=[repr(r[0])[:60] for r in REFUSED])
def test_refused_references(url: object, fragment: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_reference(url)  # type: ignore[arg-type]
    assert fragment in caught.value.message
    assert caught.value.status == 400


@pytest.mark.parametrize("segment", sorted(GITHUB_RESERVED))
def test_reserved_github_pages_are_no_repositories(segment: str) -> None:
    """One list, read by every service: a page of github.com is never an owner."""
    with pytest.raises(BadRequest, match="names no repository"):
        parse_reference(f"https://github.com/{segment}/something")
    with pytest.raises(BadRequest, match="names no repository"):
        parse_reference(f"https://github.com/{segment.upper()}/something")
    assert github_repo_of(f"https://github.com/{segment}/something") is None


def test_the_lists_the_services_kept_are_all_reserved() -> None:
    """The three lists that disagreed (ingest, scoring's cards, lineage) are all covered."""
    kept = {
        "features", "topics", "trending", "codespaces", "contact", "issues", "join", "pulls",
        "orgs", "settings", "marketplace", "sponsors", "login", "site", "users", "about",
        "explore", "new", "notifications", "organizations",
    }  # fmt: skip
    assert kept <= GITHUB_RESERVED


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/openai/whisper",
        "https://github.com/openai/whisper/",
        "https://github.com/openai/whisper.git",
        "http://www.github.com/openai/whisper",
        "github.com/openai/whisper",
        "git@github.com:openai/whisper.git",
        "ssh://git@github.com/openai/whisper.git",
        "git://github.com/openai/whisper",
        "  https://GitHub.com/openai/whisper  ",
    ],
)
def test_pasted_github_forms(url: str) -> None:
    assert parse_github_repo(url) == ("openai", "whisper")


@pytest.mark.parametrize(
    "url",
    ["", "https://huggingface.co/org/model", "https://github.com/orgs/x", "not a url at all"],
)
def test_pasted_non_github_forms(url: str) -> None:
    with pytest.raises(BadRequest, match=r"GitHub|github_url"):
        parse_github_repo(url)


def test_lenient_helpers_for_metadata() -> None:
    assert github_repo_of("https://github.com/Owner/Repo.git.") == "Owner/Repo"
    assert github_repo_of("https://github.com/features/copilot") is None
    assert github_repo_of(42) is None
    assert hf_dataset_of("https://huggingface.co/datasets/org/data/viewer") == "org/data"
    assert hf_dataset_of("https://huggingface.co/org/model") is None
    assert github_full_name("openai/whisper") == ("openai", "whisper")
    assert github_full_name("open_ai/whisper") is None
    assert github_full_name("openai") is None


def test_references_in_free_text() -> None:
    text = (
        "Code: [repo](https://github.com/Owner/Repo.git), also https://github.com/o/r/tree/main/x."
        " Data: <https://hf.co/datasets/org/data>; see github.com/topics/ml and "
        "https://github.com/features/copilot or https://user@github.com/x/y"
    )
    found = [ref.key for ref in references_in([text, None, 3])]
    assert found == ["github:owner/repo", "github:o/r", "hf:dataset:org/data"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("google-bert/bert-base-uncased", True),
        ("bert-base-uncased", True),
        ("org/model_v2.1", True),
        ("./checkpoints", False),
        ("/models/x", False),
        ("a/b/c", False),
        ("org/na..me", False),
        ("", False),
    ],
)
def test_hub_repo_ids(value: str, expected: bool) -> None:
    assert is_hub_repo_id(value) is expected


def test_own_keys_match_the_keys_references_bind() -> None:
    """What lineage binds a parent by is what the parent's own URL parses to."""
    model = parse_reference("https://huggingface.co/Google-Bert/bert-base-uncased/tree/main")
    assert model.key in own_keys(model.kind, model.repo_id)
    assert own_keys(model.kind, model.repo_id) == [
        "hf:model:google-bert/bert-base-uncased",
        "hf:model:bert-base-uncased",
    ]
    code = parse_reference("https://www.github.com/OpenAI/Whisper.git")
    assert own_keys(code.kind, code.repo_id) == ["github:openai/whisper"]
    assert own_keys("kaggle", "someone/data") == []
    assert own_keys("url", None) == []
