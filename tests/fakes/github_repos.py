"""Fixture table of the fake GitHub: users, repositories, their history, pull requests and reviews.

The histories are small but shaped so that review-coverage metrics have something to chew on:
reviewed and unreviewed merged PRs, squash and merge-commit merges, direct pushes, a bot PR,
open and closed-unmerged PRs. File contents are short stand-ins written for these fixtures.
"""

from __future__ import annotations

import textwrap

from .fixture_types import (
    CommitSpec,
    FileChange,
    GitHubRepo,
    GitHubUser,
    MergeMethod,
    PullRequestSpec,
    ReleaseSpec,
    ReviewSpec,
    ReviewState,
    TagSpec,
)


def _user(login: str, user_id: int, name: str, kind: str = "User") -> GitHubUser:
    email = f"{user_id}+{login}@users.noreply.github.com"
    return GitHubUser(login=login, user_id=user_id, name=name, email=email, kind=kind)  # type: ignore[arg-type]


GITHUB_USERS: dict[str, GitHubUser] = {
    u.login: u
    for u in (
        # GitHub's own committer for merges made in the web UI (real id).
        _user("web-flow", 19864447, "GitHub"),
        _user("dependabot[bot]", 49699333, "dependabot[bot]", kind="Bot"),
        _user("jacob-d", 1001001, "Jacob D."),
        _user("mingwei-c", 1001002, "Ming-Wei C."),
        _user("kenton-l", 1001003, "Kenton L."),
        _user("kristina-t", 1001004, "Kristina T."),
        _user("contrib-alex", 1001005, "Alex Contributor"),
        _user("nlp-priya", 1001006, "Priya N."),
        _user("tf2-bob", 1001007, "Bob T."),
        _user("readme-spammer", 1001008, "Spam Account"),
        _user("jw-kim", 2002001, "Jong Wook K."),
        _user("alec-r", 2002002, "Alec R."),
        _user("tao-x", 2002003, "Tao X."),
        _user("maria-dev", 2002004, "Maria D."),
        _user("ravi-audio", 2002005, "Ravi A."),
        _user("chen-ml", 2002006, "Chen M."),
        _user("dana-lineage", 3003001, "Dana Lineage"),
        _user("sam-lineage", 3003002, "Sam Lineage"),
        _user("lineage-bot", 3003003, "Lineage Release Bot"),
        _user("arnir0", 4004001, "arnir0"),
    )
}

LICENSE_NAMES: dict[str, tuple[str, str]] = {
    # spdx_id -> (GitHub license key, GitHub display name)
    "Apache-2.0": ("apache-2.0", "Apache License 2.0"),
    "MIT": ("mit", "MIT License"),
    "GPL-3.0": ("gpl-3.0", "GNU General Public License v3.0"),
    "LGPL-2.1": ("lgpl-2.1", "GNU Lesser General Public License v2.1"),
    "NOASSERTION": ("other", "Other"),
}

# Abridged license texts: enough for a text classifier to recognise the family.
_APACHE_TEXT = """\
                                 Apache License
                           Version 2.0, January 2004
                        http://www.apache.org/licenses/

   TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION

   1. Definitions.

      "License" shall mean the terms and conditions for use, reproduction,
      and distribution as defined by Sections 1 through 9 of this document.

   [... abridged for the test fixture ...]

   END OF TERMS AND CONDITIONS
"""

_MIT_TEXT = """\
MIT License

Copyright (c) 2022 OpenAI

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT.
"""

_GPL3_TEXT = """\
                    GNU GENERAL PUBLIC LICENSE
                       Version 3, 29 June 2007

 Copyright (C) 2007 Free Software Foundation, Inc. <https://fsf.org/>
 Everyone is permitted to copy and distribute verbatim copies
 of this license document, but changing it is not allowed.

                            Preamble

  The GNU General Public License is a free, copyleft license for
  software and other kinds of works.

  [... abridged for the test fixture ...]
"""

_LGPL21_TEXT = """\
                  GNU LESSER GENERAL PUBLIC LICENSE
                       Version 2.1, February 1999

 Copyright (C) 1991, 1999 Free Software Foundation, Inc.
 51 Franklin Street, Fifth Floor, Boston, MA  02110-1301  USA
 Everyone is permitted to copy and distribute verbatim copies
 of this license document, but changing it is not allowed.

[This is the first released version of the Lesser GPL.]

  [... abridged for the test fixture ...]
"""

