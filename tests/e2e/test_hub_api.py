"""The Hub-compatible read API (/hf) driven by the real huggingface_hub client, in both
topologies: every file it downloads must be byte for byte what the source Hub served.

huggingface_hub reads HF_ENDPOINT at import, so the calls pass `endpoint=` (and `cache_dir=`);
ModelCard.load, which takes no endpoint, runs with the library's constants patched.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import socket
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from huggingface_hub import (
    HfApi,
    ModelCard,
    constants,
    hf_hub_download,
    snapshot_download,
)
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.file_download import http_get

from registry_ingest.config import NODE24_RELATIVE
from tests.fakes.hub import FakeHub
from tests.harness.registry import RunningRegistry, free_port
from tests.harness.topology import Setup, Topology, topology

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

# The catalog module's setup (one pooled distributed topology serves both): the gate on, the
# audience classifier rated below the bar (refused), minilm-base left unrated (pending).
CATALOG = Setup(
    settings={"ingest": {"page_size": 5, "rating_wait_seconds": 8, "gate_enabled": True}},
    ratings={"audience": 0.2, "minilm-base": None, "": 0.8},
)
BERT = "google-bert/bert-base-uncased"
BERT_URL = f"https://huggingface.co/{BERT}"
PASSWORD = "Hub-Client-Password-1"
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def catalog(topology_kind: str, request: pytest.FixtureRequest) -> Iterator[Topology]:
    with topology(topology_kind, CATALOG, request) as running:
        yield running


@pytest.fixture(scope="module")
def registry(catalog: Topology) -> RunningRegistry:
    return catalog.shared()


@pytest.fixture(autouse=True)
def _checked(catalog: Topology, request: pytest.FixtureRequest) -> Iterator[None]:
    with catalog.checked(request):
        yield


@pytest.fixture(scope="module")
def bert(registry: RunningRegistry) -> dict[str, str]:
    """BERT ingested once for the module: its artifact id and the admin's token."""
    with registry.admin() as admin:
        created = admin.post("/artifact/model", json={"url": BERT_URL})
        assert created.status_code == 201, created.text
        token = admin.headers["X-Authorization"]
        return {"id": created.json()["metadata"]["id"], "token": token}


def _endpoint(registry: RunningRegistry) -> str:
    return f"{registry.url}/hf"


def _served(fake_hub: FakeHub) -> dict[str, bytes]:
    state = fake_hub.state(BERT)
    return {path: f.data for path, f in state.snapshot(state.head).files.items()}


def _files_under(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and ".cache" not in p.parts
    }


def test_model_info_tree_and_snapshot_download_match_the_source(
    registry: RunningRegistry, bert: dict[str, str], fake_hub: FakeHub, tmp_path: Path
) -> None:
    api = HfApi(endpoint=_endpoint(registry), token=bert["token"])
    info = api.model_info(BERT, files_metadata=True)
    assert info.id == BERT
    assert info.sha is not None
    assert len(info.sha) == 40
    assert info.registry["artifact_id"] == bert["id"]
    assert info.registry["vetted"] is True
    served = _served(fake_hub)
    assert sorted(s.rfilename for s in info.siblings or []) == sorted(served)
    by_name = api.model_info("bert-base-uncased")  # the registry's name works as well
    assert by_name.sha == info.sha
    assert sorted(api.list_repo_files(BERT)) == sorted(served)
    tree = {f.path: f for f in api.list_repo_tree(BERT, recursive=True) if hasattr(f, "size")}
    weights = tree["model.safetensors"]
    assert weights.lfs is not None
    assert weights.lfs.sha256 == hashlib.sha256(served["model.safetensors"]).hexdigest()
    assert tree["config.json"].lfs is None
    onnx = sorted(p for p in served if p.startswith("onnx/"))
    assert [f.path for f in api.list_repo_tree(BERT, path_in_repo="onnx")] == onnx
    found = {f.path: type(f).__name__ for f in api.get_paths_info(BERT, ["config.json", "onnx"])}
    assert found == {"config.json": "RepoFile", "onnx": "RepoFolder"}

    some = snapshot_download(
        BERT,
        endpoint=_endpoint(registry),
        token=bert["token"],
        cache_dir=tmp_path / "cache",
        allow_patterns=["*.json", "*.txt"],
    )
    picked = _files_under(Path(some))
    assert picked
    assert set(picked) == {p for p in served if p.endswith((".json", ".txt"))}
    assert all(picked[p] == served[p] for p in picked)

    everything = snapshot_download(
        BERT,
        endpoint=_endpoint(registry),
        token=bert["token"],
        local_dir=tmp_path / "local",
    )
    assert _files_under(Path(everything)) == served
    with registry.admin() as admin:
        trail = admin.get(f"/artifact/model/{bert['id']}/audit").json()
    assert sum(e["action"] == "DOWNLOAD" for e in trail) >= len(served) + len(picked)


