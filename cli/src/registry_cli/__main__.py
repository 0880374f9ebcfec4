"""`registry`: the command-line client (Click). Every command talks to the gateway's public
API only; `--json` prints what the registry answered, for scripts. Exit codes: docs/cli.md."""

from __future__ import annotations

import hashlib
import io
import json
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.tree import Tree

from registry_cli import config
from registry_cli.client import EXIT_AUTH, EXIT_USAGE, ApiError, Registry

TYPES = click.Choice(["model", "dataset", "code"])
PARTS = click.Choice(["full", "weights", "config", "card"])
CHUNK = 1 << 16


@dataclass
class State:
    url: str
    token: str | None
    user: str | None
    json: bool
    out: Console
    err: Console

    def registry(self, *, signed_in: bool = True) -> Registry:
        if signed_in and not self.token:
            raise ApiError(f"Not signed in to {self.url}: run `registry login` first.", EXIT_AUTH)
        return Registry(self.url, self.token if signed_in else None)

    def emit(self, data: Any, human: Callable[[], None]) -> None:
        """The registry's answer as JSON on stdout with --json, else `human` renders it."""
        if self.json:
            click.echo(json.dumps(data, indent=2, sort_keys=True))
        else:
            human()


pass_state = click.make_pass_decorator(State)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--url",
    envvar="REGISTRY_URL",
    help=f"The registry's gateway (default: the one you logged in to, else {config.DEFAULT_URL}).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (JSON).")
@click.version_option(package_name="registry-cli")
@click.pass_context
def cli(ctx: click.Context, url: str | None, as_json: bool) -> None:
    """A command-line client of the trustworthy model registry."""
    saved = config.load()
    chosen = (url or (saved.url if saved else None) or config.DEFAULT_URL).rstrip("/")
    # The saved token belongs to the registry it came from; another URL means no token.
    same = saved is not None and saved.url.rstrip("/") == chosen
    ctx.obj = State(
        url=chosen,
        token=saved.token if same and saved else None,
        user=saved.user if same and saved else None,
        json=as_json,
        out=Console(),
        err=Console(stderr=True),
    )


@cli.command()
@click.option("--user", "-u", prompt=True, help="Your user name.")
@click.option("--password", "-p", prompt=True, hide_input=True, help="Your password.")
@click.option("--admin", is_flag=True, help="Sign in as an administrator.")
@pass_state
def login(state: State, user: str, password: str, admin: bool) -> None:
    """Sign in and keep the token (file readable by you only)."""
    with state.registry(signed_in=False) as registry:
        token = registry.authenticate(user, password, admin)
    path = config.save(config.Credentials(url=state.url, user=user, token=token))
    state.emit(
        {"url": state.url, "user": user, "credentials": str(path)},
        lambda: state.out.print(f"Signed in to {state.url} as {user} (token in {path})."),
    )


@cli.command()
@pass_state
def logout(state: State) -> None:
    """Forget the saved token."""
    removed = config.forget()
    state.emit(
        {"removed": removed},
        lambda: state.out.print("Signed out." if removed else "No saved token."),
    )


def _show_created(state: State, status: int, artifact: dict[str, Any]) -> None:
    meta = artifact.get("metadata", artifact)
    if status == 202:
        state.out.print(
            f"Accepted {meta.get('type')} {meta.get('name')} (id {meta.get('id')}): its "
            "rating is still running; it appears once rated."
        )
    else:
        state.out.print(f"Registered {meta.get('type')} {meta.get('name')} (id {meta.get('id')}).")


@cli.command()
@click.argument("url")
@click.option("--name", help="The artifact's name (default: from the URL).")
@click.option("--type", "kind", type=TYPES, default="model", show_default=True)
@pass_state
def ingest(state: State, url: str, name: str | None, kind: str) -> None:
    """Register an artifact from a URL (Hugging Face, GitHub, any http(s) link)."""
    with state.registry() as registry:
        status, artifact = registry.ingest(kind, url, name)
    state.emit(artifact, lambda: _show_created(state, status, artifact))


