"""The whole experiment of issue 19 in one command (`make perf`): workload, runs, table.

1. the perf fake Hub and GitHub (perf.hub), the registry (`python -m registry_launcher`, as
   `make run` starts it) in a fresh data directory, seeded through the API (perf.seed);
   with `--compare REF` a second registry built from git revision REF, seeded the same way;
2. the references on the same machine: nginx (Debian, sendfile, 2 workers) serving the same
   bundle file, and a bare FastAPI + uvicorn app answering the same JSON from memory and the
   same file through FileResponse (perf.bare_app);
3. wrk rounds, interleaved (every round runs every target once, in turn, so slow drifts of the
   shared machine's load hit all targets alike), 100 connections, each request its own
   client's token; the registry's CPU seconds per request read from /proc (load-independent);
4. Locust, 100 users each with its own token, every download checked for status and size;
5. prints the tables with ratios to nginx / the bare app, and writes `<out>/results.json`.

Everything listens on 127.0.0.1, every run is bounded by its duration, and every process this
script starts is stopped when it ends (also on Ctrl-C or an error).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SERVICES = ("gateway", "auth", "ingest", "scoring", "lineage", "health")
SRC_DIRS = ("libs/common/src", "launcher/src", *(f"services/{s}/src" for s in SERVICES))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its reaped children, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(v) for v in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__()


@contextmanager
def process(args: list[str], *, env: dict[str, str] | None = None, log: Path) -> Iterator[Any]:
    with log.open("w") as out:
        proc = subprocess.Popen(
            args, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.PIPE, cwd=ROOT
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_http(url: str, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


@contextmanager
def fake_hub(models: int, out: Path) -> Iterator[tuple[str, str]]:
    log = out / "hub.log"
    proc = subprocess.Popen(
        [PYTHON, "-m", "perf.hub", "--models", str(models)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().split()
        if len(line) != 4:
            raise RuntimeError(f"the fake hub did not start (see {log})")
        yield line[1], line[3]
    finally:
        assert proc.stdin is not None
        proc.stdin.close()  # its signal to stop
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def source_tree(ref: str, into: Path) -> Path:
    """The registry's sources at git revision `ref`, exported (not checked out) into `into`."""
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "archive", ref, "libs", "services", "launcher"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


@contextmanager
def registry(
    name: str, hub: tuple[str, str], out: Path, source: Path | None
) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "REGISTRY_DATA_DIR": str(out / f"data-{name}"),
        "HF_ENDPOINT": hub[0],
        "GITHUB_API_URL": hub[1],
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "REGISTRY_LOG_LEVEL": "WARNING",
    }
    if source is not None:
        # The other revision's packages come first on the path, ahead of this checkout's.
        env["PYTHONPATH"] = os.pathsep.join(str(source / d) for d in SRC_DIRS)
    with process(
        [PYTHON, "-m", "registry_launcher"], env=env, log=out / f"registry-{name}.log"
    ) as proc:
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/health")
        yield url, proc.pid


NGINX_CONF = """
worker_processes 2;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
daemon off;
user root;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  server {{
    listen 127.0.0.1:{port};
    root {dir};
    location /artifacts/model/ {{
      default_type application/zip;
      try_files /{file} =404;
    }}
  }}
}}
"""


@contextmanager
def nginx(file: Path, out: Path) -> Iterator[str]:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        raise SystemExit("nginx is missing: run `make perf-tools` (Debian's nginx-light and wrk)")
    port = free_port()
    conf = out / "nginx.conf"
    conf.write_text(NGINX_CONF.format(dir=file.parent, port=port, file=file.name))
    with process([binary, "-p", str(out), "-c", str(conf)], log=out / "nginx.log"):
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/artifacts/model/x/download", 10)
        yield url


@dataclass
class WrkResult:
    target: str
    route: str
    round: int
    requests: int = 0
    rps: float = 0.0
    mb_per_s: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0
    cpu_ms_per_request: float | None = None
    load: str = ""
    raw: str = field(default="", repr=False)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
_BYTES = {"B": 1e-6, "KB": 1.024e-3, "MB": 1.048576, "GB": 1073.741824}


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * _UNITS[unit]