def test_hf_hub_download_and_model_card(
    registry: RunningRegistry,
    bert: dict[str, str],
    fake_hub: FakeHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    served = _served(fake_hub)
    for name in ("config.json", "model.safetensors", "onnx/model.onnx"):
        path = hf_hub_download(
            BERT,
            name,
            endpoint=_endpoint(registry),
            token=bert["token"],
            cache_dir=tmp_path / "cache",
        )
        assert Path(path).read_bytes() == served[name]
    # ModelCard.load has no endpoint parameter: it uses the library's constants.
    endpoint = _endpoint(registry)
    monkeypatch.setattr(constants, "ENDPOINT", endpoint)
    monkeypatch.setattr(
        constants,
        "HUGGINGFACE_CO_URL_TEMPLATE",
        endpoint + "/{repo_id}/resolve/{revision}/{filename}",
    )
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "card-cache"))
    card = ModelCard.load(BERT, token=bert["token"])
    assert card.content == served["README.md"].decode("utf-8")
    assert card.data.to_dict().get("license") == "apache-2.0"


class CuttingProxy:
    """A loopback proxy that cuts the first GET of `target` after `keep` body bytes, as a
    dropped connection would; later requests pass whole. Records each request's head."""

    def __init__(self, upstream: str, target: str, keep: int) -> None:
        host, port = upstream.removeprefix("http://").split(":")
        self.upstream = (host, int(port))
        self.target = target.encode()
        self.keep = keep
        self.port = free_port()
        self.requests: list[bytes] = []
        self._cut_done = False
        self._server = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._server.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream)
            armed = threading.Event()
            threading.Thread(target=self._requests, args=(client, upstream, armed)).start()
            threading.Thread(target=self._responses, args=(upstream, client, armed)).start()

    def _requests(self, src: socket.socket, dst: socket.socket, armed: threading.Event) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                self.requests.append(data)
                if not self._cut_done and data.startswith(b"GET " + self.target):
                    self._cut_done = True
                    armed.set()
                dst.sendall(data)

    def _responses(self, src: socket.socket, dst: socket.socket, armed: threading.Event) -> None:
        pending = b""
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                if not armed.is_set():
                    dst.sendall(data)
                    continue
                pending += data
                head_end = pending.find(b"\r\n\r\n")
                if head_end >= 0 and len(pending) >= head_end + 4 + self.keep:
                    dst.sendall(pending[: head_end + 4 + self.keep])
                    break
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


