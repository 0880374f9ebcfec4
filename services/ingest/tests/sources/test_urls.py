"""Source URL parsing: every accepted shape and every refusal, as tables."""

from __future__ import annotations

import enum

import pytest

from registry_common.errors import BadRequest
from registry_ingest.sources.urls import (
    MAX_URL_LENGTH,
    SourceRef,
    kaggle_section_noun,
    parse_source_url,
    upload_ref,
)

# url, artifact type, kind, repo_id, revision, subdir, default_name
ACCEPTED: list[tuple[str, str, str, str | None, str | None, str | None, str]] = [
    # Hugging Face models
    ("https://huggingface.co/google-bert/bert-base-uncased", "model",
     "huggingface_model", "google-bert/bert-base-uncased", None, None, "bert-base-uncased"),
    ("https://huggingface.co/google-bert/bert-base-uncased/", "model",
     "huggingface_model", "google-bert/bert-base-uncased", None, None, "bert-base-uncased"),
    ("  https://huggingface.co/google-bert/bert-base-uncased  ", "model",
     "huggingface_model", "google-bert/bert-base-uncased", None, None, "bert-base-uncased"),
    ("https://www.huggingface.co/openai/whisper-tiny", "model",
     "huggingface_model", "openai/whisper-tiny", None, None, "whisper-tiny"),
    ("https://hf.co/arnir0/Tiny-LLM", "model",
     "huggingface_model", "arnir0/Tiny-LLM", None, None, "Tiny-LLM"),
    ("HTTPS://HuggingFace.co/arnir0/Tiny-LLM", "model",
     "huggingface_model", "arnir0/Tiny-LLM", None, None, "Tiny-LLM"),
    ("http://huggingface.co/arnir0/Tiny-LLM", "model",
     "huggingface_model", "arnir0/Tiny-LLM", None, None, "Tiny-LLM"),
    ("https://huggingface.co/arnir0/Tiny-LLM.git", "model",
     "huggingface_model", "arnir0/Tiny-LLM", None, None, "Tiny-LLM"),
    ("https://huggingface.co/google-bert/bert-base-uncased/tree/main", "model",
     "huggingface_model", "google-bert/bert-base-uncased", "main", None, "bert-base-uncased"),
    ("https://huggingface.co/lineage-lab/minilm-imdb-sentiment/tree/v1.0.0", "model",
     "huggingface_model", "lineage-lab/minilm-imdb-sentiment", "v1.0.0", None,
     "minilm-imdb-sentiment"),
    ("https://huggingface.co/google-bert/bert-base-uncased/tree/main/onnx", "model",
     "huggingface_model", "google-bert/bert-base-uncased", "main", "onnx", "bert-base-uncased"),
    ("https://huggingface.co/google-bert/bert-base-uncased/blob/main/config.json", "model",
     "huggingface_model", "google-bert/bert-base-uncased", "main", None, "bert-base-uncased"),
    ("https://huggingface.co/google-bert/bert-base-uncased/resolve/abc123/model.safetensors",
     "model", "huggingface_model", "google-bert/bert-base-uncased", "abc123", None,
     "bert-base-uncased"),
    ("https://huggingface.co/org/name/tree/refs%2Fpr%2F1", "model",
     "huggingface_model", "org/name", "refs/pr/1", None, "name"),
    ("https://huggingface.co/org/name/discussions/3", "model",
     "huggingface_model", "org/name", None, None, "name"),
    ("https://huggingface.co/org/name?library=transformers#usage", "model",
     "huggingface_model", "org/name", None, None, "name"),
    ("https://huggingface.co/bert-base-uncased", "model",
     "huggingface_model", "bert-base-uncased", None, None, "bert-base-uncased"),
    ("https://huggingface.co/gpt2/tree/main", "model",
     "huggingface_model", "gpt2", "main", None, "gpt2"),
    ("https://huggingface.co/org/tree", "model",
     "huggingface_model", "org/tree", None, None, "tree"),
    # An HF model registered as a dataset or as code is accepted as a model source.
    ("https://huggingface.co/google-bert/bert-base-uncased", "dataset",
     "huggingface_model", "google-bert/bert-base-uncased", None, None, "bert-base-uncased"),
    ("https://huggingface.co/google-bert/bert-base-uncased", "code",
     "huggingface_model", "google-bert/bert-base-uncased", None, None, "bert-base-uncased"),
    # Hugging Face datasets (always dataset sources, whatever the artifact type)
    ("https://huggingface.co/datasets/wikimedia/wikipedia", "dataset",
     "huggingface_dataset", "wikimedia/wikipedia", None, None, "wikipedia"),
    ("https://huggingface.co/datasets/bookcorpus", "dataset",
     "huggingface_dataset", "bookcorpus", None, None, "bookcorpus"),
    ("https://huggingface.co/datasets/stanfordnlp/imdb/tree/main/plain_text", "dataset",
     "huggingface_dataset", "stanfordnlp/imdb", "main", "plain_text", "imdb"),
    ("https://huggingface.co/datasets/stanfordnlp/imdb/viewer/plain_text/train", "dataset",
     "huggingface_dataset", "stanfordnlp/imdb", None, None, "imdb"),
    ("https://huggingface.co/datasets/stanfordnlp/imdb", "model",
     "huggingface_dataset", "stanfordnlp/imdb", None, None, "imdb"),
    # Pages of huggingface.co that are not repositories: plain URLs
    ("https://huggingface.co/spaces/openai/whisper", "code",
     "url", None, None, None, "whisper"),
    ("https://huggingface.co/docs/hub/index", "code", "url", None, None, None, "hub"),
    # GitHub
    ("https://github.com/openai/whisper", "code",
     "github", "openai/whisper", None, None, "whisper"),
    ("https://github.com/openai/whisper.git", "code",
     "github", "openai/whisper", None, None, "whisper"),
    ("https://github.com/openai/whisper/", "code",
     "github", "openai/whisper", None, None, "whisper"),
    ("https://www.github.com/openai/whisper", "code",
     "github", "openai/whisper", None, None, "whisper"),
    ("https://github.com/openai/whisper/tree/main/whisper", "code",
     "github", "openai/whisper", "main", "whisper", "whisper"),
    ("https://github.com/google-research/bert/tree/master/sub/dir/", "code",
     "github", "google-research/bert", "master", "sub/dir", "bert"),
    ("https://github.com/openai/whisper/tree/v20240930", "code",
     "github", "openai/whisper", "v20240930", None, "whisper"),
    ("https://github.com/openai/whisper/blob/main/README.md", "code",
     "github", "openai/whisper", "main", None, "whisper"),
    ("https://github.com/openai/whisper/releases/tag/v20231117", "code",
     "github", "openai/whisper", "v20231117", None, "whisper"),
    ("https://github.com/openai/whisper/commit/6a535ff4640ba3ca42227c08bd06fa8035b06384",
     "code", "github", "openai/whisper", "6a535ff4640ba3ca42227c08bd06fa8035b06384", None,
     "whisper"),
    ("https://github.com/zalandoresearch/fashion-mnist", "dataset",
     "github", "zalandoresearch/fashion-mnist", None, None, "fashion-mnist"),
    ("https://github.com/openai/whisper/issues/12", "code",
     "github", "openai/whisper", None, None, "whisper"),
    # Kaggle
    ("https://www.kaggle.com/datasets/hliang001/flickr2k", "dataset",
     "kaggle", "hliang001/flickr2k", None, None, "flickr2k"),
    ("https://kaggle.com/datasets/owner/name/data", "dataset",
     "kaggle", "owner/name", None, None, "name"),
    ("https://www.kaggle.com/code/someone/a-notebook", "code",
     "kaggle", "someone/a-notebook", None, None, "a-notebook"),
    ("https://www.kaggle.com/models/google/gemma/transformers/2b", "model",
     "kaggle", "google/gemma", None, None, "gemma"),
    ("https://www.kaggle.com/competitions/titanic", "dataset",
     "kaggle", "competitions/titanic", None, None, "titanic"),
    ("https://www.kaggle.com/", "dataset", "url", None, None, None, "kaggle.com"),
    # Anything else well-formed
    ("https://example.com/files/model.tar.gz", "model",
     "url", None, None, None, "model.tar.gz"),
    ("https://example.com/", "model", "url", None, None, None, "example.com"),
    ("https://www.example.com", "model", "url", None, None, None, "example.com"),
    ("http://127.0.0.1:8080/data/index.html", "dataset", "url", None, None, None, "data"),
    ("https://raw.githubusercontent.com/openai/whisper/main/README.md", "code",
     "url", None, None, None, "README.md"),
    ("https://example.com/a%20file.bin?x=1", "model", "url", None, None, None, "a file.bin"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("url", "artifact_type", "kind", "repo_id", "revision", "subdir", "default_name"),
    ACCEPTED,
    ids=[f"{row[1]}:{row[0].strip()}" for row in ACCEPTED],
)
def test_accepted_urls(
    url: str,
    artifact_type: str,
    kind: str,
    repo_id: str | None,
    revision: str | None,
    subdir: str | None,
    default_name: str,
) -> None:
    ref = parse_source_url(url, artifact_type)
    assert ref == SourceRef(
        kind=kind,  # type: ignore[arg-type]
        url=url.strip(),
        artifact_type=artifact_type,
        repo_id=repo_id,
        revision=revision,
        subdir=subdir,
        default_name=default_name,
    )


# url, a fragment the error message must contain
REFUSED: list[tuple[object, str]] = [
    ("", "empty"),
    ("   ", "empty"),
    ("huggingface.co/google-bert/bert-base-uncased", "http(s) link"),
    ("ftp://example.com/model.bin", "http(s) link"),
    ("javascript:alert(1)", "http(s) link"),
    ("file:///etc/passwd", "http(s) link"),
    ("data:text/plain,hello", "http(s) link"),
    ("git@github.com:openai/whisper.git", "http(s) link"),
    ("https://", "host"),
    ("http:///path/only", "host"),
    ("https://exa mple.com/x", "spaces"),
    ("https://example.com/a b", "spaces"),
    ("https://example.com/\tx", "spaces"),
    ("https://example.com/<script>", "percent-encoded"),
    ("https://example.com:99999/x", "well-formed"),
    ("https://[::1/x", "well-formed"),
    ("https://user:secret@example.com/x", "user name or password"),
    ("https://huggingface.co/", "names no model"),
    ("https://huggingface.co", "names no model"),
    ("https://hf.co/", "names no model"),
    ("https://huggingface.co/datasets", "names no dataset"),
    ("https://huggingface.co/datasets/", "names no dataset"),
    ("https://huggingface.co/%3Corg%3E/%3Cmodel%3E", "not a valid Hugging Face model id"),
    ("https://huggingface.co/-bad/name", "not a valid Hugging Face model id"),
    ("https://huggingface.co/org/na..me", "not a valid Hugging Face model id"),
    ("https://huggingface.co/org/name/tree/main/../secret", "'..'"),
    ("https://github.com/", "names no repository"),
    ("https://github.com/openai", "names no repository"),
    ("https://github.com/orgs/openai", "names no repository"),
    ("https://github.com/openai/%2E%2E", "not a valid GitHub repository"),
    ("https://example.com/" + "a" * MAX_URL_LENGTH, "at most 2048"),
    (None, "must be a string"),
    (42, "must be a string"),
]


@pytest.mark.parametrize(("url", "fragment"), REFUSED, ids=[repr(r[0])[:60] for r in REFUSED])
def test_refused_urls(url: object, fragment: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_source_url(url, "model")  # type: ignore[arg-type]
    assert fragment in caught.value.message
    assert caught.value.status == 400
    assert caught.value.message.endswith(".")


class _Type(enum.Enum):
    MODEL = "model"


@pytest.mark.parametrize(
    ("given", "expected"), [("model", "model"), ("Dataset", "dataset"), (_Type.MODEL, "model")]
)
def test_artifact_types_are_normalized(given: object, expected: str) -> None:
    ref = parse_source_url("https://github.com/openai/whisper", given)  # type: ignore[arg-type]
    assert ref.artifact_type == expected


@pytest.mark.parametrize("given", ["", "space", "models", None])
def test_unknown_artifact_types_are_refused(given: object) -> None:
    with pytest.raises(BadRequest, match="artifact type"):
        parse_source_url("https://github.com/openai/whisper", given)  # type: ignore[arg-type]


def test_url_of_exactly_the_maximum_length_is_accepted() -> None:
    url = "https://example.com/" + "a" * (MAX_URL_LENGTH - len("https://example.com/"))
    assert len(url) == MAX_URL_LENGTH
    assert parse_source_url(url, "model").kind == "url"


def test_hugging_face_helpers() -> None:
    model = parse_source_url("https://huggingface.co/org/name", "model")
    dataset = parse_source_url("https://huggingface.co/datasets/org/name", "dataset")
    github = parse_source_url("https://github.com/org/name", "code")
    assert (model.is_huggingface, model.hf_repo_type) == (True, "model")
    assert (dataset.is_huggingface, dataset.hf_repo_type) == (True, "dataset")
    assert github.is_huggingface is False


@pytest.mark.parametrize(
    ("url", "noun"),
    [
        ("https://www.kaggle.com/datasets/o/n", "dataset"),
        ("https://www.kaggle.com/code/o/n", "notebook"),
        ("https://www.kaggle.com/models/o/n", "model"),
        ("https://www.kaggle.com/competitions/titanic", "competition"),
    ],
)
def test_kaggle_section_noun(url: str, noun: str) -> None:
    assert kaggle_section_noun(parse_source_url(url, "dataset")) == noun


@pytest.mark.parametrize(
    ("filename", "url", "default_name"),
    [
        ("internal-model.zip", "upload://internal-model.zip", "internal-model"),
        ("My Model.ZIP", "upload://My Model.ZIP", "My Model"),
        ("C:\\Users\\me\\model.zip", "upload://model.zip", "model"),
        ("dir/sub/bundle", "upload://bundle", "bundle"),
        ("", "upload://upload.zip", "upload"),
        (".zip", "upload://.zip", "upload"),
    ],
)
def test_upload_refs(filename: str, url: str, default_name: str) -> None:
    ref = upload_ref(filename, "model")
    assert (ref.kind, ref.url, ref.default_name, ref.repo_id) == (
        "upload",
        url,
        default_name,
        None,
    )
