"""The one sandbox for every program the registry runs on a user's behalf.

Card demos (scoring's reproducibility metric) today, download monitors (``node`` programs)
next: a command, its arguments, files copied into its own directory, limits and a network
policy in; an exit code, capped output and an ``Outcome`` out. The wall is the operating
system's (bubblewrap namespaces, a dedicated uid, rlimits); docs/security/sandbox.md says
which wall each deployment gets.
"""

from .isolation import SANDBOX_USER, Identity, available_levels
from .model import (
    GIB,
    KIB,
    MIB,
    PROXY_PORT,
    Isolation,
    Limits,
    NetworkPolicy,
    Outcome,
    SandboxRequest,
    SandboxResult,
)
from .remote import RemoteSandbox, SandboxRunner, build_runner_app, configured_sandbox
from .runner import Sandbox, SandboxOptions

__all__ = [
    "GIB",
    "KIB",
    "MIB",
    "PROXY_PORT",
    "SANDBOX_USER",
    "Identity",
    "Isolation",
    "Limits",
    "NetworkPolicy",
    "Outcome",
    "RemoteSandbox",
    "Sandbox",
    "SandboxOptions",
    "SandboxRequest",
    "SandboxResult",
    "SandboxRunner",
    "available_levels",
    "build_runner_app",
    "configured_sandbox",
]