def zip_directory(directory: Path, target: io.BufferedRandom | Any) -> None:
    """The directory's files into `target`, paths relative to it (symlinks are skipped: the
    registry refuses them in uploads, and following one could leak a file outside)."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_symlink() or not path.is_file():
                continue
            archive.write(path, path.relative_to(directory).as_posix())


@cli.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--name", help="The artifact's name (default: the directory's or zip's name).")
@click.option("--type", "kind", type=TYPES, default="model", show_default=True)
@click.option("--version", "version", help="The artifact's version, e.g. 1.0.0.")
@pass_state
def upload(state: State, path: Path, name: str | None, kind: str, version: str | None) -> None:
    """Register an artifact from a directory (zipped on the fly) or a zip file."""
    name = name or (path.stem if path.is_file() else path.resolve().name)
    with state.registry() as registry:
        if path.is_dir():
            with tempfile.TemporaryFile() as archive:
                zip_directory(path, archive)
                archive.seek(0)
                status, artifact = registry.upload(kind, archive, f"{name}.zip", name, version)
        else:
            if not zipfile.is_zipfile(path):
                raise click.BadParameter(f"{path} is neither a directory nor a zip file.")
            with path.open("rb") as archive:
                status, artifact = registry.upload(kind, archive, path.name, name, version)
    state.emit(artifact, lambda: _show_created(state, status, artifact))


def _metadata_table(state: State, rows: list[dict[str, Any]]) -> None:
    if not rows:
        state.out.print("No artifact matches.")
        return
    table = Table("type", "id", "name", "version")
    for row in rows:
        table.add_row(
            str(row.get("type", "")),
            str(row.get("id", "")),
            str(row.get("name", "")),
            str(row.get("version") or ""),
        )
    state.out.print(table)


@cli.command()
@click.argument("name", required=False)
@click.option("--regex", help="Match names and READMEs with this regular expression (RE2).")
@click.option(
    "--version",
    "versions",
    help="A version or range: 1.2.3, 1.2.3-2.1.0, ~1.2.0, ^1.2.0.",
)
@click.option("--type", "kinds", type=TYPES, multiple=True, help="Only these types (repeatable).")
@pass_state
def search(
    state: State, name: str | None, regex: str | None, versions: str | None, kinds: tuple[str, ...]
) -> None:
    """Find artifacts by exact NAME (all without one), by --regex, and by --version range."""
    if regex is not None and (name is not None or versions is not None):
        raise click.UsageError("--regex searches on its own: drop NAME and --version.")
    with state.registry() as registry:
        if regex is not None:
            found = registry.by_regex(regex)
            if kinds:
                found = [row for row in found if row.get("type") in kinds]
        else:
            query: dict[str, Any] = {"name": name or "*"}
            if kinds:
                query["types"] = list(kinds)
            if versions:
                query["version"] = versions
            found = registry.query([query])
    state.emit(found, lambda: _metadata_table(state, found))


@cli.command()
@click.argument("kind", metavar="TYPE", type=TYPES)
@click.argument("artifact_id", metavar="ID")
@pass_state
def show(state: State, kind: str, artifact_id: str) -> None:
    """Show one artifact: its metadata, source and download URL."""
    with state.registry() as registry:
        artifact = registry.get(f"/artifacts/{kind}/{artifact_id}")

    def human() -> None:
        table = Table(show_header=False)
        for key, value in {**artifact.get("metadata", {}), **artifact.get("data", {})}.items():
            table.add_row(key, str(value))
        state.out.print(table)

    state.emit(artifact, human)


@cli.command()
@click.argument("artifact_id", metavar="ID")
@pass_state
def rate(state: State, artifact_id: str) -> None:
    """Show a model's rating (every metric, with its latency)."""
    with state.registry() as registry:
        rating = registry.get(f"/artifact/model/{artifact_id}/rate")

    def human() -> None:
        table = Table("metric", "score", "latency (s)")
        for key, value in rating.items():
            if key.endswith("_latency") or key in ("name", "category"):
                continue
            latency = rating.get(f"{key}_latency", "")
            shown = (
                ", ".join(f"{device} {score}" for device, score in value.items())
                if isinstance(value, dict)
                else str(value)
            )
            table.add_row(key, shown, str(latency))
        state.out.print(f"{rating.get('name', artifact_id)} ({rating.get('category', 'model')})")
        state.out.print(table)

    state.emit(rating, human)


def lineage_tree(graph: dict[str, Any], root_id: str) -> Tree:
    """The model at the root, each node's parents (what it was derived from) under it.
    A node reached twice is shown once more by name, marked, and not expanded again."""
    nodes = {str(node["artifact_id"]): node for node in graph.get("nodes", [])}
    parents: dict[str, list[tuple[str, str]]] = {}
    for edge in graph.get("edges", []):
        parents.setdefault(str(edge["to_node_artifact_id"]), []).append(
            (str(edge["from_node_artifact_id"]), str(edge.get("relationship", "")))
        )

    def label(node_id: str, relationship: str | None) -> str:
        node = nodes.get(node_id, {})
        registered = node.get("metadata", {}).get("registered", True) is not False
        text = f"{node.get('name', node_id)} [{node_id}]"
        if relationship:
            text = f"{relationship}: {text}"
        return text if registered else f"{text} (not in the registry)"

    tree = Tree(label(root_id, None))
    seen = {root_id}

    def grow(branch: Tree, node_id: str) -> None:
        for parent_id, relationship in parents.get(node_id, []):
            if parent_id in seen:
                branch.add(label(parent_id, relationship) + " (see above)")
                continue
            seen.add(parent_id)
            grow(branch.add(label(parent_id, relationship)), parent_id)

    grow(tree, root_id)
    return tree