_CUSTOM_LICENSE_TEXT = """\
Tiny-LLM training code license

You may use this code for research. Commercial use requires written permission
from the author. Please cite the repository if you publish results.
"""


def _src(text: str) -> str:
    """File content written as an indented triple-quoted block."""
    return textwrap.dedent(text).lstrip("\n")


def _c(
    author: str, date: str, message: str, *changes: tuple[str, int, int] | FileChange
) -> CommitSpec:
    normalized = tuple(ch if isinstance(ch, FileChange) else FileChange(*ch) for ch in changes)
    return CommitSpec(author=author, date=date, message=message, changes=normalized)


def _added(path: str, lines: int) -> FileChange:
    return FileChange(path=path, additions=lines, deletions=0, status="added")


def _rv(reviewer: str, state: ReviewState, at: str, body: str = "") -> ReviewSpec:
    return ReviewSpec(reviewer=reviewer, state=state, submitted_at=at, body=body)


def _pr(
    number: int,
    title: str,
    author: str,
    created_at: str,
    commits: tuple[CommitSpec, ...],
    *,
    reviews: tuple[ReviewSpec, ...] = (),
    merged_at: str | None = None,
    merged_by: str | None = None,
    closed_at: str | None = None,
    method: MergeMethod = "squash",
    head_ref: str = "",
) -> PullRequestSpec:
    return PullRequestSpec(
        number=number,
        title=title,
        author=author,
        created_at=created_at,
        commits=commits,
        reviews=reviews,
        merged_at=merged_at,
        merged_by=merged_by,
        closed_at=closed_at or merged_at,
        merge_method=method,
        head_ref=head_ref or f"patch-{number}",
        body=f"{title}.",
    )


_BERT_FILES = {
    "README.md": "# BERT\n\nTensorFlow code and pre-trained models for BERT.\n\n"
    "## Fine-tuning\n\n```shell\npython run_classifier.py --task_name=MRPC --do_train=true\n```\n",
    "LICENSE": _APACHE_TEXT,
    "CONTRIBUTING.md": _src(
        """
        # How to Contribute

        Sign the Contributor License Agreement, then open a pull request.
        """
    ),
    "requirements.txt": "tensorflow >= 1.11.0\n",
    "__init__.py": "# Copyright 2018 The Google AI Language Team Authors.\n",
    "modeling.py": '"""The main BERT model and related functions."""\n\n\nclass BertConfig:\n'
    "    def __init__(self, vocab_size, hidden_size=768, num_hidden_layers=12):\n"
    "        self.vocab_size = vocab_size\n        self.hidden_size = hidden_size\n"
    "        self.num_hidden_layers = num_hidden_layers\n",
    "tokenization.py": '"""Tokenization classes."""\n\n\ndef whitespace_tokenize(text):\n'
    "    text = text.strip()\n    return text.split() if text else []\n",
    "tokenization_test.py": "from tokenization import whitespace_tokenize\n\n\n"
    "def test_whitespace_tokenize():\n    assert whitespace_tokenize(' a b ') == ['a', 'b']\n",
    "run_classifier.py": '"""BERT finetuning runner."""\n\nimport modeling\nimport tokenization\n',
    "run_squad.py": '"""Run BERT on SQuAD 1.1 and SQuAD 2.0."""\n',
    "create_pretraining_data.py": '"""Create masked LM/next sentence TF examples for BERT."""\n',
    "multilingual.md": "# Models\n\nThere are two multilingual models currently available.\n",
}

