"""The perf workload's Hub: the fake Hub's fixture table plus 500 generated models.

Every generated model is a distinct repository (own id, own README text, own weights bytes:
the fake Hub seeds generated content from the repo id) shaped like Tiny-LLM, so each one is
fetched, scanned, rated and stored by the same code paths as a real registration. One of them,
`perf-lab/tiny-llm-bundle`, serves weights of Tiny-LLM's real size (two ~13 MB files), so its
bundle is the ~26 MB zip the download scenario fetches.
"""

from __future__ import annotations

from dataclasses import replace

from tests.fakes.fixture_types import HubFile, HubRepo
from tests.fakes.fixtures import TABLE, FixtureTable

TEMPLATE_ID = "arnir0/Tiny-LLM"
ORG = "perf-lab"
BIG_MODEL = f"{ORG}/tiny-llm-bundle"
# Served bytes of each of the big model's two weight files: 2 x 13.15 MB = a 26.3 MB bundle
# (random bytes do not compress).
BIG_WEIGHTS_BYTES = 13_150_000
FAMILIES = ("tiny-llm", "nano-gpt", "micro-bert", "pico-t5", "mini-whisper")


def model_ids(count: int) -> list[str]:
    """`count` distinct repository ids; the first is the big model."""
    ids = [BIG_MODEL]
    index = 0
    while len(ids) < count:
        ids.append(f"{ORG}/{FAMILIES[index % len(FAMILIES)]}-{index:04d}")
        index += 1
    return ids


def _model(template: HubRepo, repo_id: str, index: int) -> HubRepo:
    big = repo_id == BIG_MODEL
    files: list[HubFile] = []
    for file in template.files:
        if big and file.is_lfs:
            file = replace(file, served_size=BIG_WEIGHTS_BYTES)
        files.append(file)
    name = repo_id.split("/", 1)[1]
    body = template.readme_body.replace("Tiny-LLM", name).replace(TEMPLATE_ID, repo_id)
    return replace(
        template,
        repo_id=repo_id,
        edge_case=f"perf workload model {index}",
        readme_body=f"{body}\nWorkload model number {index} of the performance experiment.\n",
        files=tuple(files),
        aliases=(),
    )


def perf_table(count: int = 500) -> FixtureTable:
    template = TABLE.hub_repo(TEMPLATE_ID)
    generated = tuple(_model(template, repo_id, i) for i, repo_id in enumerate(model_ids(count)))
    return FixtureTable(
        hub_repos=(*TABLE.hub_repos, *generated),
        github_repos=TABLE.github_repos,
        github_users=TABLE.github_users,
    )
