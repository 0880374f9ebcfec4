"""Every error message the registry can produce, and which ones the test suite makes it produce
and asserts (docs/quality.md, "Error messages", says how and where the method stops).

    python -m scripts.error_messages [--records .error-messages.json] [--write] [--no-check]

1. Extraction (static, `ast`, over every `src/registry_*` package): a *message site* is
   - a call constructing `RegistryError` or a subclass (found through the class hierarchy in the
     code); its message is the first argument (`message=`), or, for a subclass whose
     `__init__` composes the sentence (`ComponentUnavailable(component, reason)`), the
     expression that `__init__` passes to `super().__init__` with the call's arguments put in;
   - a call constructing an `HTTPException` (Starlette/FastAPI, and subclasses): its `detail`;
   - a `{"detail": ...}` dict literal or a `detail = "..."` assignment (the answers the error
     handlers build themselves, e.g. the 404 of an unknown route).
   Its text becomes a pattern: string constants literally, f-string holes as wildcards, names
   bound to a string in the same function and one-line helper functions returning a sentence
   resolved. A site whose message is not written there (fewer than 12 literal characters: the
   gateway relaying a service's sentence, `str(exc)`) is listed as *relayed* and left out of the
   percentage: it is measured where the sentence is written.
2. Production (runtime): `tests/harness/error_capture.py` (`pytest --error-messages=PATH`)
   records, per test, each error registry code constructed: where (file:line), class, code and
   message text. A site is *produced* when a record's line lies within the site's call (or,
   for handler-built answers, a record's text matches the site's pattern).
3. Assertion (static, over the test that produced it): the test *asserted* the message when
   its function (with its `parametrize` values, the module constants and the module's helper
   functions it calls) holds, inside an `assert`, a `pytest.raises(match=...)` or a
   `parametrize` value, a string of at least 8 characters that is part of the produced text
   ("text"), or the error's code when at most two sites in the code carry it, so that it names
   this failure and not a whole class of them (`not_found`, `bad_request` do not count)
   ("code").

Fails (exit 1) below `error-messages-floor` of `[tool.registry-quality]`.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from scripts.quality import REPO_ROOT, floors, packages, write_section

MIN_LITERAL = 12
MIN_FRAGMENT = 8
HOLE = "\x00"  # stands for a hole while a pattern is built
# A code identifies a message when at most this many sites carry it (`rate_limited` does,
# `not_found` or `bad_request` name a whole class of failures and do not).
SPECIFIC_CODE_SITES = 2


@dataclass
class Site:
    path: str
    line: int
    end_line: int
    kind: str  # registry_error | http_exception | response
    cls: str
    parts: list[str]  # literal text and HOLE markers
    code: str | None = None
    produced_by: list[str] = field(default_factory=list)
    asserted_by: dict[str, str] = field(default_factory=dict)  # test -> "text" | "code"

    @property
    def literal(self) -> int:
        return sum(len(part) for part in self.parts if part != HOLE)

    @property
    def relayed(self) -> bool:
        return self.literal < MIN_LITERAL

    @property
    def template(self) -> str:
        return "".join("{…}" if part == HOLE else part for part in self.parts)

    @property
    def pattern(self) -> re.Pattern[str]:
        body = "".join("(?s:.*?)" if part == HOLE else re.escape(part) for part in self.parts)
        return re.compile(body)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


# ------------------------------------------------------------------------------- extraction


@dataclass
class _Class:
    name: str
    bases: list[str]
    init_params: list[str] | None = None  # when its __init__ composes the message
    init_message: ast.expr | None = None
    code: str | None = None


def _name_of(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _scan_classes(trees: dict[str, ast.Module]) -> dict[str, _Class]:
    classes: dict[str, _Class] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            info = _Class(node.name, [b for b in map(_name_of, node.bases) if b])
            for item in node.body:
                if (
                    isinstance(item, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "code" for t in item.targets)
                    and isinstance(item.value, ast.Constant)
                    and isinstance(item.value.value, str)
                ):
                    info.code = item.value.value
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    params = [a.arg for a in item.args.args[1:]] + [
                        a.arg for a in item.args.kwonlyargs
                    ]
                    for call in ast.walk(item):
                        if (
                            isinstance(call, ast.Call)
                            and isinstance(call.func, ast.Attribute)
                            and call.func.attr == "__init__"
                            and isinstance(call.func.value, ast.Call)
                            and _name_of(call.func.value.func) == "super"
                        ):
                            message = _message_argument(call, http=False)
                            if message is not None and not (
                                isinstance(message, ast.Name) and message.id == "message"
                            ):
                                info.init_params, info.init_message = params, message
            classes[node.name] = info
    return classes


def _family(classes: dict[str, _Class], roots: set[str]) -> set[str]:
    family = set(roots)
    changed = True
    while changed:
        changed = False
        for name, info in classes.items():
            if name not in family and any(base in family for base in info.bases):
                family.add(name)
                changed = True
    return family


def _inherited(classes: dict[str, _Class], name: str, attribute: str) -> object:
    seen = set()
    while name in classes and name not in seen:
        seen.add(name)
        value = getattr(classes[name], attribute)
        if value is not None:
            return value
        bases = classes[name].bases
        if not bases:
            break
        name = bases[0]
    return None


def _message_argument(call: ast.Call, *, http: bool) -> ast.expr | None:
    keyword = "detail" if http else "message"
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    # HTTPException(status, detail) and super().__init__(413, sentence): skip a leading status
    arguments = list(call.args)
    if (
        arguments and isinstance(arguments[0], ast.Constant) and isinstance(arguments[0].value, int)
    ) or (http and "status_code" not in {kw.arg for kw in call.keywords}):
        arguments = arguments[1:]
    return arguments[0] if arguments else None


class _Patterns:
    """Turns a message expression into literal parts and holes."""

    def __init__(self, helpers: dict[str, ast.FunctionDef]) -> None:
        self.helpers = helpers

    def parts(
        self,
        node: ast.expr | None,
        scope: ast.AST | None,
        env: dict[str, ast.expr] | None = None,
        depth: int = 0,
    ) -> list[str]:
        env = env or {}
        if node is None or depth > 6:
            return [HOLE]
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.JoinedStr):
            out: list[str] = []
            for value in node.values:
                if isinstance(value, ast.Constant):
                    out.append(str(value.value))
                elif isinstance(value, ast.FormattedValue):
                    inner = value.value
                    if isinstance(inner, ast.Name) and inner.id in env and value.conversion == -1:
                        out += self.parts(env[inner.id], scope, {}, depth + 1)
                    else:
                        out.append(HOLE)
            return out
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self.parts(node.left, scope, env, depth + 1) + self.parts(
                node.right, scope, env, depth + 1
            )
        if isinstance(node, ast.IfExp):
            body = self.parts(node.body, scope, env, depth + 1)
            orelse = self.parts(node.orelse, scope, env, depth + 1)
            # the longer branch is the one worth matching; the other still matches its holes
            return body if _literal(body) >= _literal(orelse) else orelse
        if isinstance(node, ast.Name):
            if node.id in env:
                return self.parts(env[node.id], scope, {}, depth + 1)
            bound = _local_string(scope, node.id)
            if bound is not None:
                return self.parts(bound, scope, {}, depth + 1)
            return [HOLE]
        if isinstance(node, ast.Call):
            name = _name_of(node.func)
            helper = self.helpers.get(name or "")
            if helper is not None:
                returned = _single_return(helper)
                if returned is not None:
                    params = [a.arg for a in helper.args.args]
                    bound_args = dict(zip(params, node.args, strict=False))
                    return self.parts(returned, helper, bound_args, depth + 1)
            if (
                isinstance(node.func, ast.Attribute)
                and node.func.attr == "format"
                and isinstance(node.func.value, ast.Constant)
                and isinstance(node.func.value.value, str)
            ):
                pieces = re.split(r"\{[^{}]*\}", node.func.value.value)
                out = []
                for index, piece in enumerate(pieces):
                    if index:
                        out.append(HOLE)
                    out.append(piece)
                return out
        return [HOLE]


def _literal(parts: list[str]) -> int:
    return sum(len(p) for p in parts if p != HOLE)


def _single_return(function: ast.FunctionDef) -> ast.expr | None:
    returns = [n for n in ast.walk(function) if isinstance(n, ast.Return) and n.value is not None]
    if len(returns) == 1 and isinstance(returns[0].value, ast.JoinedStr | ast.Constant | ast.BinOp):
        return returns[0].value
    return None


def _local_string(scope: ast.AST | None, name: str) -> ast.expr | None:
    if scope is None:
        return None
    found = None
    for node in ast.walk(scope):
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == name
            and isinstance(node.value, ast.JoinedStr | ast.Constant | ast.BinOp | ast.IfExp)
        ):
            found = node.value
    return found


def _enclosing_functions(tree: ast.Module) -> dict[int, ast.AST]:
    """Each node id -> the innermost function containing it."""
    owner: dict[int, ast.AST] = {}

    def visit(node: ast.AST, function: ast.AST | None) -> None:
        for child in ast.iter_child_nodes(node):
            if function is not None:
                owner[id(child)] = function
            inner = child if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
            visit(child, inner)

    visit(tree, None)
    return owner


def extract() -> list[Site]:
    trees: dict[str, ast.Module] = {}
    for root in packages().values():
        for file in sorted(root.rglob("*.py")):
            trees[file.relative_to(REPO_ROOT).as_posix()] = ast.parse(file.read_text())
    classes = _scan_classes(trees)
    registry = _family(classes, {"RegistryError"})
    http = _family(classes, {"HTTPException"})
    helpers = {
        node.name: node
        for tree in trees.values()
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
    }
    patterns = _Patterns(helpers)
    sites: list[Site] = []
    for path, tree in trees.items():
        owners = _enclosing_functions(tree)
        for node in ast.walk(tree):
            scope = owners.get(id(node))
            if isinstance(node, ast.Call):
                name = _name_of(node.func)
                if name in registry and name != "super":
                    sites.append(_call_site(path, node, name, classes, patterns, scope, False))
                elif name in http:
                    sites.append(_call_site(path, node, name, classes, patterns, scope, True))
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    # an error body carries a code too (other "detail" keys are not errors)
                    code = _dict_code(node)
                    if isinstance(key, ast.Constant) and key.value == "detail" and code:
                        sites.append(
                            Site(
                                path,
                                node.lineno,
                                node.end_lineno or node.lineno,
                                "response",
                                "JSONResponse",
                                patterns.parts(value, scope),
                                code,
                            )
                        )
            elif (
                isinstance(node, ast.Assign)
                and _builds_response(scope)
                and any(isinstance(t, ast.Name) and t.id == "detail" for t in node.targets)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                sites.append(
                    Site(
                        path,
                        node.lineno,
                        node.end_lineno or node.lineno,
                        "response",
                        "JSONResponse",
                        [node.value.value],
                    )
                )
    return sites


def _builds_response(scope: ast.AST | None) -> bool:
    """A `detail = "..."` assignment is an error answer only in a handler building one."""
    return scope is not None and any(
        isinstance(n, ast.Call) and _name_of(n.func) == "JSONResponse" for n in ast.walk(scope)
    )


def _dict_code(node: ast.Dict) -> str | None:
    for key, value in zip(node.keys, node.values, strict=True):
        if (
            isinstance(key, ast.Constant)
            and key.value == "code"
            and isinstance(value, ast.Constant)
            and isinstance(value.value, str)
        ):
            return value.value
    return None


def _call_site(
    path: str,
    node: ast.Call,
    name: str,
    classes: dict[str, _Class],
    patterns: _Patterns,
    scope: ast.AST | None,
    http: bool,
) -> Site:
    init_message = _inherited(classes, name, "init_message")
    code: object = None
    for kw in node.keywords:
        if kw.arg == "code" and isinstance(kw.value, ast.Constant):
            code = kw.value.value
    code = code or _inherited(classes, name, "code")
    if isinstance(init_message, ast.expr):
        params = _inherited(classes, name, "init_params") or []
        assert isinstance(params, list)
        env = dict(zip(params, node.args, strict=False))
        env.update({kw.arg: kw.value for kw in node.keywords if kw.arg})
        # the caller's names inside the arguments resolve in the caller's scope
        resolved = {key: _resolve_in(value, scope, patterns) for key, value in env.items()}
        parts = patterns.parts(init_message, None, resolved)
    else:
        parts = patterns.parts(_message_argument(node, http=http), scope)
    return Site(
        path,
        node.lineno,
        node.end_lineno or node.lineno,
        "http_exception" if http else "registry_error",
        name,
        parts,
        code if isinstance(code, str) else None,
    )


def _resolve_in(value: ast.expr, scope: ast.AST | None, patterns: _Patterns) -> ast.expr:
    parts = patterns.parts(value, scope)
    if parts == [HOLE]:
        return value
    values: list[ast.expr] = [
        ast.FormattedValue(ast.Name("_"), -1, None) if p == HOLE else ast.Constant(p) for p in parts
    ]
    return ast.JoinedStr(values)


# ------------------------------------------------------------------------------- assertion


class _TestSources:
    """Expectation strings of a test: what its asserts, raises(match=) and parametrize hold."""

    def __init__(self) -> None:
        self.modules: dict[str, ast.Module | None] = {}

    def module(self, path: str) -> ast.Module | None:
        if path not in self.modules:
            file = REPO_ROOT / path
            self.modules[path] = ast.parse(file.read_text()) if file.exists() else None
        return self.modules[path]

    def expectations(self, test_id: str) -> set[str]:
        path, _, rest = test_id.partition("::")
        tree = self.module(path)
        if tree is None or not rest:
            return set()
        names = [re.sub(r"\[.*$", "", part) for part in rest.split("::")]
        function = _find(tree, names)
        if function is None:
            return set()
        constants = {
            t.id: n.value
            for n in tree.body
            if isinstance(n, ast.Assign)
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        helpers = {
            n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        found: set[str] = set()
        decorators = getattr(function, "decorator_list", [])
        for decorator in decorators:
            if isinstance(decorator, ast.Call) and _name_of(decorator.func) == "parametrize":
                found |= _strings(decorator, constants)
        bodies = [function]
        for call in ast.walk(function):
            if isinstance(call, ast.Call):
                helper = helpers.get(_name_of(call.func) or "")
                if helper is not None and helper is not function:
                    bodies.append(helper)
        for body in bodies:
            for node in ast.walk(body):
                if isinstance(node, ast.Assert):
                    found |= _strings(node.test, constants)
                elif isinstance(node, ast.Call) and _name_of(node.func) == "raises":
                    for kw in node.keywords:
                        if kw.arg == "match":
                            found |= {
                                re.sub(r"\\(.)", r"\1", piece)
                                for s in _strings(kw.value, constants)
                                for piece in re.split(r"(?<!\\)[.*+?()\[\]{}|^$]", s)
                            }
        return {s.strip() for s in found if s.strip()}


def _find(tree: ast.Module, names: list[str]) -> ast.AST | None:
    scope: list[ast.stmt] = tree.body
    node: ast.AST | None = None
    for name in names:
        node = next(
            (
                n
                for n in scope
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and n.name == name
            ),
            None,
        )
        if node is None:
            return None
        scope = node.body
    return node


def _strings(node: ast.AST, constants: dict[str, ast.expr]) -> set[str]:
    found: set[str] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Constant) and isinstance(child.value, str):
            found.add(child.value)
        elif isinstance(child, ast.Name) and child.id in constants:
            found |= _strings(constants[child.id], {})
    return found


# ------------------------------------------------------------------------------- report


def attribute(sites: list[Site], records: dict[str, list[dict[str, object]]]) -> None:
    by_file: dict[str, list[Site]] = defaultdict(list)
    for site in sites:
        by_file[site.path].append(site)
    responses = [s for s in sites if s.kind == "response" and not s.relayed]
    carriers: dict[str, int] = defaultdict(int)
    for site in sites:
        if site.code:
            carriers[site.code] += 1
    specific = {code for code, count in carriers.items() if count <= SPECIFIC_CODE_SITES}
    sources = _TestSources()
    for test_id, produced in records.items():
        expectations: set[str] | None = None
        for record in produced:
            message = str(record.get("message", ""))
            matched: list[Site] = []
            if record.get("kind") in ("registry_error", "http_exception"):
                path, _, line_text = str(record["site"]).rpartition(":")
                line = int(line_text)
                candidates = [
                    s
                    for s in by_file.get(path, [])
                    if s.kind != "response" and s.line <= line <= s.end_line
                ]
                candidates.sort(key=lambda s: s.end_line - s.line)
                matched = candidates[:1]
            else:
                matched = [s for s in responses if s.pattern.fullmatch(message)]
            for site in matched:
                if test_id not in site.produced_by:
                    site.produced_by.append(test_id)
                if expectations is None:
                    expectations = sources.expectations(test_id)
                code = record.get("code")
                how = _asserted(expectations, message, code if code in specific else None)
                if how and test_id not in site.asserted_by:
                    site.asserted_by[test_id] = how


def _asserted(expectations: set[str], message: str, code: object) -> str | None:
    if any(len(s) >= MIN_FRAGMENT and s in message for s in expectations):
        return "text"
    if isinstance(code, str) and code in expectations:
        return "code"
    return None


def render(sites: list[Site]) -> tuple[str, float]:
    counted = [s for s in sites if not s.relayed]
    asserted = [s for s in counted if s.asserted_by]
    produced = [s for s in counted if s.produced_by]
    share = 100.0 * len(asserted) / len(counted) if counted else 100.0
    lines = [
        f"{len(counted)} messages written in the code ({len(sites) - len(counted)} more sites "
        f"relay a sentence written elsewhere); {len(produced)} produced by the suite, "
        f"**{len(asserted)} produced and asserted: {share:.1f} %**.",
        "",
        "| message | raised at | produced | asserted by |",
        "| --- | --- | :---: | --- |",
    ]
    for site in sorted(counted, key=lambda s: (s.path, s.line)):
        text = site.template.replace("|", "\\|").replace("\n", " ")
        if len(text) > 160:
            text = text[:157] + "…"
        if site.asserted_by:
            test, how = sorted(site.asserted_by.items())[0]
            more = len(site.asserted_by) - 1
            by = f"`{test}` ({how})" + (f" and {more} more" if more else "")
        else:
            by = "—"
        lines.append(
            f"| {text} | `{site.where}` {site.cls} | {'yes' if site.produced_by else 'no'} | {by} |"
        )
    return "\n".join(lines), share


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=Path, default=REPO_ROOT / ".error-messages.json")
    parser.add_argument("--write", action="store_true", help="update docs/quality.md")
    parser.add_argument("--no-check", action="store_true", help="report without the floor")
    parser.add_argument("--missing", action="store_true", help="list what is not asserted")
    args = parser.parse_args(argv)
    if not args.records.exists():
        print(f"{args.records} does not exist: run pytest with --error-messages={args.records}")
        return 2
    sites = extract()
    attribute(sites, json.loads(args.records.read_text()))
    report, share = render(sites)
    print(report.splitlines()[0])
    if args.missing:
        for site in sorted(sites, key=lambda s: (s.path, s.line)):
            if not site.relayed and not site.asserted_by:
                produced = "produced" if site.produced_by else "not produced"
                print(f"{site.where} {site.cls} [{produced}]: {site.template[:150]}")
    if args.write:
        write_section("error-messages", report)
    floor = floors().error_messages_enforced()
    if share < floor and not args.no_check:
        print(
            f"Below the error-message floor: {share:.1f} % < {floor:g} % ([tool.registry-quality])"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