_BERT = GitHubRepo(
    full_name="google-research/bert",
    edge_case="Apache-2.0, branch 'master', squash and merge-commit PRs, reviewed and unreviewed",
    description="TensorFlow code and pre-trained models for BERT",
    license_spdx="Apache-2.0",
    files=_BERT_FILES,
    repo_id=154737426,
    created_at="2018-10-25T22:57:34Z",
    default_branch="master",
    stargazers_count=39_612,
    forks_count=9_651,
    subscribers_count=1_012,
    open_issues_count=871,
    size_kb=317,
    topics=("google", "natural-language-processing", "nlp", "tensorflow"),
    history=(
        _c(
            "jacob-d",
            "2018-10-31T18:16:02Z",
            "Initial commit of BERT code",
            _added("README.md", 310),
            _added("modeling.py", 986),
            _added("tokenization.py", 330),
            _added("run_classifier.py", 981),
            _added("LICENSE", 202),
            _added("requirements.txt", 2),
            _added("__init__.py", 15),
            _added("CONTRIBUTING.md", 28),
        ),
        _c("jacob-d", "2018-11-01T03:05:12Z", "Adding SQuAD code", _added("run_squad.py", 1283)),
        _pr(
            12,
            "Fix typo in README",
            "contrib-alex",
            "2018-11-02T10:00:00Z",
            (_c("contrib-alex", "2018-11-02T09:55:00Z", "Fix typo", ("README.md", 1, 1)),),
            reviews=(_rv("jacob-d", "APPROVED", "2018-11-03T08:00:00Z", "Thanks!"),),
            merged_at="2018-11-03T08:01:00Z",
            merged_by="jacob-d",
        ),
        _pr(
            40,
            "Python 3 compatibility for tokenization",
            "nlp-priya",
            "2018-11-08T12:00:00Z",
            (
                _c(
                    "nlp-priya",
                    "2018-11-08T11:40:00Z",
                    "Use six for unicode handling",
                    ("tokenization.py", 24, 10),
                ),
                _c(
                    "nlp-priya",
                    "2018-11-10T16:02:00Z",
                    "Add tokenization tests",
                    _added("tokenization_test.py", 41),
                ),
            ),
            reviews=(
                _rv("mingwei-c", "CHANGES_REQUESTED", "2018-11-09T09:00:00Z", "Please add tests."),
                _rv("mingwei-c", "APPROVED", "2018-11-11T10:00:00Z"),
            ),
            merged_at="2018-11-12T17:30:00Z",
            merged_by="jacob-d",
            method="merge",
            head_ref="py3-tokenization",
        ),
        _c(
            "jacob-d",
            "2018-11-15T20:11:45Z",
            "Adding multilingual models",
            _added("multilingual.md", 118),
            ("README.md", 20, 3),
        ),
        _pr(
            88,
            "Use tf.io.gfile instead of tf.gfile",
            "contrib-alex",
            "2018-12-01T08:00:00Z",
            (
                _c(
                    "contrib-alex",
                    "2018-12-01T07:58:00Z",
                    "Use tf.io.gfile",
                    ("run_classifier.py", 12, 12),
                ),
            ),
            merged_at="2018-12-03T13:00:00Z",
            merged_by="kenton-l",
        ),
        _pr(
            101,
            "Add whole word masking models",
            "kenton-l",
            "2019-05-30T19:00:00Z",
            (
                _c(
                    "kenton-l",
                    "2019-05-30T18:40:00Z",
                    "Whole word masking",
                    _added("create_pretraining_data.py", 469),
                    ("README.md", 40, 2),
                ),
            ),
            reviews=(
                _rv("jacob-d", "COMMENTED", "2019-05-31T09:00:00Z", "Can we document the flag?"),
                _rv("jacob-d", "APPROVED", "2019-05-31T15:00:00Z"),
            ),
            merged_at="2019-05-31T15:10:00Z",
            merged_by="jacob-d",
        ),
        _pr(
            150,
            "Add TF2 support",
            "tf2-bob",
            "2019-10-01T12:00:00Z",
            (
                _c(
                    "tf2-bob",
                    "2019-10-01T11:00:00Z",
                    "Port modeling to TF2",
                    ("modeling.py", 140, 95),
                ),
            ),
            reviews=(
                _rv(
                    "mingwei-c", "COMMENTED", "2019-10-04T10:00:00Z", "Out of scope for this repo."
                ),
            ),
            head_ref="tf2",
        ),
        _pr(
            160,
            "Update README.md",
            "readme-spammer",
            "2019-11-01T12:00:00Z",
            (
                _c(
                    "readme-spammer",
                    "2019-11-01T11:59:00Z",
                    "Update README.md",
                    ("README.md", 3, 0),
                ),
            ),
            closed_at="2019-11-02T08:00:00Z",
        ),
        _c("jacob-d", "2020-03-11T17:22:04Z", "Release small BERT models", ("README.md", 61, 5)),
    ),
)

