"""The registry's data-flow diagram and threat model, as code (OWASP pytm).

The model is generated from the code, not drawn by hand:

* the services and what they consume, publish, call, read and write come from
  ``deploy/registry_deploy/topology.py`` (the table the AWS stack derives every grant from,
  itself checked against the services' handlers by ``deploy/tests/test_topology.py``);
* the events on the bus come from ``registry_common.events.EVENT_TYPES``;
* the outbound endpoints come from ``RuntimeSettings`` (``HF_ENDPOINT``, ``GITHUB_API_URL``,
  ``REGISTRY_OTLP_ENDPOINT``, ...) and the internal base URLs from the gateway's and the health
  service's settings.

``tests/security/test_threat_model.py`` rebuilds the model and fails when the code grows an
element, event or endpoint the model does not show. Rendering needs graphviz (``dot``);
building and checking the model does not. ``make threat-model`` regenerates
``docs/security/dfd.{dot,svg,png}`` and ``docs/security/pytm-findings.md``.

    python docs/security/threat_model.py --dfd docs/security/dfd \
        --findings docs/security/pytm-findings.md
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# registry_deploy is not a workspace package (the CDK app puts deploy/ on its path the same way).
if str(ROOT / "deploy") not in sys.path:
    sys.path.insert(0, str(ROOT / "deploy"))

import pytm  # noqa: E402
from pytm import (  # noqa: E402
    TM,
    Actor,
    Boundary,
    Classification,
    Data,
    Dataflow,
    Datastore,
    ExternalEntity,
    Process,
)
from registry_deploy.topology import SERVICES, ServiceSpec  # noqa: E402

from registry_common.events import EVENT_TYPES  # noqa: E402

# Element names the test and the documents refer to.
CLIENT = "API client / browser"
OPERATOR = "Operator"
ALB = "Application Load Balancer"
COLLECTOR = "ADOT collector (sidecar)"
SANDBOX = "Sandboxed demo program"
POSTGRES = "PostgreSQL (RDS)"
S3 = "S3 artifact bucket"
SNS = "SNS topics (one per event type)"
SQS = "SQS queues (one per consumer, DLQ)"
SECRETS = "Secrets Manager"
CLOUDWATCH = "CloudWatch Logs / metrics, X-Ray"
CONTROL_PLANE = "AWS control plane (CloudFormation, ECR, ECS)"
HF_HUB = "Hugging Face Hub"
GITHUB = "GitHub API"
WEB = "Arbitrary web hosts (user-chosen URLs)"
CICD = "GitHub Actions (CI/CD, OIDC)"

# Every RuntimeSettings field naming somewhere the services connect to, and the elements it
# stands for. A new endpoint setting fails the test until it is placed in the model.
ENDPOINT_SETTINGS: dict[str, tuple[str, ...]] = {
    "database_url": (POSTGRES,),
    "aws_endpoint_url": (S3, SNS, SQS, CLOUDWATCH),
    "otlp_endpoint": (COLLECTOR,),
    "hf_endpoint": (HF_HUB,),
    "github_api_url": (GITHUB,),
}
# The third-party endpoints a service's code reads from RuntimeSettings, by attribute name.
THIRD_PARTY_SETTINGS: dict[str, str] = {"hf_endpoint": HF_HUB, "github_api_url": GITHUB}
# Which services reach each third party, and why (checked against the code by the test).
THIRD_PARTY_CALLS: dict[str, tuple[tuple[str, str], ...]] = {
    HF_HUB: (
        ("ingest", "model/dataset info, tree, file downloads (huggingface_hub)"),
        ("scoring", "model/dataset info, commits (metrics)"),
        ("health", "reachability check"),
    ),
    GITHUB: (
        ("ingest", "repository metadata, tarball (token)"),
        ("scoring", "contributors, commits, pull requests (token)"),
        ("lineage", "detected license (token)"),
        ("health", "reachability check (rate_limit)"),
    ),
}


# Secrets ECS injects into each task at start (deploy/registry_deploy/services.py::_secrets,
# with the per-service database credentials of issue 13).
def task_secrets(spec: ServiceSpec) -> tuple[str, ...]:
    found = ["internal token"]
    if spec.database:
        found.append(f"database role {spec.name!r}")
    if spec.name == "auth":
        found += ["token signing key", "initial admin password"]
    if spec.name not in ("gateway", "auth"):
        found.append("GitHub token (if configured)")
    return tuple(found)


# The controls every service has once issue 13 is closed, each justified (file and test) in
# threat-model.md. pytm's generic rules skip the threats these answer, so its findings
# (pytm-findings.md) keep what is still open, e.g. plaintext HTTP inside the VPC.
SERVICE_CONTROLS = (
    "validatesInput",  # pydantic models at every route and event; 400 with a sentence
    "sanitizesInput",  # ids, names, trace ids, headers and surrogates refused before use
    "checksInputBounds",  # body ceilings (413), upload/zip/OTLP caps
    "handlesResourceConsumption",  # per-user rate limits, bounded pages, RE2 in a thread
    "isResilient",  # outages answer 5xx naming the component; the bus retries into a DLQ
    "authenticatesSource",  # X-Internal-Token, compared in constant time, required
    "authorizesSource",  # permission per route (registry_gateway.security.require)
    "hasAccessControl",
    "implementsAuthenticationScheme",  # argon2id passwords, HS256 tokens with a call budget
    "implementsPOLP",  # a task role and a database role per service
    "usesParameterizedInput",  # SQLAlchemy statements only
    "usesSecureFunctions",  # memory-safe Python; RE2 for user regexes
    "definesConnectionTimeout",  # httpx timeouts, total deadline per outbound fetch
    "tracksExecutionFlow",  # OpenTelemetry trace per request, across events
    "implementsServerSideValidation",
)
DATASTORE_CONTROLS = (
    "isEncryptedAtRest", "hasAccessControl", "authorizesSource", "implementsPOLP",
)  # fmt: skip


def _set_controls(element: object, names: tuple[str, ...]) -> None:
    for name in names:
        setattr(element.controls, name, True)  # type: ignore[attr-defined]


@dataclass
class RegistryModel:
    """The built model, with its elements by name for the test and the renderer."""

    tm: TM
    boundaries: dict[str, Boundary] = field(default_factory=dict)
    elements: dict[str, object] = field(default_factory=dict)
    flows: list[Dataflow] = field(default_factory=list)
    events: dict[str, Data] = field(default_factory=dict)

    def flows_between(self, source: str, sink: str) -> list[Dataflow]:
        return [f for f in self.flows if f.source.name == source and f.sink.name == sink]

    def connected(self, a: str, b: str) -> bool:
        return bool(self.flows_between(a, b) or self.flows_between(b, a))

    def boundary_of(self, name: str) -> str | None:
        boundary = getattr(self.elements[name], "inBoundary", None)
        return boundary.name if boundary is not None else None


def service_name(spec: ServiceSpec) -> str:
    return f"{spec.name} service"


def build_model() -> RegistryModel:
    """Build the model afresh (pytm keeps its elements in class-level state)."""
    TM.reset()
    tm = TM(
        "Trustworthy Model Registry",
        description=(
            "Six services on ECS Fargate behind one load balancer, an SNS+SQS bus, S3 and "
            "PostgreSQL, fetching from Hugging Face, GitHub and user-chosen URLs, and running "
            "model-card demo code in a sandbox. Embedded mode runs the same services in one "
            "process: the VPC, bus and AWS boundaries collapse into it."
        ),
        isOrdered=False,
        mergeResponses=True,
    )
    model = RegistryModel(tm)
    b = model.boundaries
    b["internet"] = Boundary("Internet (untrusted)")
    b["operator"] = Boundary("Operator and CI/CD")
    b["vpc"] = Boundary("AWS VPC")
    b["public"] = Boundary("Public subnets", inBoundary=b["vpc"])
    b["mesh"] = Boundary("Service mesh (private subnets, Cloud Map, security groups)")
    b["mesh"].inBoundary = b["vpc"]
    b["sandbox"] = Boundary("Sandbox (own uid, namespaces, no secrets; AWS: own task)")
    b["sandbox"].inBoundary = b["mesh"]
    b["data"] = Boundary("Database subnets", inBoundary=b["vpc"])
    b["aws"] = Boundary("AWS managed services (regional endpoints, IAM)")
    b["third"] = Boundary("Third-party sources")

    e = model.elements
    e[CLIENT] = Actor(CLIENT, inBoundary=b["internet"])
    e[OPERATOR] = Actor(OPERATOR, inBoundary=b["operator"], isAdmin=True)
    e[CICD] = ExternalEntity(CICD, inBoundary=b["operator"])
    e[ALB] = Process(ALB, inBoundary=b["public"], onAWS=True, protocol="HTTPS")
    for spec in SERVICES:
        e[service_name(spec)] = Process(
            service_name(spec),
            description=spec.summary,
            inBoundary=b["mesh"],
            onAWS=True,
            implementsAPI=True,
            sourceFiles=[f"services/{spec.name}/src/{spec.package}"],
        )
        _set_controls(e[service_name(spec)], SERVICE_CONTROLS)
    e[COLLECTOR] = Process(COLLECTOR, inBoundary=b["mesh"], onAWS=True)
    e[SANDBOX] = Process(
        SANDBOX,
        description=(
            "untrusted code run on a user's behalf: model-card demos (Python) and the "
            "download monitors of sensitive models (JavaScript, Node.js 24)"
        ),
        inBoundary=b["sandbox"],
        codeType="Python, JavaScript (untrusted)",
    )
    e[POSTGRES] = Datastore(
        POSTGRES,
        inBoundary=b["data"],
        onRDS=True,
        isSQL=True,
        isShared=True,
        storesPII=True,
        storesSensitiveData=True,
    )
    e[S3] = Datastore(S3, inBoundary=b["aws"], isSQL=False, onAWS=True)
    e[SNS] = Process(SNS, inBoundary=b["aws"], onAWS=True)
    e[SQS] = Datastore(SQS, inBoundary=b["aws"], isSQL=False, onAWS=True)
    e[SECRETS] = Datastore(SECRETS, inBoundary=b["aws"], isSQL=False, onAWS=True)
    e[CLOUDWATCH] = Datastore(
        CLOUDWATCH, inBoundary=b["aws"], isSQL=False, onAWS=True, storesLogData=True
    )
    e[CONTROL_PLANE] = Process(CONTROL_PLANE, inBoundary=b["aws"], onAWS=True)
    for name in (POSTGRES, S3, SQS, SECRETS, CLOUDWATCH):
        _set_controls(e[name], DATASTORE_CONTROLS)
    # The sandbox is hostile by design: only its limits and its lack of privilege are controls.
    _set_controls(e[SANDBOX], ("handlesResourceConsumption", "implementsPOLP"))
    _set_controls(e[ALB], ("isHardened", "implementsStrictHTTPValidation", "isResilient"))
    e[HF_HUB] = ExternalEntity(HF_HUB, inBoundary=b["third"])
    e[GITHUB] = ExternalEntity(GITHUB, inBoundary=b["third"])
    e[WEB] = ExternalEntity(WEB, inBoundary=b["third"])

    for name, cls in EVENT_TYPES.items():
        model.events[name] = Data(
            name,
            description=(cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else "",
            classification=Classification.RESTRICTED,
        )

    _edge_flows(model)
    _internal_flows(model)
    _bus_flows(model)
    _state_flows(model)
    _outbound_flows(model)
    _operations_flows(model)
    return model


def _flow(model: RegistryModel, source: str, sink: str, name: str, **kwargs: object) -> Dataflow:
    flow = Dataflow(model.elements[source], model.elements[sink], name, **kwargs)
    protocol = str(kwargs.get("protocol", ""))
    # AWS SDK calls and the database connection use TLS; service-to-service HTTP does not.
    flow.controls.isEncrypted = protocol.startswith(("HTTPS", "PostgreSQL/TLS"))
    model.flows.append(flow)
    return flow


def _secret(name: str) -> Data:
    return Data(name, classification=Classification.SECRET, isCredentials=True)


def _edge_flows(model: RegistryModel) -> None:
    gateway = service_name(next(s for s in SERVICES if s.public))
    _flow(
        model, CLIENT, ALB, "HTTPS: API calls (X-Authorization), uploads",
        protocol="HTTPS", dstPort=443, data=[_secret("X-Authorization token")],
    )  # fmt: skip
    _flow(model, CLIENT, ALB, "PUT /authenticate: user name + password", protocol="HTTPS",
          dstPort=443, data=[_secret("password")])  # fmt: skip
    forward = _flow(model, ALB, gateway, "HTTP + X-Forwarded-For", protocol="HTTP", dstPort=8000)
    _flow(model, gateway, ALB, "answers, streams, UI", protocol="HTTP", responseTo=forward)
    _flow(
        model, S3, CLIENT, "presigned download (optional)",
        protocol="HTTPS",
    )  # fmt: skip


def _internal_flows(model: RegistryModel) -> None:
    for spec in SERVICES:
        for callee in spec.calls:
            purpose = (
                "GET /internal/health"
                if spec.name == "health"
                else "internal API (X-Internal-Token)"
            )
            _flow(model, service_name(spec), f"{callee} service", purpose, protocol="HTTP",
                  dstPort=8000, data=[_secret("internal token")])  # fmt: skip
    run = _flow(model, "scoring service", SANDBOX, "demo program, limits, policy")
    _flow(model, SANDBOX, "scoring service", "exit status, bounded output", responseTo=run)
    _flow(
        model, SANDBOX, HF_HUB,
        "model files (allow-listed hub only)",
        protocol="HTTPS",
    )  # fmt: skip
    monitor = _flow(model, "ingest service", SANDBOX,
                    "download monitor, a copy of the zip, limits, policy")  # fmt: skip
    _flow(model, SANDBOX, "ingest service", "exit status, bounded stdout", responseTo=monitor)
    _flow(
        model, SANDBOX, WEB,
        "a monitor's calls to audit servers (network open unless INGEST_MONITOR_NETWORK=none)",
        protocol="HTTPS",
    )  # fmt: skip


def _bus_flows(model: RegistryModel) -> None:
    for spec in SERVICES:
        if spec.publishes:
            _flow(
                model, service_name(spec), SNS, "publish " + ", ".join(spec.publishes),
                protocol="HTTPS", data=[model.events[t] for t in spec.publishes],
            )  # fmt: skip
    # SNS fans every topic out to the queues subscribed to it (raw delivery, filter by type).
    _flow(model, SNS, SQS, "fan-out: " + ", ".join(EVENT_TYPES),
          data=list(model.events.values()))  # fmt: skip
    for spec in SERVICES:
        if spec.consumes:
            _flow(
                model, SQS, service_name(spec), "receive " + ", ".join(spec.consumes),
                protocol="HTTPS", data=[model.events[t] for t in spec.consumes],
            )  # fmt: skip


def _state_flows(model: RegistryModel) -> None:
    for spec in SERVICES:
        name = service_name(spec)
        if spec.database:
            _flow(model, name, POSTGRES, f"SQL as role {spec.name}",
                  protocol="PostgreSQL/TLS", dstPort=5432)  # fmt: skip
        if spec.blobs == "read-write":
            _flow(model, name, S3, "write bundles and parts", protocol="HTTPS")
        if spec.blobs != "none":
            _flow(model, S3, name, "read bundles" if spec.public else "read bundles / cards",
                  protocol="HTTPS")  # fmt: skip
        _flow(model, SECRETS, name, "task secrets", note=", ".join(task_secrets(spec)),
              protocol="HTTPS")  # fmt: skip


def _outbound_flows(model: RegistryModel) -> None:
    for entity, calls in THIRD_PARTY_CALLS.items():
        for service, purpose in calls:
            request = _flow(
                model, f"{service} service", entity, purpose.split(" (")[0],
                protocol="HTTPS", dstPort=443, note=purpose,
            )  # fmt: skip
            _flow(model, entity, f"{service} service", "untrusted data", protocol="HTTPS",
                  responseTo=request)  # fmt: skip
    request = _flow(
        model, "ingest service", WEB, "GET user's URL (guarded client)", protocol="HTTP(S)",
        note="public addresses only, resolved once, redirects re-checked, deadline, byte cap",
    )  # fmt: skip
    _flow(model, WEB, "ingest service", "untrusted body", protocol="HTTP(S)", responseTo=request)


def _operations_flows(model: RegistryModel) -> None:
    for spec in SERVICES:
        _flow(model, service_name(spec), COLLECTOR, "OTLP spans, logs",
              protocol="HTTP")  # fmt: skip
    _flow(model, COLLECTOR, "health service",
          "OTLP /internal/otlp", protocol="HTTP")  # fmt: skip
    _flow(model, COLLECTOR, CLOUDWATCH, "traces (X-Ray), logs, EMF metrics", protocol="HTTPS")
    _flow(model, "health service", CLOUDWATCH, "PutMetricData (alarms, dashboard)",
          protocol="HTTPS")  # fmt: skip
    _flow(model, "health service", SQS, "queue depth, dead letters", protocol="HTTPS")
    _flow(model, OPERATOR, SECRETS, "GitHub token, initial admin password", protocol="HTTPS")
    _flow(model, OPERATOR, CLOUDWATCH, "reads logs, traces, alarms", protocol="HTTPS")
    _flow(model, OPERATOR, CICD, "merge to main (protected environment)", protocol="HTTPS")
    _flow(model, CICD, CONTROL_PLANE, "push images, deploy stacks (OIDC-assumed role)",
          protocol="HTTPS")  # fmt: skip


# ---------------------------------------------------------------------------- outputs


_PYTM_IMAGES = Path(pytm.__file__).parent / "images"


def dot_source(model: RegistryModel) -> str:
    """The diagram in graphviz's language (deterministic: pytm seeds its ids)."""
    # pytm's template puts `rankdir` on nodes, where graphviz ignores it; left to right keeps
    # the boundaries in reading order (internet, VPC, AWS services, third parties).
    drawn: str = model.tm.dfd()
    # Boundary labels are what this diagram is for: larger than pytm's 10 pt.
    drawn = drawn.replace("fontsize = 10;", "fontsize = 18;")
    # pytm wraps boundary names with `\\n`, which an HTML-like label prints literally.
    drawn = re.sub(
        r"label = <<i>(.*?)</i>>;",
        lambda m: "label = <<i>" + m.group(1).replace("\\n", " ") + "</i>>;",
        drawn,
    )
    # pytm names its icons by absolute path into site-packages; keep the file the same on every
    # checkout (render() passes graphviz the icon directory as its image path).
    drawn = drawn.replace(str(_PYTM_IMAGES) + "/", "")
    return drawn.replace(
        '    labelloc = "t";',
        f'    rankdir = LR;\n    label = "{model.tm.name}: data flows and trust boundaries '
        '(generated by docs/security/threat_model.py)";\n    labelloc = "t";',
        1,
    )