def test_downloads_resume_after_a_dropped_connection_and_from_a_partial_file(
    registry: RunningRegistry,
    bert: dict[str, str],
    fake_hub: FakeHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    served = _served(fake_hub)
    name = "model.safetensors"
    # The client keeps what it received in whole chunks (10 MiB by default) when a connection
    # drops; the fixture's weights are a few KB, so the chunks shrink with them.
    monkeypatch.setattr(constants, "DOWNLOAD_CHUNK_SIZE", 256)
    proxy = CuttingProxy(registry.url, f"/hf/{BERT}/resolve/", keep=1000)
    try:
        path = hf_hub_download(
            BERT, name, endpoint=f"{proxy.url}/hf", token=bert["token"], cache_dir=tmp_path
        )
    finally:
        proxy.close()
    assert Path(path).read_bytes() == served[name]
    resumed = [r for r in proxy.requests if r.startswith(b"GET ")]
    assert len(resumed) == 2
    assert b"range: bytes=768-" in resumed[1].lower()

    # A partial .incomplete file, continued from where it stopped (deflated member too).
    for name in ("model.safetensors", "vocab.txt"):
        partial = tmp_path / f"{name.replace('/', '_')}.incomplete"
        half = len(served[name]) // 2
        partial.write_bytes(served[name][:half])
        url = f"{_endpoint(registry)}/{BERT}/resolve/main/{name}"
        with partial.open("ab") as sink:
            http_get(
                url,
                sink,
                resume_size=half,
                headers={"authorization": f"Bearer {bert['token']}"},
                expected_size=len(served[name]),
            )
        assert partial.read_bytes() == served[name]


def test_resolve_headers_ranges_and_the_artifact_id_alias(
    registry: RunningRegistry, bert: dict[str, str], fake_hub: FakeHub
) -> None:
    served = _served(fake_hub)
    auth = {"Authorization": f"Bearer {bert['token']}"}
    with httpx.Client(base_url=_endpoint(registry), headers=auth, timeout=30) as client:
        head = client.head(f"/{BERT}/resolve/main/model.safetensors")
        assert head.status_code == 200
        digest = hashlib.sha256(served["model.safetensors"]).hexdigest()
        assert head.headers["x-linked-etag"] == f'"{digest}"'
        assert head.headers["x-linked-size"] == str(len(served["model.safetensors"]))
        assert head.headers["content-length"] == str(len(served["model.safetensors"]))
        commit = head.headers["x-repo-commit"]
        small = client.head(f"/{BERT}/resolve/{commit}/config.json")
        assert "x-linked-etag" not in small.headers
        oid = hashlib.sha1(b"blob %d\x00" % len(served["config.json"]) + served["config.json"])
        assert small.headers["etag"] == f'"{oid.hexdigest()}"'
        for name in ("model.safetensors", "vocab.txt"):
            data = served[name]
            part = client.get(f"/{BERT}/resolve/main/{name}", headers={"Range": "bytes=10-99"})
            assert part.status_code == 206
            assert part.content == data[10:100]
            assert part.headers["content-range"] == f"bytes 10-99/{len(data)}"
            tail = client.get(f"/{BERT}/resolve/main/{name}", headers={"Range": "bytes=-7"})
            assert tail.content == data[-7:]
            beyond = client.get(
                f"/{BERT}/resolve/main/{name}", headers={"Range": f"bytes={len(data)}-"}
            )
            assert beyond.status_code == 416
        moved = client.get(f"/{bert['id']}/resolve/main/config.json")
        assert moved.status_code == 307
        assert moved.headers["location"] == f"/hf/{BERT}/resolve/{commit}/config.json"
        followed = client.get(registry.url + moved.headers["location"])
        assert followed.content == served["config.json"]


def test_what_a_caller_may_not_see_gets_the_hubs_errors(
    registry: RunningRegistry, bert: dict[str, str], tmp_path: Path
) -> None:
    endpoint = _endpoint(registry)
    api = HfApi(endpoint=endpoint, token=bert["token"])
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("nobody/nothing-here")
    with pytest.raises(RepositoryNotFoundError):
        api.dataset_info(BERT)  # a model is not a dataset
    with pytest.raises(RevisionNotFoundError):
        api.model_info(BERT, revision="v9.9.9")
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(
            BERT, "nope.bin", endpoint=endpoint, token=bert["token"], cache_dir=tmp_path
        )
    with pytest.raises(RepositoryNotFoundError):
        HfApi(endpoint=endpoint, token=False).model_info(BERT)
    with pytest.raises(HfHubHTTPError) as bad_token:
        HfApi(endpoint=endpoint, token="bearer not-a-token").model_info(BERT)
    assert bad_token.value.response.status_code == 401
    with registry.admin() as admin:
        refused = admin.post(
            "/artifact/model",
            json={"url": "https://huggingface.co/parvk11/audience_classifier_model"},
        )
        assert refused.status_code == 424  # rated below the gate: never served
        made = admin.post(
            "/users",
            json={
                "user": {"name": "hub-searcher", "is_admin": False},
                "secret": {"password": PASSWORD},
                "permissions": ["search"],
            },
        )
        assert made.status_code in (201, 409), made.text
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("parvk11/audience_classifier_model")
    with registry.client() as client:
        token = client.put(
            "/authenticate",
            json={
                "user": {"name": "hub-searcher", "is_admin": False},
                "secret": {"password": PASSWORD},
            },
        ).json()
    searcher = HfApi(endpoint=endpoint, token=token)
    assert searcher.model_info(BERT).id == BERT  # info needs `search` only
    with pytest.raises(GatedRepoError):
        hf_hub_download(BERT, "config.json", endpoint=endpoint, token=token, cache_dir=tmp_path)


REFUSE = r"""
console.log(`download of ${process.argv[2]} by ${process.argv[4]} is not approved`);
process.exit(7);
"""


def test_a_sensitive_models_monitor_and_history_cover_hub_downloads(
    registry: RunningRegistry, bert: dict[str, str], fake_hub: FakeHub, tmp_path: Path
) -> None:
    endpoint, token = _endpoint(registry), bert["token"]
    monitor = f"/artifacts/model/{bert['id']}/monitor"
    with registry.admin() as admin:
        assert admin.put(monitor, json={"sensitive": True, "program": None}).status_code == 200
        try:
            path = hf_hub_download(
                BERT, "tokenizer_config.json", endpoint=endpoint, token=token, cache_dir=tmp_path
            )
            assert Path(path).read_bytes() == _served(fake_hub)["tokenizer_config.json"]
            recorded = admin.get(f"/artifacts/model/{bert['id']}/downloads").json()["items"][0]
            assert recorded["part"] == "file"
            assert recorded["verdict"] == "allowed"
            assert recorded["monitored"] is False
            if not (REPO_ROOT / NODE24_RELATIVE).exists():
                pytest.skip("the refusing monitor needs Node.js 24: run `make node24`")
            assert (
                admin.put(monitor, json={"sensitive": True, "program": REFUSE}).status_code == 200
            )
            with pytest.raises(GatedRepoError) as refused:
                hf_hub_download(
                    BERT, "config.json", endpoint=endpoint, token=token, cache_dir=tmp_path / "x"
                )
            assert "is not approved" in str(refused.value)
            newest = admin.get(f"/artifacts/model/{bert['id']}/downloads").json()["items"][0]
            assert newest["verdict"] == "refused"
            assert newest["exit_code"] == 7
        finally:
            admin.put(monitor, json={"sensitive": False, "program": None})


def _tiny_bert_zip() -> bytes:
    """A tiny model laid out like a Hub repository, with a real tokenizer.json."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "model", "was", "in"]
    tokenizer = Tokenizer(models.WordPiece({t: i for i, t in enumerate(tokens)}, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", 2), ("[SEP]", 3)],
    )
    special = {
        "unk_token": "[UNK]",
        "cls_token": "[CLS]",
        "sep_token": "[SEP]",
        "pad_token": "[PAD]",
        "mask_token": "[MASK]",
    }
    config = {
        "architectures": ["BertForMaskedLM"],
        "model_type": "bert",
        "vocab_size": len(tokens),
        "hidden_size": 8,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "intermediate_size": 16,
    }
    files = {
        "README.md": "---\nlicense: mit\n---\n# tiny-bert\n\nA two-layer toy.\n",
        "config.json": json.dumps(config),
        "tokenizer.json": tokenizer.to_str(),
        "tokenizer_config.json": json.dumps(
            {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 32, **special}
        ),
        "vocab.txt": "\n".join(tokens) + "\n",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_transformers_loads_a_config_and_tokenizer_from_the_registry(
    registry: RunningRegistry,
    bert: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """transformers (CPU, without torch) resolves every file through huggingface_hub, which
    takes its endpoint from the constants HF_ENDPOINT set at import: patched here."""
    transformers = pytest.importorskip("transformers")
    with registry.admin() as admin:
        made = admin.post(
            "/artifact/model/upload",
            files={"file": ("tiny-bert.zip", _tiny_bert_zip(), "application/zip")},
            data={"name": "tiny-bert"},
        )
        assert made.status_code == 201, made.text
    endpoint = _endpoint(registry)
    monkeypatch.setattr(constants, "ENDPOINT", endpoint)
    monkeypatch.setattr(
        constants,
        "HUGGINGFACE_CO_URL_TEMPLATE",
        endpoint + "/{repo_id}/resolve/{revision}/{filename}",
    )
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "tf-cache"))
    config = transformers.AutoConfig.from_pretrained(
        "tiny-bert", token=bert["token"], cache_dir=tmp_path / "tf-cache"
    )
    assert config.model_type == "bert"
    assert config.hidden_size == 8
    tokenizer = transformers.AutoTokenizer.from_pretrained(
        "tiny-bert", token=bert["token"], cache_dir=tmp_path / "tf-cache"
    )
    assert tokenizer("The model was in", add_special_tokens=True)["input_ids"] == [2, 5, 6, 7, 8, 3]