def parse_wrk(raw: str, result: WrkResult) -> WrkResult:
    for pct, attr in (("50", "p50_ms"), ("99", "p99_ms")):
        found = re.search(rf"^\s+{pct}%\s+(\S+)", raw, re.M)
        if found:
            setattr(result, attr, _ms(found.group(1)))
    found = re.search(r"(\d+) requests in", raw)
    result.requests = int(found.group(1)) if found else 0
    found = re.search(r"Requests/sec:\s+([\d.]+)", raw)
    result.rps = float(found.group(1)) if found else 0.0
    found = re.search(r"Transfer/sec:\s+([\d.]+)(B|KB|MB|GB)", raw)
    result.mb_per_s = float(found.group(1)) * _BYTES[found.group(2)] if found else 0.0
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", raw))
    found = re.search(r"Non-2xx or 3xx responses: (\d+)", raw)
    result.errors = errors + (int(found.group(1)) if found else 0)
    return result


def wrk(
    url: str,
    tokens: Path,
    *,
    seconds: int,
    connections: int,
    method: str = "GET",
    body: str | None = None,
) -> str:
    args = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "60s",
        "--latency",
        "-s",
        str(ROOT / "perf" / "tokens.lua"),
        url,
        "--",
        str(tokens),
        method,
    ]
    if body is not None:
        args.append(body)
    return subprocess.run(args, capture_output=True, text=True, timeout=seconds + 90).stdout


def measure(
    target: str, route: str, rnd: int, url: str, tokens: Path, pid: int | None, **kwargs: Any
) -> WrkResult:
    before = cpu_seconds(pid) if pid else 0.0
    raw = wrk(url, tokens, **kwargs)
    result = parse_wrk(raw, WrkResult(target, route, rnd, load=loadavg(), raw=raw))
    if pid and result.requests:
        result.cpu_ms_per_request = round((cpu_seconds(pid) - before) * 1000 / result.requests, 3)
    print(
        f"  round {rnd} {target:<22} {route:<10} {result.rps:9.1f} req/s {result.mb_per_s:8.1f} "
        f"MB/s p50 {result.p50_ms:8.1f} ms p99 {result.p99_ms:8.1f} ms errors {result.errors}"
        + (f" cpu {result.cpu_ms_per_request} ms/req" if result.cpu_ms_per_request else ""),
        flush=True,
    )
    return result


