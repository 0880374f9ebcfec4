"""pytest plugin: session-wide fake Hub and fake GitHub, plus an environment pointing at them.

Register with ``pytest_plugins = ["tests.fakes.conftest_plugin"]`` in the root conftest.py.

Fixtures:
    fake_hub        (session)  FakeHub with ``.url``, ``.fixtures``, ``.control``, ``.file_bytes()``
    fake_github     (session)  FakeGitHub with ``.url``, ``.fixtures``, ``.control``, ``.graph()``
    hub_control     (function) ``fake_hub.control``, reset after the test (inject failures)
    github_control  (function) ``fake_github.control``, reset after the test
    hf_env          (function) env vars + huggingface_hub's import-time constants aimed at the fakes
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .github import FakeGitHub, GitHubControl
from .hub import FakeHub, HubControl
from .server import serve

# huggingface_hub reads this at import time; without it, building request headers may fetch an
# "agent harness" registry from the configured endpoint (huggingface.co by default). Setting it
# before any test imports huggingface_hub keeps every run off the network.
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


@dataclass(frozen=True)
class HfEnv:
    """What ``hf_env`` configured, for tests that need the paths or URLs."""

    hub_url: str
    github_url: str
    hf_home: Path
    hub_cache: Path


def _silence_hf_telemetry() -> None:
    try:
        from huggingface_hub import constants
    except ImportError:  # pragma: no cover - the workspace always ships huggingface_hub
        return
    constants.HF_HUB_DISABLE_TELEMETRY = True


@pytest.fixture(scope="session")
def fake_hub() -> Iterator[FakeHub]:
    _silence_hf_telemetry()
    hub = FakeHub()
    with serve(hub.app) as url:
        hub.url = url
        yield hub


@pytest.fixture(scope="session")
def fake_github() -> Iterator[FakeGitHub]:
    github = FakeGitHub()
    with serve(github.app) as url:
        github.url = url
        yield github


@pytest.fixture
def hub_control(fake_hub: FakeHub) -> Iterator[HubControl]:
    fake_hub.control.reset()
    yield fake_hub.control
    fake_hub.control.reset()


@pytest.fixture
def github_control(fake_github: FakeGitHub) -> Iterator[GitHubControl]:
    fake_github.control.reset()
    yield fake_github.control
    fake_github.control.reset()


@pytest.fixture
def hf_env(
    fake_hub: FakeHub, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> HfEnv:
    """Point code under test at the fakes through the environment, like production config would.

    huggingface_hub copies HF_ENDPOINT, HF_HOME, ... into module constants when first imported,
    so setting the variables alone is not enough inside one process: the constants (and the
    module-level ``HfApi`` behind ``huggingface_hub.model_info`` & co.) are patched as well.
    """
    assert fake_hub.url is not None
    assert fake_github.url is not None
    hf_home = tmp_path / "hf_home"
    hub_cache = hf_home / "hub"
    hub_cache.mkdir(parents=True)
    env = {
        "HF_ENDPOINT": fake_hub.url,
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_OFFLINE": "0",
        "HF_HOME": str(hf_home),
        "HF_HUB_CACHE": str(hub_cache),
        "GITHUB_API_URL": fake_github.url,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # Real credentials must never reach a test (and would change gated/private answers).
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "GITHUB_TOKEN", "GH_TOKEN"):
        monkeypatch.delenv(name, raising=False)

    from huggingface_hub import constants, hf_api

    patched: dict[str, object] = {
        "ENDPOINT": fake_hub.url,
        "HUGGINGFACE_CO_URL_TEMPLATE": fake_hub.url + "/{repo_id}/resolve/{revision}/{filename}",
        "HF_HUB_OFFLINE": False,
        "HF_HUB_DISABLE_TELEMETRY": True,
        "HF_HOME": str(hf_home),
        "HF_HUB_CACHE": str(hub_cache),
        "HF_ASSETS_CACHE": str(hf_home / "assets"),
        "HF_TOKEN_PATH": str(hf_home / "token"),
        "HF_STORED_TOKENS_PATH": str(hf_home / "stored_tokens"),
    }
    for name, constant in patched.items():
        monkeypatch.setattr(constants, name, constant)
    monkeypatch.setattr(hf_api.api, "endpoint", fake_hub.url)
    return HfEnv(
        hub_url=fake_hub.url, github_url=fake_github.url, hf_home=hf_home, hub_cache=hub_cache
    )