_WHISPER_FILES = {
    "README.md": _src(
        """
        # Whisper

        Robust speech recognition via large-scale weak supervision.

        ## Setup

        ```shell
        pip install -U openai-whisper
        ```

        ## Python usage

        ```python
        import whisper

        model = whisper.load_model("tiny")
        print(model.transcribe("audio.mp3")["text"])
        ```
        """
    ),
    "LICENSE": _MIT_TEXT,
    "pyproject.toml": _src(
        """
        [project]
        name = "openai-whisper"
        dynamic = ["version"]
        requires-python = ">=3.8"
        """
    ),
    "requirements.txt": "numba\nnumpy\ntorch\ntqdm\ntiktoken\n",
    "whisper/__init__.py": "from .transcribe import transcribe\n\n__all__ = ['transcribe']\n",
    "whisper/transcribe.py": _src(
        """
        def transcribe(model, audio, *, word_timestamps=False):
            return model.decode(audio, word_timestamps=word_timestamps)
        """
    ),
    "whisper/model.py": _src(
        """
        from dataclasses import dataclass


        @dataclass
        class ModelDimensions:
            n_mels: int
            n_audio_ctx: int
            n_text_ctx: int
        """
    ),
    "whisper/version.py": '__version__ = "20240930"\n',
    "tests/test_transcribe.py": _src(
        """
        def test_transcribe_signature():
            from whisper import transcribe

            assert callable(transcribe)
        """
    ),
    ".github/workflows/test.yml": _src(
        """
        name: test
        on: [push, pull_request]
        jobs:
          test:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: pytest
        """
    ),
}