@cli.command()
@click.argument("artifact_id", metavar="ID")
@pass_state
def lineage(state: State, artifact_id: str) -> None:
    """Show a model's lineage as a tree of what it derives from."""
    with state.registry() as registry:
        graph = registry.get(f"/artifact/model/{artifact_id}/lineage")
    state.emit(graph, lambda: state.out.print(lineage_tree(graph, artifact_id)))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@cli.command()
@click.argument("kind", metavar="TYPE", type=TYPES)
@click.argument("artifact_id", metavar="ID")
@click.option(
    "--part",
    type=PARTS,
    default="full",
    show_default=True,
    help="The whole bundle, or only its weights, config or card.",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Continue a partial file at -o PATH (a Range request) instead of restarting.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the zip (default: TYPE-ID-PART.zip here).",
)
@pass_state
def download(
    state: State, kind: str, artifact_id: str, part: str, resume: bool, output: Path | None
) -> None:
    """Download an artifact's bundle (a zip with manifest.json), with a progress bar; the
    result is checked against the registry's sha256."""
    target = output or Path(f"{kind}-{artifact_id}-{part}.zip")
    have = target.stat().st_size if resume and target.exists() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    path = f"/artifacts/{kind}/{artifact_id}/download"
    with state.registry() as registry, registry.stream(path, {"part": part}, headers) as response:
        expected = response.headers.get("x-checksum-sha256")
        if response.status_code == 416:
            # Nothing past what we hold: complete if the checksum says so (checked below),
            # else the partial file is not a prefix of this bundle.
            resumed_from = have
        else:
            appending = response.status_code == 206
            resumed_from = have if appending else 0
            length = int(response.headers.get("content-length", 0)) or None
            total = resumed_from + length if length is not None else None
            progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=state.err,
                disable=state.json,
                transient=False,
            )
            with progress, target.open("ab" if appending else "wb") as sink:
                task = progress.add_task(target.name, total=total, completed=resumed_from)
                for chunk in response.iter_bytes(CHUNK):
                    sink.write(chunk)
                    progress.advance(task, len(chunk))
        complete = response.headers.get("x-bundle-complete", "true") != "false"
    actual = _sha256(target)
    if expected and actual != expected:
        raise ApiError(
            f"{target} does not match the registry's checksum (sha256 {actual}, expected "
            f"{expected}); download it again without --resume.",
            EXIT_USAGE,
        )
    result = {
        "path": str(target),
        "bytes": target.stat().st_size,
        "sha256": actual,
        "resumed_from": resumed_from,
        "complete_bundle": complete,
    }

    def human() -> None:
        how = f" (resumed at byte {resumed_from})" if resumed_from else ""
        state.out.print(f"Saved {target} ({result['bytes']} bytes, sha256 verified){how}.")
        if not complete:
            state.out.print(
                "Note: the source's weights were too large to mirror; manifest.json lists them."
            )

    state.emit(result, human)


@cli.command()
@click.argument("kind", metavar="TYPE", type=TYPES)
@click.argument("artifact_id", metavar="ID")
@pass_state
def delete(state: State, kind: str, artifact_id: str) -> None:
    """Delete an artifact and its files."""
    with state.registry() as registry:
        registry.delete(kind, artifact_id)
    state.emit(
        {"deleted": {"type": kind, "id": artifact_id}},
        lambda: state.out.print(f"Deleted {kind} {artifact_id}."),
    )


def fail(message: str, code: int) -> NoReturn:
    one_line = " ".join(message.split())  # Click's choice lists span lines; scripts grep one
    click.echo(f"registry: error: {one_line}", err=True)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """The console script: Click's own errors become exit code 1 (usage), the registry's
    errors one line and the code of their kind (client.EXIT_*)."""
    try:
        code = cli.main(args=argv, prog_name="registry", standalone_mode=False)
    except ApiError as exc:
        fail(exc.message, exc.exit_code)
    except click.exceptions.Abort:
        fail("aborted.", EXIT_USAGE)
    except click.ClickException as exc:
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            click.echo(exc.ctx.get_usage(), err=True)
        fail(exc.format_message(), EXIT_USAGE)
    except OSError as exc:
        fail(f"{exc.strerror or exc} ({getattr(exc, 'filename', '') or ''})", EXIT_USAGE)
    if isinstance(code, int) and code:
        sys.exit(code)  # click.exceptions.Exit, e.g. from --help or --version


if __name__ == "__main__":
    main()
