"""Deployment settings: CDK context values (`-c key=value` or `context` in cdk.json) with
defaults sized for a small, cheap, still highly available-enough registry.

Everything that differs between two deployments of the same commit lives here; what varies
per deploy of the same stack (the image tag) is a CloudFormation parameter instead, so the
synthesized template is one reusable artifact. docs/deploy.md lists every key.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from registry_deploy.topology import BY_NAME, SERVICES

# Fargate's valid CPU units -> memory (MiB) combinations we allow.
_FARGATE_MEMORY = {
    256: range(512, 2049, 512),
    512: range(1024, 4097, 1024),
    1024: range(2048, 8193, 1024),
    2048: range(4096, 16385, 1024),
    4096: range(8192, 30721, 1024),
}
# Settings that are secrets come from Secrets Manager, never from plain task environment.
_SECRET_SETTINGS = {
    "AUTH_TOKEN_SECRET",
    "AUTH_INITIAL_ADMIN_PASSWORD",
    "REGISTRY_DATABASE_PASSWORD",
    "REGISTRY_INTERNAL_TOKEN",
    "REGISTRY_DATABASE_URL",
    "REGISTRY_GITHUB_TOKEN",
    "GITHUB_TOKEN",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
}
_NAME = re.compile(r"^[a-z][a-z0-9-]{1,20}$")


@dataclass(frozen=True)
class TaskSize:
    cpu: int
    memory_mib: int
    min_tasks: int = 1
    max_tasks: int = 1

    def validate(self, service: str) -> None:
        allowed = _FARGATE_MEMORY.get(self.cpu)
        if allowed is None or self.memory_mib not in allowed:
            raise ValueError(
                f"{service}: {self.cpu} CPU units with {self.memory_mib} MiB is not a Fargate "
                "task size (e.g. 256/512, 512/1024, 1024/2048)"
            )
        if not 1 <= self.min_tasks <= self.max_tasks:
            raise ValueError(f"{service}: need 1 <= min_tasks <= max_tasks")


def _default_sizes() -> dict[str, TaskSize]:
    # The ADOT sidecar takes 256 MiB of each task's memory (see services.py).
    return {
        "gateway": TaskSize(512, 1024, 1, 4),
        "auth": TaskSize(256, 1024, 1, 2),
        "ingest": TaskSize(512, 2048, 1, 3),
        # The reproducibility sandbox runs at most two card programs at once (2 GiB cap each).
        "scoring": TaskSize(1024, 4096, 1, 3),
        "lineage": TaskSize(256, 1024, 1, 3),
        "health": TaskSize(256, 1024, 1, 1),
    }


@dataclass(frozen=True)
class DeploymentConfig:
    # Names: the SNS/SQS prefix (REGISTRY_BUS_PREFIX), the ECR repositories
    # (<prefix>/<service>), log groups (/<prefix>/<service>), the dashboard.
    prefix: str = "registry"
    # Network: 2 AZs (the load balancer and RDS subnet group need two); one NAT gateway
    # shared by both AZs, or 0 to run tasks in public subnets with public IPs (cheaper, still
    # closed by security groups: only the load balancer can reach the gateway).
    max_azs: int = 2
    nat_gateways: int = 1
    # HTTPS on the load balancer when an ACM certificate is given (HTTP then redirects).
    certificate_arn: str | None = None
    # The registry's public base URL when a DNS name points at the load balancer (the
    # health feed's links); unset: the load balancer's own name.
    public_url: str | None = None
    # Database.
    db_instance_class: str = "t4g.micro"
    db_allocated_storage_gib: int = 20
    db_max_allocated_storage_gib: int = 100
    db_multi_az: bool = False
    db_backup_retention_days: int = 7
    # Production data survives `cdk destroy` (bucket retained, database snapshotted) and a
    # stack deletion needs the database's deletion protection switched off first.
    retain_data: bool = True
    # Storage: previous versions of overwritten or deleted bundles are kept this long.
    noncurrent_version_days: int = 30
    # Telemetry.
    log_retention_days: int = 30
    adot_image: str = "public.ecr.aws/aws-observability/aws-otel-collector:v0.49.0"
    # Alarms and the monthly budget notify this address (and the alarm topic).
    alarm_email: str | None = None
    monthly_budget_usd: int = 250
    # Capacity: FARGATE_SPOT for the event workers (scoring, lineage) cuts their cost by
    # ~70 %; an interrupted handler's message is simply redelivered.
    spot_workers: bool = False
    task_sizes: dict[str, TaskSize] = field(default_factory=_default_sizes)
    # Optional: an existing Secrets Manager secret (name) holding a GitHub token, for higher
    # GitHub API rate limits (ingest, scoring, lineage, health).
    github_token_secret_name: str | None = None
    # Optional: an existing Secrets Manager secret (name, a plain string) holding the default
    # admin's initial password; unset, the contract's well-known password applies.
    initial_admin_password_secret_name: str | None = None
    # S3 downloads as redirects to presigned URLs instead of streaming through the gateway.
    download_redirect: bool = False
    # The gateway's shape (R22; docs/performance.md, "Configuration matrix"): "fargate", a
    # service of always-on tasks behind the load balancer, or "lambda", a function the load
    # balancer invokes per request (pay per request, cold starts, a 6 MB response ceiling,
    # so downloads are always presigned redirects there).
    gateway_shape: str = "fargate"
    # Lambda memory in MB; CPU is proportional (1,769 MB = one vCPU).
    gateway_lambda_memory_mib: int = 1769
    # Extra plain settings per service, e.g. {"ingest": {"INGEST_GATE_ENABLED": "true"}}.
    extra_env: dict[str, dict[str, str]] = field(default_factory=dict)
    # ECS Exec (a shell in a running container) for debugging; off: it widens the task role.
    enable_exec: bool = False

    def __post_init__(self) -> None:
        if self.gateway_shape not in ("fargate", "lambda"):
            raise ValueError(f"gateway_shape: fargate or lambda, not {self.gateway_shape!r}")
        if not 128 <= self.gateway_lambda_memory_mib <= 10240:
            raise ValueError("gateway_lambda_memory_mib: Lambda allows 128-10240 MB")
        if not _NAME.match(self.prefix):
            raise ValueError("prefix: 2-21 characters, lower-case letters, digits and '-'")
        if not 2 <= self.max_azs <= 3:
            raise ValueError("max_azs must be 2 or 3 (the load balancer and RDS need two)")
        if not 0 <= self.nat_gateways <= self.max_azs:
            raise ValueError("nat_gateways must be between 0 and max_azs")
        if self.db_allocated_storage_gib < 20:
            raise ValueError("db_allocated_storage_gib: RDS PostgreSQL needs at least 20")
        if self.db_max_allocated_storage_gib < self.db_allocated_storage_gib:
            raise ValueError("db_max_allocated_storage_gib must be >= db_allocated_storage_gib")
        if self.monthly_budget_usd <= 0:
            raise ValueError("monthly_budget_usd must be positive")
        missing = set(BY_NAME) - set(self.task_sizes)
        if missing:
            raise ValueError(f"task_sizes: no size for {sorted(missing)}")
        for name, size in self.task_sizes.items():
            if name not in BY_NAME:
                raise ValueError(f"task_sizes: unknown service {name!r}")
            size.validate(name)
            if not BY_NAME[name].scalable and size.max_tasks != 1:
                raise ValueError(f"task_sizes: {name} keeps state in memory and runs once")
        for name, env in self.extra_env.items():
            if name not in BY_NAME:
                raise ValueError(f"extra_env: unknown service {name!r}")
            for key in env:
                if key.upper() in _SECRET_SETTINGS:
                    raise ValueError(
                        f"extra_env: {key} is a secret; it comes from Secrets Manager "
                        "(docs/deploy.md), never from plain task environment"
                    )

    @property
    def egress_via_nat(self) -> bool:
        return self.nat_gateways > 0

    @classmethod
    def from_context(cls, get: Callable[[str], Any]) -> DeploymentConfig:
        """Read every field from CDK context (`node.try_get_context`); values given on the
        command line arrive as strings and are converted to the field's type."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = get(f.name)
            if raw is None:
                continue
            values[f.name] = _convert(f.name, raw, f.type)
        return cls(**values)

    def with_overrides(self, **changes: Any) -> DeploymentConfig:
        return dataclasses.replace(self, **changes)


def _convert(name: str, raw: Any, annotation: Any) -> Any:
    kind = str(annotation)
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("true", "1", "yes"):
            return True
        if text in ("false", "0", "no"):
            return False
        raise ValueError(f"{name}: expected true or false, got {raw!r}")
    if kind == "int":
        return int(raw)
    if kind == "str | None":
        text = str(raw).strip()
        return text or None
    if kind == "str":
        return str(raw)
    if kind == "dict[str, TaskSize]":
        parsed = _json(name, raw)
        sizes = _default_sizes()
        for service, size in parsed.items():
            base = dataclasses.asdict(sizes.get(service, TaskSize(256, 512)))
            sizes[service] = TaskSize(**{**base, **size})
        return sizes
    if kind == "dict[str, dict[str, str]]":
        parsed = _json(name, raw)
        return {svc: {str(k): str(v) for k, v in env.items()} for svc, env in parsed.items()}
    raise TypeError(f"{name}: unsupported setting type {kind}")  # a bug in this module


def _json(name: str, raw: Any) -> dict[str, Any]:
    value = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(value, Mapping):
        raise ValueError(f"{name}: expected a JSON object")
    return dict(value)


SERVICE_NAMES = tuple(spec.name for spec in SERVICES)