_WHISPER = GitHubRepo(
    full_name="openai/whisper",
    edge_case="MIT, 7 contributors (pagination), bot PR, PR merged unapproved, tags + releases",
    description="Robust Speech Recognition via Large-Scale Weak Supervision",
    license_spdx="MIT",
    files=_WHISPER_FILES,
    repo_id=537603333,
    created_at="2022-09-16T20:02:54Z",
    stargazers_count=72_304,
    forks_count=8_712,
    subscribers_count=596,
    open_issues_count=102,
    size_kb=8_561,
    topics=("speech-recognition", "deep-learning"),
    homepage=None,
    history=(
        _c(
            "jw-kim",
            "2022-09-21T16:37:07Z",
            "initial commit",
            _added("README.md", 142),
            _added("LICENSE", 21),
            _added("requirements.txt", 5),
            _added("whisper/__init__.py", 3),
            _added("whisper/transcribe.py", 310),
            _added("whisper/model.py", 269),
        ),
        _c("jw-kim", "2022-09-22T02:03:11Z", "add tests", _added("tests/test_transcribe.py", 21)),
        _pr(
            25,
            "Add GitHub Actions workflow",
            "maria-dev",
            "2022-09-24T10:00:00Z",
            (
                _c(
                    "maria-dev",
                    "2022-09-24T09:58:00Z",
                    "add CI",
                    _added(".github/workflows/test.yml", 22),
                ),
            ),
            reviews=(_rv("jw-kim", "APPROVED", "2022-09-25T00:10:00Z"),),
            merged_at="2022-09-25T00:12:00Z",
            merged_by="jw-kim",
        ),
        _pr(
            70,
            "Fix fp16 on CPU",
            "ravi-audio",
            "2022-10-05T12:00:00Z",
            (
                _c(
                    "ravi-audio",
                    "2022-10-05T11:30:00Z",
                    "cast to fp32 on cpu",
                    ("whisper/transcribe.py", 9, 2),
                ),
                _c(
                    "ravi-audio",
                    "2022-10-06T08:30:00Z",
                    "address review",
                    ("whisper/transcribe.py", 3, 4),
                ),
            ),
            reviews=(
                _rv(
                    "jw-kim", "CHANGES_REQUESTED", "2022-10-05T20:00:00Z", "Warn the user instead."
                ),
            ),
            merged_at="2022-10-07T09:00:00Z",
            merged_by="jw-kim",
            method="merge",
            head_ref="fp16-cpu",
        ),
        _c("alec-r", "2023-01-18T19:10:00Z", "large-v2 checkpoint", ("whisper/model.py", 12, 1)),
        _pr(
            869,
            "Word-level timestamps",
            "jw-kim",
            "2023-03-01T10:00:00Z",
            (
                _c(
                    "jw-kim",
                    "2023-03-01T09:00:00Z",
                    "word timestamps via DTW",
                    ("whisper/transcribe.py", 180, 20),
                ),
                _c(
                    "jw-kim",
                    "2023-03-05T09:00:00Z",
                    "tests for timestamps",
                    ("tests/test_transcribe.py", 40, 0),
                ),
            ),
            reviews=(
                _rv("alec-r", "APPROVED", "2023-03-06T15:00:00Z", "LGTM"),
                _rv("tao-x", "APPROVED", "2023-03-06T16:00:00Z"),
            ),
            merged_at="2023-03-06T17:00:00Z",
            merged_by="jw-kim",
        ),
        _pr(
            1001,
            "Switch to pyproject.toml",
            "chen-ml",
            "2023-03-10T10:00:00Z",
            (
                _c(
                    "chen-ml",
                    "2023-03-10T09:30:00Z",
                    "pyproject",
                    _added("pyproject.toml", 35),
                    _added("whisper/version.py", 1),
                ),
            ),
            reviews=(_rv("jw-kim", "APPROVED", "2023-03-13T10:00:00Z"),),
            merged_at="2023-03-13T10:05:00Z",
            merged_by="jw-kim",
        ),
        _c("jw-kim", "2023-03-14T17:30:00Z", "Release 20230314", ("whisper/version.py", 1, 1)),
        _pr(
            1500,
            "Bump actions/checkout from 3 to 4",
            "dependabot[bot]",
            "2023-09-05T06:00:00Z",
            (
                _c(
                    "dependabot[bot]",
                    "2023-09-05T05:59:00Z",
                    "Bump actions/checkout",
                    (".github/workflows/test.yml", 1, 1),
                ),
            ),
            reviews=(_rv("jw-kim", "APPROVED", "2023-09-06T10:00:00Z"),),
            merged_at="2023-09-06T10:01:00Z",
            merged_by="jw-kim",
        ),
        _pr(
            1700,
            "Add turbo model",
            "tao-x",
            "2023-11-10T10:00:00Z",
            (
                _c(
                    "tao-x",
                    "2023-11-10T09:00:00Z",
                    "turbo",
                    ("whisper/model.py", 25, 3),
                    ("README.md", 8, 1),
                ),
            ),
            merged_at="2023-11-17T11:00:00Z",
            merged_by="tao-x",
        ),
        _c("jw-kim", "2023-11-17T12:00:00Z", "Release 20231117", ("whisper/version.py", 1, 1)),
        _pr(
            2100,
            "Streaming transcription",
            "maria-dev",
            "2024-05-01T10:00:00Z",
            (
                _c(
                    "maria-dev",
                    "2024-05-01T09:00:00Z",
                    "streaming",
                    ("whisper/transcribe.py", 220, 15),
                ),
            ),
            reviews=(
                _rv("jw-kim", "COMMENTED", "2024-05-03T10:00:00Z", "Needs a design doc first."),
            ),
            head_ref="streaming",
        ),
        _c(
            "jw-kim",
            "2024-09-30T18:00:00Z",
            "Release 20240930",
            ("whisper/version.py", 1, 1),
            ("README.md", 4, 2),
        ),
    ),
    tags=(
        TagSpec("v20230314", 7),
        TagSpec("v20231117", 10),
        TagSpec("v20240930", 12),
    ),
    releases=(
        ReleaseSpec(
            "v20230314",
            "v20230314",
            "2023-03-14T17:45:00Z",
            "Word-level timestamps.",
            author="jw-kim",
        ),
        ReleaseSpec(
            "v20231117", "v20231117", "2023-11-17T12:30:00Z", "Turbo model.", author="jw-kim"
        ),
        ReleaseSpec(
            "v20240930",
            "v20240930",
            "2024-09-30T18:15:00Z",
            "Maintenance release.",
            author="jw-kim",
        ),
    ),
)

