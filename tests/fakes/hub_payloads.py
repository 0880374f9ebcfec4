"""JSON bodies of the fake Hub, shaped like huggingface.co's ``/api`` answers."""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable
from typing import Any

from .blobs import fake_sha1
from .hub_content import HubCommit, HubRepoState, RepoSnapshot, ServedFile

# Architecture suffix -> (pipeline_tag, auto class): the Hub infers both from config.json.
_ARCHITECTURE_TASKS: tuple[tuple[str, str, str], ...] = (
    ("ForMaskedLM", "fill-mask", "AutoModelForMaskedLM"),
    ("ForSequenceClassification", "text-classification", "AutoModelForSequenceClassification"),
    ("ForCausalLM", "text-generation", "AutoModelForCausalLM"),
    ("ForConditionalGeneration", "automatic-speech-recognition", "AutoModelForSpeechSeq2Seq"),
)

_FRAMEWORK_FILES: tuple[tuple[Callable[[str], bool], str], ...] = (
    (lambda p: p.endswith("pytorch_model.bin") or p.endswith(".pth"), "pytorch"),
    (lambda p: p.endswith("tf_model.h5"), "tf"),
    (lambda p: p.endswith("flax_model.msgpack"), "jax"),
    (lambda p: p.endswith("rust_model.ot"), "rust"),
    (lambda p: p.endswith(".onnx"), "onnx"),
    (lambda p: p.endswith(".safetensors"), "safetensors"),
)

_DATASET_TAG_KEYS = (
    "task_categories",
    "task_ids",
    "annotations_creators",
    "language_creators",
    "multilinguality",
    "source_datasets",
    "size_categories",
)


