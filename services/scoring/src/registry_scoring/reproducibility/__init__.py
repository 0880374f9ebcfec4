"""Reproducibility metric: extract a model card's demo code and run it in a sandbox (R3)."""

from .extract import extract_demo_code
from .metric import ReproducibilityResult, reproducibility, sandbox_semaphore
from .repairs import RULES, RepairStep, repair
from .sandbox import RunFailure, RunOutcome, SandboxConfig, run_program

__all__ = [
    "RULES",
    "RepairStep",
    "ReproducibilityResult",
    "RunFailure",
    "RunOutcome",
    "SandboxConfig",
    "extract_demo_code",
    "repair",
    "reproducibility",
    "run_program",
    "sandbox_semaphore",
]