_MINILM_TRAINING = GitHubRepo(
    full_name="lineage-lab/minilm-training",
    edge_case="GPL-3.0 training code of an apache-2.0 model (license conflict)",
    description="Distillation and pretraining scripts for MiniLM",
    license_spdx="GPL-3.0",
    files={
        "README.md": _src(
            """
            # minilm-training

            Pretraining scripts.

            ```shell
            python train.py --config base.yaml
            ```
            """
        ),
        "LICENSE": _GPL3_TEXT,
        "train.py": _src(
            """
            import argparse


            def main() -> None:
                parser = argparse.ArgumentParser()
                parser.add_argument("--config")
                parser.parse_args()


            if __name__ == "__main__":
                main()
            """
        ),
        "base.yaml": "hidden_size: 384\nlayers: 12\n",
        "tests/test_train.py": "def test_import():\n    import train  # noqa: F401\n",
    },
    repo_id=640001001,
    created_at="2023-04-20T08:00:00Z",
    stargazers_count=42,
    forks_count=6,
    subscribers_count=3,
    open_issues_count=1,
    size_kb=48,
    history=(
        _c(
            "dana-lineage",
            "2023-04-20T08:10:00Z",
            "Initial commit",
            _added("README.md", 6),
            _added("LICENSE", 674),
            _added("train.py", 11),
            _added("base.yaml", 2),
        ),
        _pr(
            3,
            "Add smoke test",
            "sam-lineage",
            "2023-04-25T10:00:00Z",
            (
                _c(
                    "sam-lineage",
                    "2023-04-25T09:00:00Z",
                    "smoke test",
                    _added("tests/test_train.py", 2),
                ),
            ),
            reviews=(_rv("dana-lineage", "APPROVED", "2023-04-25T12:00:00Z"),),
            merged_at="2023-04-25T12:05:00Z",
            merged_by="dana-lineage",
        ),
        _c("lineage-bot", "2023-05-03T14:00:00Z", "Release v1.0.0", ("README.md", 2, 0)),
        _pr(
            5,
            "Mixed precision",
            "sam-lineage",
            "2023-06-01T10:00:00Z",
            (_c("sam-lineage", "2023-06-01T09:00:00Z", "amp", ("train.py", 15, 2)),),
        ),
    ),
    tags=(TagSpec("v1.0.0", 2),),
    releases=(
        ReleaseSpec("v1.0.0", "MiniLM base v1.0.0", "2023-05-03T14:10:00Z", author="lineage-bot"),
    ),
)

_SENTIMENT_TOOLKIT = GitHubRepo(
    full_name="lineage-lab/sentiment-toolkit",
    edge_case="LGPL-2.1; tags written 'v1.2.0' and '1.3.0'; prerelease",
    description="Fine-tuning toolkit for sentiment classifiers",
    license_spdx="LGPL-2.1",
    files={
        "README.md": _src(
            """
            # sentiment-toolkit

            ```python
            from sentiment_toolkit import finetune
            ```
            """
        ),
        "LICENSE": _LGPL21_TEXT,
        "sentiment_toolkit/__init__.py": "from .finetune import finetune\n",
        "sentiment_toolkit/finetune.py": "def finetune(model_id: str, dataset_id: str) -> str:\n"
        '    return f"{model_id}-finetuned-on-{dataset_id}"\n',
        "setup.cfg": "[metadata]\nname = sentiment-toolkit\nversion = 1.3.0\n",
    },
    repo_id=640001002,
    created_at="2023-05-10T08:00:00Z",
    stargazers_count=128,
    forks_count=19,
    subscribers_count=7,
    open_issues_count=4,
    size_kb=96,
    history=(
        _c(
            "dana-lineage",
            "2023-05-10T08:05:00Z",
            "Initial import",
            _added("README.md", 4),
            _added("LICENSE", 502),
            _added("sentiment_toolkit/__init__.py", 1),
            _added("sentiment_toolkit/finetune.py", 2),
            _added("setup.cfg", 3),
        ),
        _pr(
            7,
            "Support IMDB",
            "sam-lineage",
            "2023-05-20T10:00:00Z",
            (
                _c(
                    "sam-lineage",
                    "2023-05-20T09:00:00Z",
                    "imdb loader",
                    ("sentiment_toolkit/finetune.py", 30, 1),
                ),
            ),
            reviews=(_rv("dana-lineage", "APPROVED", "2023-05-21T10:00:00Z"),),
            merged_at="2023-05-21T10:03:00Z",
            merged_by="dana-lineage",
        ),
        _c("dana-lineage", "2023-08-10T10:00:00Z", "Bump to 1.2.0", ("setup.cfg", 1, 1)),
        _pr(
            9,
            "Label smoothing",
            "sam-lineage",
            "2024-01-05T10:00:00Z",
            (
                _c(
                    "sam-lineage",
                    "2024-01-05T09:00:00Z",
                    "label smoothing",
                    ("sentiment_toolkit/finetune.py", 12, 3),
                ),
            ),
            merged_at="2024-01-06T10:00:00Z",
            merged_by="sam-lineage",
        ),
        _c("dana-lineage", "2024-01-08T10:00:00Z", "Bump to 1.3.0", ("setup.cfg", 1, 1)),
    ),
    tags=(TagSpec("v1.2.0", 2), TagSpec("1.3.0", 4)),
    releases=(
        ReleaseSpec("v1.2.0", "v1.2.0", "2023-08-10T10:30:00Z", author="dana-lineage"),
        ReleaseSpec(
            "1.3.0",
            "1.3.0 (preview)",
            "2024-01-08T10:30:00Z",
            prerelease=True,
            author="dana-lineage",
        ),
    ),
)

