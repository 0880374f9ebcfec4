"""The reproducibility metric: does the model card's demo code run?

1.0 it runs as written; 0.5 it runs after automatic repairs (``repairs.RULES``); 0.0 there is no
demo code, or it still fails. Each run happens in the sandbox (``sandbox.run_program``); at
most ``max_repair_rounds`` repairs are tried, each driven by the previous run's failure.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from dataclasses import dataclass, field, replace
from typing import Any

from registry_common.sandbox import SandboxRunner

from .extract import extract_demo_code
from .repairs import RULES, RepairRule, repair
from .sandbox import RunOutcome, SandboxConfig, run_program

__all__ = [
    "DEFAULT_MAX_CONCURRENT_SANDBOXES",
    "ReproducibilityResult",
    "reproducibility",
    "sandbox_semaphore",
]

DEFAULT_MAX_CONCURRENT_SANDBOXES = 2
"""Sandboxes running at once per event loop (this host has 2 cores; each run may use 2 GiB)."""

_SEMAPHORES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True)
class ReproducibilityResult:
    value: float  # 0.0, 0.5 or 1.0
    latency: float  # seconds
    detail: dict[str, Any] = field(default_factory=dict)


def sandbox_semaphore() -> asyncio.Semaphore:
    """The shared bound on concurrent sandboxes of the running event loop.

    A burst of uploads queues here instead of starting one interpreter per upload. One
    semaphore per loop because an ``asyncio.Semaphore`` belongs to the loop that first waits
    on it.
    """
    loop = asyncio.get_running_loop()
    semaphore = _SEMAPHORES.get(loop)
    if semaphore is None:
        semaphore = _SEMAPHORES[loop] = asyncio.Semaphore(DEFAULT_MAX_CONCURRENT_SANDBOXES)
    return semaphore


def _run_detail(outcome: RunOutcome) -> dict[str, Any]:
    return {
        "ok": outcome.ok,
        "duration": round(outcome.duration, 3),
        "failure": outcome.failure.summary() if outcome.failure else None,
        "isolation": outcome.isolation,
    }


async def reproducibility(
    readme: str | None,
    *,
    hub_endpoint: str,
    timeout: float = 30,
    max_repair_rounds: int = 3,
    semaphore: asyncio.Semaphore | None = None,
    config: SandboxConfig | None = None,
    rules: tuple[RepairRule, ...] = RULES,
    sandbox: SandboxRunner | None = None,
) -> ReproducibilityResult:
    """Score the demo code of ``readme`` (the model card) by running it in the sandbox.

    ``config`` overrides the sandbox settings (its ``hub_endpoint``/``timeout`` are replaced by
    the arguments); ``semaphore`` overrides the shared concurrency bound; ``sandbox`` is the
    registry's sandbox (its wall: isolation level, uid, hidden paths) the runs go through.
    """
    started = time.perf_counter()
    program = extract_demo_code(readme)
    if program is None:
        return ReproducibilityResult(
            0.0, time.perf_counter() - started, {"reason": "no demo code in the model card"}
        )
    settings = replace(config or SandboxConfig(hub_endpoint), hub_endpoint=hub_endpoint)
    settings = replace(settings, timeout=timeout)
    limiter = semaphore if semaphore is not None else sandbox_semaphore()

    async def run(source: str) -> RunOutcome:
        async with limiter:
            return await run_program(source, settings, sandbox)

    source = program
    outcome = await run(source)
    runs = [_run_detail(outcome)]
    repairs: list[dict[str, str]] = []
    seen = {source}
    while not outcome.ok and outcome.failure is not None and len(repairs) < max_repair_rounds:
        step = repair(source, outcome.failure, rules)
        if step is None or step.source in seen:
            break
        seen.add(step.source)
        repairs.append({"rule": step.rule, "change": step.change})
        source = step.source
        outcome = await run(source)
        runs.append(_run_detail(outcome))

    detail: dict[str, Any] = {
        "code_lines": len(program.splitlines()),
        "runs": runs,
        "repairs": repairs,
    }
    if outcome.ok and not repairs:
        value, detail["reason"] = 1.0, "demo code runs as written"
    elif outcome.ok:
        value, detail["reason"] = 0.5, "demo code runs after automatic repair"
        detail["repaired_code"] = source
    else:
        value, detail["reason"] = 0.0, "demo code fails"
        detail["failure"] = outcome.failure.summary() if outcome.failure else "unknown"
        if outcome.failure is not None:
            detail["failure_type"] = outcome.failure.exc_type
    return ReproducibilityResult(value, time.perf_counter() - started, detail)