def render(model: RegistryModel, base: Path) -> list[Path]:
    """Write ``<base>.dot`` and, with graphviz, ``<base>.svg`` and ``<base>.png``."""
    written = [base.with_suffix(".dot")]
    written[0].write_text(dot_source(model))
    dot = shutil.which("dot")
    if dot is None:
        sys.stderr.write("graphviz 'dot' is not installed: wrote only the .dot file\n")
        return written
    for fmt in ("svg", "png"):
        target = base.with_suffix(f".{fmt}")
        command = [dot, f"-T{fmt}", "-Gdpi=110", f"-Gimagepath={_PYTM_IMAGES}", "-o", str(target)]
        subprocess.run(  # noqa: S603 - a fixed program and our own file names
            [*command, str(written[0])],
            check=True,
        )
        written.append(target)
    return written


def findings_markdown(model: RegistryModel) -> str:
    """pytm's generic findings, counted per element: the seed of threat-model.md's table."""
    model.tm.resolve()
    per_element: dict[str, list[str]] = {}
    descriptions: dict[str, str] = {}
    for finding in model.tm.findings:
        target = finding.element
        label = target.name
        if isinstance(target, Dataflow):
            label = f"{target.source.name} -> {target.sink.name}: {target.name}"
        per_element.setdefault(label, []).append(finding.threat_id)
        descriptions[finding.threat_id] = f"{finding.description} ({finding.severity})"
    counts = Counter(f.threat_id for f in model.tm.findings)
    rows = per_element.items()
    lines = [
        "# pytm findings (generated; do not edit)",
        "",
        "Generated by `make threat-model` from `docs/security/threat_model.py` with pytm's",
        "built-in threat library, after the controls the model records. They are generic",
        "candidates, not conclusions: the deliberate STRIDE table is `threat-model.md`.",
        "",
        f"{len(model.tm.findings)} findings over {len(per_element)} elements and flows.",
        "",
        "| threat | what | count |",
        "| --- | --- | --- |",
        *(f"| {tid} | {descriptions[tid]} | {n} |" for tid, n in sorted(counts.items())),
        "",
        "| element or flow | threats |",
        "| --- | --- |",
        *(f"| {label} | {' '.join(sorted(set(ids)))} |" for label, ids in sorted(rows)),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--dfd", type=Path, help="write <DFD>.dot (+ .svg, .png with graphviz)")
    parser.add_argument("--findings", type=Path, help="write pytm's findings as markdown")
    args = parser.parse_args(argv)
    model = build_model()
    if not model.tm.check():
        sys.stderr.write("pytm reports an inconsistent model\n")
        return 1
    if args.dfd:
        for path in render(model, args.dfd):
            sys.stdout.write(f"wrote {path}\n")
    if args.findings:
        args.findings.write_text(findings_markdown(model))
        sys.stdout.write(f"wrote {args.findings}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