_SQL_LORA = GitHubRepo(
    full_name="lineage-lab/sql-lora-recipes",
    edge_case="no license at all (license null, /license 404), direct pushes only",
    description="LoRA recipes for text-to-SQL",
    license_spdx=None,
    files={
        "README.md": "# sql-lora-recipes\n\nNo license has been chosen yet.\n",
        "train_lora.py": _src(
            """
            LORA_RANK = 8


            def config() -> dict[str, int]:
                return {"r": LORA_RANK}
            """
        ),
    },
    repo_id=640001003,
    created_at="2024-06-01T08:00:00Z",
    stargazers_count=3,
    forks_count=0,
    subscribers_count=1,
    open_issues_count=0,
    size_kb=8,
    history=(
        _c(
            "dana-lineage",
            "2024-06-01T08:05:00Z",
            "first",
            _added("README.md", 3),
            _added("train_lora.py", 5),
        ),
        _c("dana-lineage", "2024-06-09T18:00:00Z", "tune rank", ("train_lora.py", 1, 1)),
    ),
)

_TINY_LLM_TRAIN = GitHubRepo(
    full_name="arnir0/tiny-llm-train",
    edge_case="custom license text GitHub cannot classify (spdx_id NOASSERTION)",
    description="Training code for Tiny-LLM",
    license_spdx="NOASSERTION",
    files={
        "README.md": "# tiny-llm-train\n\n```shell\npython train.py\n```\n",
        "LICENSE": _CUSTOM_LICENSE_TEXT,
        "train.py": _src(
            """
            def main() -> None:
                print("training")


            if __name__ == "__main__":
                main()
            """
        ),
    },
    repo_id=780001001,
    created_at="2024-04-01T08:00:00Z",
    stargazers_count=11,
    forks_count=2,
    subscribers_count=1,
    open_issues_count=0,
    size_kb=12,
    history=(
        _c("arnir0", "2024-04-01T08:10:00Z", "init", _added("README.md", 5), _added("LICENSE", 5)),
        _c("arnir0", "2024-04-02T08:10:00Z", "training loop", _added("train.py", 6)),
    ),
)

GITHUB_REPOS: tuple[GitHubRepo, ...] = (
    _BERT,
    _WHISPER,
    _MINILM_TRAINING,
    _SENTIMENT_TOOLKIT,
    _SQL_LORA,
    _TINY_LLM_TRAIN,
)

LICENSE_TEXTS: dict[str, str] = {
    "Apache-2.0": _APACHE_TEXT,
    "MIT": _MIT_TEXT,
    "GPL-3.0": _GPL3_TEXT,
    "LGPL-2.1": _LGPL21_TEXT,
    "NOASSERTION": _CUSTOM_LICENSE_TEXT,
}