def locust(
    url: str, tokens: Path, model_id: str, size: int, seconds: int, users: int, out: Path
) -> dict[str, Any]:
    prefix = out / f"locust-{abs(hash(url)) % 10000}"
    env = {
        **os.environ,
        "PERF_TOKENS": str(tokens),
        "PERF_MODEL_ID": model_id,
        "PERF_EXPECTED_BYTES": str(size),
    }
    subprocess.run(
        [
            PYTHON,
            "-m",
            "locust",
            "-f",
            str(ROOT / "perf" / "locustfile.py"),
            "--headless",
            "-u",
            str(users),
            "-r",
            str(users),
            "-t",
            f"{seconds}s",
            "--host",
            url,
            "--csv",
            str(prefix),
            "--only-summary",
            "--stop-timeout",
            "30",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        cwd=ROOT,
    )
    rows = list(_csv_rows(Path(f"{prefix}_stats.csv")))
    total = next((r for r in rows if r.get("Name") == "Aggregated"), {})
    return {
        "requests": int(total.get("Request Count", 0) or 0),
        "failures": int(total.get("Failure Count", 0) or 0),
        "rps": float(total.get("Requests/s", 0) or 0),
        "p50_ms": float(total.get("50%", 0) or 0),
        "p99_ms": float(total.get("99%", 0) or 0),
    }


def _csv_rows(path: Path) -> Iterator[dict[str, str]]:
    import csv

    if path.exists():
        with path.open() as handle:
            yield from csv.DictReader(handle)


def summarize(results: list[WrkResult], target: str, route: str) -> dict[str, Any]:
    mine = [r for r in results if r.target == target and r.route == route]

    def spread(attr: str) -> tuple[float, float, float]:
        values = [getattr(r, attr) or 0.0 for r in mine]
        return min(values), statistics.median(values), max(values)

    return {
        "rounds": len(mine),
        "rps": spread("rps"),
        "mb_per_s": spread("mb_per_s"),
        "p50_ms": spread("p50_ms"),
        "p99_ms": spread("p99_ms"),
        "errors": sum(r.errors for r in mine),
        "cpu_ms_per_request": spread("cpu_ms_per_request") if mine[0].cpu_ms_per_request else None,
    }


def _fmt(triple: tuple[float, float, float], digits: int = 1) -> str:
    low, mid, high = triple
    return f"{mid:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"


def print_tables(report: dict[str, Any]) -> None:
    d = report["download"]
    print("\n## Downloads (wrk, median of rounds, min-max in brackets)\n")
    print("| target | MB/s | req/s | p50 ms | p99 ms | errors | CPU ms/req | x nginx MB/s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    ref = d["nginx"]["mb_per_s"][1] or 1.0
    for target, row in d.items():
        cpu = _fmt(row["cpu_ms_per_request"], 2) if row["cpu_ms_per_request"] else "-"
        print(
            f"| {target} | {_fmt(row['mb_per_s'])} | {_fmt(row['rps'])} | {_fmt(row['p50_ms'], 0)} "
            f"| {_fmt(row['p99_ms'], 0)} | {row['errors']} | {cpu} "
            f"| {row['mb_per_s'][1] / ref:.2f} |"
        )
    print("\n## Metadata reads (wrk, each request its own client's token)\n")
    print("| route | target | req/s | p50 ms | p99 ms | errors | CPU ms/req | x bare FastAPI |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for route, targets in report["metadata"].items():
        bare = targets["bare-fastapi"]["rps"][1] or 1.0
        for target, row in targets.items():
            cpu = _fmt(row["cpu_ms_per_request"], 2) if row["cpu_ms_per_request"] else "-"
            print(
                f"| {route} | {target} | {_fmt(row['rps'])} | {_fmt(row['p50_ms'])} "
                f"| {_fmt(row['p99_ms'])} | {row['errors']} | {cpu} "
                f"| {row['rps'][1] / bare:.3f} |"
            )
    print("\n## Seeding through the API\n")
    for name, seed in report["seed"].items():
        print(
            f"- {name}: {seed['models_registered']}/{seed['models_requested']} models in "
            f"{seed['seconds']} s (p50 {seed['p50_seconds']} s per call, concurrency "
            f"{seed['concurrency']}, {seed['failure_count']} failures)"
        )
    if report.get("locust"):
        print("\n## Locust (100 users, own token each, status and size checked)\n")
        for name, row in report["locust"].items():
            print(
                f"- {name}: {row['requests']} downloads, {row['failures']} failures, "
                f"{row['rps']:.1f} req/s, p50 {row['p50_ms']:.0f} ms, p99 {row['p99_ms']:.0f} ms"
            )
    print(f"\nload average before/after: {report['load_before']} / {report['load_after']}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--models", type=int, default=500)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--download-seconds", type=int, default=20)
    parser.add_argument("--metadata-seconds", type=int, default=15)
    parser.add_argument("--locust-seconds", type=int, default=20, help="0: skip Locust")
    parser.add_argument("--seed-concurrency", type=int, default=16)
    parser.add_argument("--compare", metavar="REF", help="also run the registry at git REF")
    parser.add_argument("--out", type=Path, default=ROOT / ".perf")
    args = parser.parse_args()
    for tool in ("wrk",):
        if shutil.which(tool) is None:
            raise SystemExit("wrk is missing: run `make perf-tools` (Debian's wrk and nginx-light)")
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="run-", dir=args.out))
    os.chmod(work, 0o755)
    report: dict[str, Any] = {
        "args": {k: str(v) for k, v in vars(args).items()},
        "load_before": loadavg(),
        "seed": {},
    }
    results: list[WrkResult] = []
    with ExitStack() as stack:
        print(f"workspace {work}; load average {report['load_before']}", flush=True)
        hub = stack.enter_context(fake_hub(args.models, work))
        variants: dict[str, Path | None] = {"registry": None}
        if args.compare:
            variants[f"registry@{args.compare}"] = source_tree(args.compare, work / "baseline")
        registries: dict[str, tuple[str, int]] = {}
        seeded: dict[str, dict[str, Any]] = {}
        import asyncio

        from perf.seed import seed

        for name, source in variants.items():
            registries[name] = stack.enter_context(registry(name, hub, work, source))
            print(f"seeding {name} ...", flush=True)
            seeded[name] = asyncio.run(
                seed(
                    registries[name][0],
                    args.models,
                    args.clients,
                    args.seed_concurrency,
                    work / f"seed-{name}",
                )
            )
            report["seed"][name] = {k: v for k, v in seeded[name].items() if k != "ids"}
            print(f"  {report['seed'][name]}", flush=True)
        main_url = registries["registry"][0]
        tokens = work / "seed-registry" / "tokens.txt"
        big = seeded["registry"]["big_model_id"]
        bundle = work / "bundle.zip"
        token = tokens.read_text().splitlines()[0]
        headers = {"X-Authorization": token}
        with (
            httpx.stream(
                "GET", f"{main_url}/artifacts/model/{big}/download", headers=headers, timeout=300
            ) as response,
            bundle.open("wb") as handle,
        ):
            response.raise_for_status()
            for chunk in response.iter_bytes():
                handle.write(chunk)
        os.chmod(bundle, 0o644)
        bodies = {
            "artifact": httpx.get(f"{main_url}/artifacts/model/{big}", headers=headers).json(),
            "rate": httpx.get(f"{main_url}/artifact/model/{big}/rate", headers=headers).json(),
            "query": httpx.post(
                f"{main_url}/artifacts", headers=headers, json=[{"name": "tiny-llm-bundle"}]
            ).json(),
        }
        (work / "bodies.json").write_text(json.dumps(bodies))
        nginx_url = stack.enter_context(nginx(bundle, work))
        bare_port = free_port()
        stack.enter_context(
            process(
                [
                    PYTHON,
                    "-m",
                    "perf.bare_app",
                    "--port",
                    str(bare_port),
                    "--bodies",
                    str(work / "bodies.json"),
                    "--file",
                    str(bundle),
                ],
                log=work / "bare.log",
            )
        )
        bare_url = f"http://127.0.0.1:{bare_port}"
        wait_http(f"{bare_url}/docs")

        download_targets: list[tuple[str, str, int | None]] = [("nginx", nginx_url, None)]
        for name, (url, pid) in registries.items():
            download_targets.append((name, url, pid))
        download_targets.append(("bare-fastapi", bare_url, None))
        print("downloads:", flush=True)
        for rnd in range(1, args.rounds + 1):
            for target, url, pid in download_targets:
                ids = seeded.get(target, seeded["registry"])
                tok = work / f"seed-{target}" / "tokens.txt" if target in seeded else tokens
                results.append(
                    measure(
                        target,
                        "download",
                        rnd,
                        f"{url}/artifacts/model/{ids['big_model_id']}/download",
                        tok,
                        pid,
                        seconds=args.download_seconds,
                        connections=args.connections,
                    )
                )
        routes = {
            "GET /artifacts/model/{id}": ("GET", "/artifacts/model/{id}", None),
            "GET /artifact/model/{id}/rate": ("GET", "/artifact/model/{id}/rate", None),
            "POST /artifacts": ("POST", "/artifacts", '[{"name": "tiny-llm-bundle"}]'),
        }
        meta_targets = [(n, u, p) for n, u, p in download_targets if n != "nginx"]
        print("metadata:", flush=True)
        for rnd in range(1, args.rounds + 1):
            for route, (method, path, body) in routes.items():
                for target, url, pid in meta_targets:
                    ids = seeded.get(target, seeded["registry"])
                    tok = work / f"seed-{target}" / "tokens.txt" if target in seeded else tokens
                    results.append(
                        measure(
                            target,
                            route,
                            rnd,
                            url + path.format(id=ids["big_model_id"]),
                            tok,
                            pid,
                            seconds=args.metadata_seconds,
                            connections=args.connections,
                            method=method,
                            body=body,
                        )
                    )
        report["download"] = {t: summarize(results, t, "download") for t, _, _ in download_targets}
        report["metadata"] = {
            route: {t: summarize(results, t, route) for t, _, _ in meta_targets} for route in routes
        }
        if args.locust_seconds:
            print("locust:", flush=True)
            size = bundle.stat().st_size
            report["locust"] = {
                "registry": locust(
                    main_url, tokens, big, size, args.locust_seconds, args.clients, work
                ),
                "nginx": locust(
                    nginx_url, tokens, big, size, args.locust_seconds, args.clients, work
                ),
            }
        report["load_after"] = loadavg()
        report["runs"] = [{k: v for k, v in asdict(r).items() if k != "raw"} for r in results]
        (work / "results.json").write_text(json.dumps(report, indent=1))
        shutil.copy(work / "results.json", args.out / "results.json")
    print_tables(report)
    print(f"\nraw results: {args.out / 'results.json'} (run directory {work})")


if __name__ == "__main__":
    main()
