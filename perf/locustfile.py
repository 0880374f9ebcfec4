"""The 100-client download scenario (issue 19): each simulated user holds its own token (one
line of PERF_TOKENS each, handed out in order) and downloads the PERF_MODEL_ID bundle back to
back; a download counts as failed unless it is a 200 of exactly PERF_EXPECTED_BYTES bytes.

Run by perf/run.py (`make perf`) as a subprocess, headless and time-bounded, e.g.
    PERF_TOKENS=.perf/tokens.txt PERF_MODEL_ID=123 PERF_EXPECTED_BYTES=26302174 \\
    locust -f perf/locustfile.py --headless -u 100 -r 100 -t 20s --host http://127.0.0.1:8000
"""

from __future__ import annotations

import itertools
import os
import threading
from pathlib import Path

from locust import FastHttpUser, task

_TOKENS = [t for t in Path(os.environ["PERF_TOKENS"]).read_text().split("\n") if t]
_NEXT = itertools.count()
_LOCK = threading.Lock()
MODEL_ID = os.environ["PERF_MODEL_ID"]
EXPECTED = int(os.environ["PERF_EXPECTED_BYTES"])


class Downloader(FastHttpUser):
    # Back to back, no think time: the scenario measures the server, not users' habits.
    connection_timeout = 30.0
    network_timeout = 120.0

    def on_start(self) -> None:
        with _LOCK:
            index = next(_NEXT)
        self.token = _TOKENS[index % len(_TOKENS)]

    @task
    def download(self) -> None:
        with self.client.get(
            f"/artifacts/model/{MODEL_ID}/download",
            headers={"X-Authorization": self.token},
            name="/artifacts/model/{id}/download",
            catch_response=True,
        ) as response:
            size = len(response.content or b"")
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif size != EXPECTED:
                response.failure(f"{size} bytes, expected {EXPECTED}")
            else:
                response.success()
