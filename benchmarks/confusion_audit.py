"""Package-confusion audit benchmark: how long one audit takes over 100,000 artifacts.

    uv run python -m benchmarks.confusion_audit [--artifacts 100000] [--database-url URL]

Seeds a fresh catalog (SQLite in a temporary directory, as embedded mode runs, unless
`--database-url` names another empty database) through the ingest migrations: `--artifacts`
generated names (model families x sizes x variants x one of 2,000 made-up words, so nearly
every name is distinct: the worst case, as the audit works per distinct name), Zipf-like
download and search counts, 1% planted typosquats of popular names (typos, homoglyphs,
separators, affixes, reordering), and bot-farm traffic (three brand-new accounts, 40
downloads each, in the download audit) on 50 of them plus honest traffic on their originals.

Then it times the production use case (`ConfusionAudit.report`, the code behind
`GET /audit/package-confusion`) cold (empty name cache: what the first audit after a start
pays) and warm (`--reps` more runs), and prints the stages, the pairs found and how many of
the planted squats were listed. A script that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import insert

from registry_common.db import create_engine, run_migrations, session_factory
from registry_ingest.app import MIGRATIONS
from registry_ingest.confusion import names
from registry_ingest.confusion.audit import ConfusionAudit
from registry_ingest.confusion.scoring import AuditSettings
from registry_ingest.popularity import Popularity
from registry_ingest.tables import ArtifactRow, AuditRow, PopularityRow

SEED = 20261207
FAMILIES = (
    "bert", "roberta", "distilbert", "albert", "electra", "deberta", "t5", "flan-t5", "bart",
    "pegasus", "gpt2", "gpt-neo", "opt", "bloom", "falcon", "mistral", "mixtral", "qwen",
    "phi", "llama", "gemma", "whisper", "wav2vec2", "hubert", "clip", "vit", "deit", "swin",
    "convnext", "resnet", "efficientnet", "yolo", "detr", "sam", "stable-diffusion", "blip",
)  # fmt: skip
SIZES = ("tiny", "mini", "small", "base", "medium", "large", "xl", "7b", "13b", "70b")
VARIANTS = ("uncased", "cased", "instruct", "chat", "finetuned", "distilled", "v2", "en")
SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "zu", "be", "da", "fo", "gi")
CYRILLIC = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "c": "\u0441", "p": "\u0440"}
BOT_FARMS = 50
BOT_DOWNLOADS = 40
INSERT_BATCH = 5000


def emit(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _words(rng: random.Random, count: int) -> list[str]:
    words: set[str] = set()
    while len(words) < count:
        words.add("".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))))
    return sorted(words)


def _squat(name: str, rng: random.Random) -> str:
    trick = rng.randrange(6)
    if trick == 0 and len(name) > 6:  # drop a letter
        i = rng.randrange(2, len(name) - 1)
        return name[:i] + name[i + 1 :] if name[i].isalpha() else name + "x"
    if trick == 1:  # a look-alike letter
        spots = [i for i, ch in enumerate(name) if ch in CYRILLIC]
        if spots:
            i = rng.choice(spots)
            return name[:i] + CYRILLIC[name[i]] + name[i + 1 :]
    if trick == 2:
        return name.replace("-", "_")
    if trick == 3:
        return f"{name}-{rng.choice(('official', 'pro', 'v2', 'latest'))}"
    if trick == 4 and name.count("-") >= 2:
        parts = name.split("-")
        return "-".join(reversed(parts))
    return f"py{name.replace('-', '')}"


def generate(count: int) -> tuple[list[dict[str, Any]], list[int]]:
    """Artifact rows (name, downloads, searches) and the positions of the planted squats."""
    rng = random.Random(SEED)
    vocabulary = _words(rng, 2000)
    squat_count = count // 100
    honest = count - squat_count
    names_seen: set[str] = set()
    rows: list[dict[str, Any]] = []
    while len(rows) < honest:
        name = "-".join(
            (
                rng.choice(FAMILIES),
                rng.choice(SIZES),
                rng.choice(VARIANTS),
                rng.choice(vocabulary),
            )
        )
        if name in names_seen:
            continue
        names_seen.add(name)
        rank = len(rows) + 1
        rows.append(
            {
                "name": name,
                "downloads": int(20_000 / rank**0.9),
                "searches": int(50_000 / rank**0.8),
            }
        )
    squats: list[int] = []
    for _ in range(squat_count):
        target = rows[int(rng.paretovariate(1.2)) % 1000]  # squatters copy the popular
        name = _squat(target["name"], rng)
        if name in names_seen:
            continue
        names_seen.add(name)
        squats.append(len(rows))
        rows.append({"name": name, "downloads": rng.randrange(4), "searches": rng.randrange(3)})
    order = list(range(len(rows)))
    rng.shuffle(order)  # catalog order is upload order, not popularity
    positions = {old: new for new, old in enumerate(order)}
    return [rows[i] for i in order], sorted(positions[s] for s in squats)


async def seed(url: str, rows: list[dict[str, Any]], squats: list[int]) -> None:
    engine = create_engine(url)
    await run_migrations(engine, MIGRATIONS, version_table="alembic_ingest")
    epoch = datetime(2026, 1, 1, tzinfo=UTC)
    rng = random.Random(SEED + 1)
    async with engine.begin() as conn:
        for start in range(0, len(rows), INSERT_BATCH):
            batch = rows[start : start + INSERT_BATCH]
            await conn.execute(
                insert(ArtifactRow),
                [
                    {
                        "id": f"id{start + i}",
                        "name": row["name"],
                        "type": "model",
                        "status": "ready",
                        "revision": 1,
                        "source_url": f"upload://{row['name']}.zip",
                        "source_kind": "upload",
                        "versions": [],
                        "details": {},
                        "content_bytes": 0,
                        "bundle_bytes": 0,
                        "uploader": "bench",
                        "created_at": epoch + timedelta(minutes=start + i),
                        "updated_at": epoch + timedelta(minutes=start + i),
                    }
                    for i, row in enumerate(batch)
                ],
            )
            await conn.execute(
                insert(PopularityRow),
                [
                    {
                        "artifact_id": f"id{start + i}",
                        "downloads": row["downloads"],
                        "search_appearances": row["searches"],
                    }
                    for i, row in enumerate(batch)
                ],
            )
        # Bot farms on the first BOT_FARMS squats: 3 accounts made a minute before, 40
        # downloads each a second apart. Their counters say so too.
        now = datetime(2026, 6, 1, tzinfo=UTC)
        audit_rows = []
        for farm, position in enumerate(squats[:BOT_FARMS]):
            for account in range(3):
                created = now - timedelta(minutes=1)
                for n in range(BOT_DOWNLOADS):
                    audit_rows.append(
                        {
                            "artifact_id": f"id{position}",
                            "artifact_name": rows[position]["name"],
                            "artifact_type": "model",
                            "action": "DOWNLOAD",
                            "user_name": f"bot{farm}-{account}",
                            "user_is_admin": False,
                            "at": now + timedelta(seconds=account * BOT_DOWNLOADS + n),
                            "user_created_at": created,
                        }
                    )
            rows[position]["downloads"] += 3 * BOT_DOWNLOADS
            await conn.execute(
                PopularityRow.__table__.update()  # type: ignore[attr-defined]
                .where(PopularityRow.__table__.c.artifact_id == f"id{position}")
                .values(downloads=rows[position]["downloads"])
            )
        for start in range(0, len(audit_rows), INSERT_BATCH):
            await conn.execute(insert(AuditRow), audit_rows[start : start + INSERT_BATCH])
        del rng
    await engine.dispose()


async def measure(url: str, squats: list[int], reps: int) -> None:
    engine = create_engine(url)
    popularity = Popularity(session_factory(engine), structlog.get_logger(), 3600.0)
    audit = ConfusionAudit(popularity, AuditSettings(), structlog.get_logger())
    started = time.perf_counter()
    stats = await popularity.stats()
    load = time.perf_counter() - started
    names.forms.cache_clear()
    cpu = time.process_time()
    cold = await audit.report()
    cold_cpu = time.process_time() - cpu
    warm, warm_cpu = [], []
    for _ in range(reps):
        cpu = time.process_time()
        warm.append((await audit.report()).seconds)
        warm_cpu.append(time.process_time() - cpu)
    await audit.page(0, 50)  # computes and keeps the report
    page_started = time.perf_counter()
    page = await audit.page(50, 50)
    page_seconds = time.perf_counter() - page_started
    planted = {f"id{p}" for p in squats}
    listed = {s.artifact.id for s in cold.suspects}
    farms = {f"id{p}" for p in squats[:BOT_FARMS]}
    load1, load5, _ = os.getloadavg()
    emit(f"machine: {os.cpu_count()} cores, load average {load1:.1f} (1 min) {load5:.1f} (5 min)")
    emit(f"artifacts audited:              {cold.artifacts:,}")
    emit(f"popular compared against:       {cold.compared_against:,} (top K)")
    emit(f"loading the counters (1 query): {load * 1000:.0f} ms wall")
    emit(
        f"audit, cold (empty name cache): {cold.seconds * 1000:.0f} ms wall, "
        f"{cold_cpu * 1000:.0f} ms CPU"
    )
    emit(
        f"audit, warm ({reps} runs):         median {statistics.median(warm) * 1000:.0f} ms "
        f"wall, {statistics.median(warm_cpu) * 1000:.0f} ms CPU; max "
        f"{max(warm) * 1000:.0f} ms wall"
    )
    emit(f"next page from the kept report:  {page_seconds * 1000:.1f} ms")
    emit(
        f"suspects listed: {len(listed):,}; planted squats listed {len(planted & listed):,} "
        f"of {len(planted):,}; bot farms listed {len(farms & listed)} of {len(farms)}; "
        f"listed but not planted {len(listed - planted):,}"
    )
    top = (await audit.page(0, 1))["items"]
    emit(f"top suspect: {top[0]['artifact']['name']!r}: {top[0]['reasons'] if top else None}")
    await engine.dispose()
    del stats, page


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--artifacts", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--database-url", help="an empty database (default: SQLite in a tmp dir)")
    args = parser.parse_args()
    rows, squats = generate(args.artifacts)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'catalog.db'}"
        started = time.perf_counter()
        await seed(url, rows, squats)
        emit(f"seeded {len(rows):,} artifacts in {time.perf_counter() - started:.1f} s")
        await measure(url, squats, args.reps)


if __name__ == "__main__":
    asyncio.run(main())