def mongo_id(repo_id: str) -> str:
    return fake_sha1("mongo", repo_id)[:24]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _dedupe(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def _architecture_task(state: HubRepoState) -> tuple[str, str] | None:
    config = state.repo.config or {}
    for arch in _as_list(config.get("architectures")):
        for suffix, pipeline, auto_model in _ARCHITECTURE_TASKS:
            if str(arch).endswith(suffix):
                return pipeline, auto_model
    return None


def library_name(state: HubRepoState) -> str | None:
    card = state.card_data or {}
    if card.get("library_name"):
        return str(card["library_name"])
    config = state.repo.config or {}
    return "transformers" if "model_type" in config else None


def pipeline_tag(state: HubRepoState) -> str | None:
    card = state.card_data or {}
    if card.get("pipeline_tag"):
        return str(card["pipeline_tag"])
    task = _architecture_task(state)
    return task[0] if task else None


def model_tags(
    state: HubRepoState, snapshot: RepoSnapshot, canonical_dataset: Callable[[str], str]
) -> list[str]:
    """The Hub's computed tags: library, frameworks, model type, card tags, datasets, lineage."""
    card = state.card_data or {}
    config = state.repo.config or {}
    frameworks = [
        tag for matches, tag in _FRAMEWORK_FILES if any(matches(p) for p in snapshot.files)
    ]
    relation = card.get("base_model_relation")
    lineage: list[str] = []
    for base in _as_list(card.get("base_model")):
        lineage.append(f"base_model:{base}")
        if relation:
            lineage.append(f"base_model:{relation}:{base}")
    licenses = [f"license:{lic}" for lic in _as_list(card.get("license"))]
    return _dedupe(
        [
            library_name(state) or "",
            *frameworks,
            str(config.get("model_type", "")),
            *map(str, _as_list(card.get("tags"))),
            pipeline_tag(state) or "",
            *map(str, _as_list(card.get("language"))),
            *(f"dataset:{canonical_dataset(str(d))}" for d in _as_list(card.get("datasets"))),
            *lineage,
            *state.repo.extra_tags,
            *licenses,
            "endpoints_compatible",
            "region:us",
        ]
    )


def dataset_tags(state: HubRepoState, snapshot: RepoSnapshot) -> list[str]:
    card = state.card_data or {}
    keyed = [f"{key}:{value}" for key in _DATASET_TAG_KEYS for value in _as_list(card.get(key))]
    formats = ["format:parquet"] if any(p.endswith(".parquet") for p in snapshot.files) else []
    return _dedupe(
        [
            *keyed,
            *(f"language:{lang}" for lang in _as_list(card.get("language"))),
            *(f"license:{lic}" for lic in _as_list(card.get("license"))),
            *formats,
            "modality:text",
            "library:datasets",
            "region:us",
        ]
    )


def sibling(file: ServedFile, *, blobs: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"rfilename": file.path}
    if blobs:
        entry["size"] = file.size
        entry["blobId"] = file.blob_id
        if file.is_lfs:
            entry["lfs"] = {
                "sha256": file.sha256,
                "size": file.size,
                "pointerSize": len(file.pointer),
            }
    return entry


def _transformers_info(state: HubRepoState) -> dict[str, Any] | None:
    task = _architecture_task(state)
    if library_name(state) != "transformers" or task is None:
        return None
    model_type = (state.repo.config or {}).get("model_type")
    processor = "AutoProcessor" if model_type == "whisper" else "AutoTokenizer"
    return {"auto_model": task[1], "pipeline_tag": pipeline_tag(state), "processor": processor}


def _config_summary(state: HubRepoState, snapshot: RepoSnapshot) -> dict[str, Any] | None:
    # The Hub exposes only a digest of config.json (plus tokenizer/peft bits), not the whole file.
    config = state.repo.config
    summary: dict[str, Any] = {}
    if config is not None and "config.json" in snapshot.files:
        summary = {k: config[k] for k in ("architectures", "model_type") if k in config}
    if "adapter_config.json" in snapshot.files:
        summary["peft"] = {"task_type": "CAUSAL_LM"}
    return summary or None


def repo_info(
    state: HubRepoState,
    snapshot: RepoSnapshot,
    *,
    blobs: bool,
    expand: list[str] | None,
    security: bool,
    canonical_dataset: Callable[[str], str],
) -> dict[str, Any]:
    """Body of ``GET /api/{models|datasets}/{repo_id}[/revision/{rev}]``."""
    repo = state.repo
    card = state.card_data
    info: dict[str, Any] = {
        "_id": mongo_id(repo.repo_id),
        "id": repo.repo_id,
        "author": repo.author,
        "sha": snapshot.commit.sha,
        "lastModified": snapshot.commit.date,
        "createdAt": repo.created_at,
        "private": repo.private,
        "gated": repo.gated,
        "disabled": False,
        "downloads": repo.downloads,
        "downloadsAllTime": repo.downloads_all_time,
        "likes": repo.likes,
        "trendingScore": 0,
        "siblings": [sibling(f, blobs=blobs) for _, f in sorted(snapshot.files.items())],
        # Real-world storage of the repo: the fake's stand-in for "how big is this model".
        "usedStorage": sum(f.declared_size_bytes for f in snapshot.files.values()),
        # Fake-only: real-world size of each file (served files are a few KB, see README.md).
        "fakeDeclaredFileSizes": snapshot.declared_sizes,
    }
    if card is not None:
        info["cardData"] = card
    if repo.repo_type == "model":
        info["modelId"] = repo.repo_id
        info["library_name"] = library_name(state)
        info["pipeline_tag"] = pipeline_tag(state)
        info["tags"] = model_tags(state, snapshot, canonical_dataset)
        info["model-index"] = (card or {}).get("model-index")
        info["config"] = _config_summary(state, snapshot)
        info["transformersInfo"] = _transformers_info(state)
        info["spaces"] = []
        if repo.parameters:
            info["safetensors"] = {
                "parameters": dict(repo.parameters),
                "total": sum(repo.parameters.values()),
            }
        if security:
            info["securityRepoStatus"] = {"scansDone": True, "filesWithIssues": []}
    else:
        info["tags"] = dataset_tags(state, snapshot)
    info.update(repo.extra_api_fields)
    info = {k: v for k, v in info.items() if v is not None or k == "model-index"}
    if expand:
        keep = {"_id", "id", *expand}
        info = {k: v for k, v in info.items() if k in keep}
    else:
        # Like the Hub: all-time downloads and trending score only come when asked for.
        info.pop("downloadsAllTime", None)
        info.pop("trendingScore", None)
    return info


def search_item(
    state: HubRepoState, info: dict[str, Any], *, full: bool, card_data: bool
) -> dict[str, Any]:
    """One element of ``GET /api/models`` (a compact info unless ``full``)."""
    compact_keys = [
        "_id",
        "id",
        "likes",
        "trendingScore",
        "private",
        "downloads",
        "tags",
        "createdAt",
    ]
    if state.repo.repo_type == "model":
        compact_keys += ["pipeline_tag", "library_name", "modelId"]
    item = {k: info[k] for k in compact_keys if k in info}
    item.setdefault("trendingScore", 0)
    if full:
        item.update(
            {
                k: info[k]
                for k in ("author", "sha", "lastModified", "gated", "disabled", "siblings")
                if k in info
            }
        )
    if card_data and "cardData" in info:
        item["cardData"] = info["cardData"]
    return item


def _commit_ref(commit: HubCommit) -> dict[str, str]:
    return {"id": commit.sha, "title": commit.title, "date": commit.date}


def tree_entry(snapshot: RepoSnapshot, path: str, *, expand: bool) -> dict[str, Any]:
    """One element of ``GET /api/.../tree/{rev}/{path}`` for a file or directory."""
    if path in snapshot.directories:
        entry: dict[str, Any] = {
            "type": "directory",
            "oid": snapshot.tree_oid(path),
            "size": 0,
            "path": path,
        }
        if expand:
            entry["lastCommit"] = _commit_ref(snapshot.last_commit_of_directory(path))
        return entry
    file = snapshot.files[path]
    entry = {"type": "file", "oid": file.blob_id, "size": file.size, "path": path}
    if file.is_lfs:
        entry["lfs"] = {"oid": file.sha256, "size": file.size, "pointerSize": len(file.pointer)}
    if expand:
        entry["lastCommit"] = _commit_ref(file.last_commit)
        pickle_scan = (
            {
                "highestSafetyLevel": "innocuous",
                "imports": [{"module": "collections", "name": "OrderedDict"}],
            }
            if path.endswith((".bin", ".pth"))
            else None
        )
        entry["securityFileStatus"] = {
            "status": "safe",
            "avScan": {"virusFound": False, "virusNames": None},
            "pickleImportScan": pickle_scan,
        }
    return entry


def tree_paths(snapshot: RepoSnapshot, directory: str, *, recursive: bool) -> list[str]:
    """Paths listed by the tree endpoint, directories included, in git order."""
    paths: list[str] = []
    for name, kind in snapshot.children(directory):
        full = posixpath.join(directory, name) if directory else name
        paths.append(full)
        if recursive and kind == "directory":
            paths.extend(tree_paths(snapshot, full, recursive=True))
    return paths


def refs(state: HubRepoState, *, include_prs: bool) -> dict[str, Any]:
    def ref(name: str, kind: str, commit: HubCommit) -> dict[str, str]:
        return {"name": name, "ref": f"refs/{kind}/{name}", "targetCommit": commit.sha}

    converts = [ref("parquet", "convert", state.head)] if state.repo.repo_type == "dataset" else []
    body: dict[str, Any] = {
        "branches": [ref("main", "heads", state.head)],
        "converts": converts,
        "tags": [ref(name, "tags", commit) for name, commit in state.tags.items()],
    }
    if include_prs:
        body["pullRequests"] = []
    return body


def commits(state: HubRepoState, upto: HubCommit) -> list[dict[str, Any]]:
    """``GET /api/.../commits/{rev}``: newest first."""
    return [
        {
            "id": c.sha,
            "title": c.title,
            "message": "",
            "authors": [{"user": c.author, "avatar": None}],
            "date": c.date,
        }
        for c in reversed(state.commits[: upto.index + 1])
    ]
