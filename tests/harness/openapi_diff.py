"""Compare a served OpenAPI document with the registry's contract (``docs/spec/openapi.yaml``).

The entry point is :func:`compare_to_spec`, a pure function returning human-readable
differences (an empty list means the served document conforms).  The served document may
have extra paths, methods, parameters that are optional, properties and responses; those are
not differences.  A served ``422`` response is, because the contract uses ``400`` for invalid
input.

Schemas are compared *structurally* after resolving ``$ref`` on both sides, so FastAPI and
pydantic representational choices do not matter: ``title``/``description``/``default``/
``examples``, ``allOf: [{$ref}]`` wrappers, ``$ref`` with sibling keys, ``anyOf``/``oneOf``
with a ``{"type": "null"}`` branch, ``type: [X, "null"]`` and ``nullable`` all normalise away.
What is compared: ``type``, ``format``, ``enum``/``const``, ``pattern``, numeric and length
bounds, ``properties``, ``required``, ``items``, ``additionalProperties`` and the alternatives
of ``oneOf``/``anyOf`` (as unordered sets; ``oneOf`` and ``anyOf`` are treated alike).

Known slips of the contract are tolerated through :func:`apply_known_spec_slips`.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

__all__ = [
    "HTTP_METHODS",
    "LINEAGE_NODE_REQUIRED",
    "SPEC_PATH_ENV",
    "apply_known_spec_slips",
    "compare_schema",
    "compare_to_spec",
    "load_spec",
    "locate_spec",
    "restrict_spec_to_paths",
]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SPEC_PATH_ENV = "REGISTRY_SPEC_PATH"
LINEAGE_NODE_REQUIRED = ("artifact_id", "name", "source")
"""What ``ArtifactLineageNode`` really requires (the spec says ``[node]``, an undefined name)."""

_SCHEMA_REF_PREFIX = "#/components/schemas/"
# Bounds compared for equality whenever either side states them.
_BOUND_KEYWORDS = (
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "multipleOf",
)
# Formats that only describe the machine width of a number: a served schema may omit them.
_ADVISORY_FORMATS = frozenset({"int32", "int64", "float", "double"})


# --------------------------------------------------------------------------------------------
# Locating and loading the contract
# --------------------------------------------------------------------------------------------


def locate_spec(repo_root: Path | None = None) -> Path:
    """Return the contract file to use.

    Order: ``$REGISTRY_SPEC_PATH``; ``<repo>/docs/spec/openapi.yaml`` (the in-repo copy);
    ``<repo>/../shared/spec/openapi.yaml``.  ``repo_root`` defaults to the repository this
    module lives in (``tests/harness`` -> two levels up).
    """
    override = os.environ.get(SPEC_PATH_ENV)
    if override:
        path = Path(override)
        if not path.is_file():
            raise FileNotFoundError(f"{SPEC_PATH_ENV}={override} is not a file")
        return path
    root = repo_root if repo_root is not None else Path(__file__).resolve().parents[2]
    candidates = [
        root / "docs" / "spec" / "openapi.yaml",
        root.parent / "shared" / "spec" / "openapi.yaml",
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        "OpenAPI contract not found; looked at " + ", ".join(str(c) for c in candidates)
    )


def load_spec(path: Path | str) -> dict[str, Any]:
    """Parse a YAML (or JSON) contract.

    Duplicate mapping keys (some copies of the contract repeat ``/health``) are merged
    recursively instead of the later one silently replacing the earlier: mappings are united,
    and where both give a non-mapping value the later one wins.
    """

    class _MergingLoader(yaml.SafeLoader):
        pass

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
        loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            value = loader.construct_object(value_node, deep=True)
            result[key] = _deep_merge(result[key], value) if key in result else value
        return result

    _MergingLoader.add_constructor(
        yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
        construct_mapping,
    )
    with Path(path).open(encoding="utf-8") as handle:
        loaded = yaml.load(handle, Loader=_MergingLoader)
    if not isinstance(loaded, dict):
        raise ValueError(f"{path}: not an OpenAPI document")
    return loaded


def _deep_merge(earlier: Any, later: Any) -> Any:
    if isinstance(earlier, dict) and isinstance(later, dict):
        merged = dict(earlier)
        for key, value in later.items():
            merged[key] = _deep_merge(merged[key], value) if key in merged else value
        return merged
    return later


def apply_known_spec_slips(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of ``spec`` with its known slips corrected.

    * ``ArtifactLineageNode.required`` names ``node``, a property it never defines; the
      registry requires ``artifact_id``, ``name`` and ``source`` instead.
    """
    fixed = copy.deepcopy(dict(spec))
    node = fixed.get("components", {}).get("schemas", {}).get("ArtifactLineageNode")
    if isinstance(node, dict):
        properties = node.get("properties", {})
        required = node.get("required", [])
        if any(name not in properties for name in required):
            node["required"] = [name for name in LINEAGE_NODE_REQUIRED if name in properties]
    return fixed


def restrict_spec_to_paths(spec: Mapping[str, Any], paths: Iterable[str]) -> dict[str, Any]:
    """Copy of ``spec`` keeping only ``paths`` and the component schemas they reach."""
    wanted = list(paths)
    restricted = copy.deepcopy(dict(spec))
    all_paths = restricted.get("paths", {})
    missing = [p for p in wanted if p not in all_paths]
    if missing:
        raise KeyError(f"paths not in the spec: {missing}")
    restricted["paths"] = {p: all_paths[p] for p in wanted}
    schemas = restricted.get("components", {}).get("schemas", {})
    reachable: set[str] = set()
    pending = list(_schema_refs(restricted["paths"]))
    while pending:
        name = pending.pop()
        if name in reachable or name not in schemas:
            continue
        reachable.add(name)
        pending.extend(_schema_refs(schemas[name]))
    if "components" in restricted:
        restricted["components"]["schemas"] = {
            name: schema for name, schema in schemas.items() if name in reachable
        }
    return restricted


def _schema_refs(node: Any) -> Iterator[str]:
    """Names of every ``#/components/schemas/<name>`` referenced anywhere under ``node``."""
    if isinstance(node, Mapping):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_SCHEMA_REF_PREFIX):
            yield unquote(ref[len(_SCHEMA_REF_PREFIX) :])
        for value in node.values():
            yield from _schema_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _schema_refs(item)


# --------------------------------------------------------------------------------------------
# Schema normalisation
# --------------------------------------------------------------------------------------------


class _Unresolvable(Exception):
    pass


def _resolve_pointer(root: Mapping[str, Any], ref: str) -> Any:
    if not ref.startswith("#"):
        raise _Unresolvable(f"external $ref {ref!r} is not supported")
    node: Any = root
    for raw in ref[1:].split("/")[1:]:
        token = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise _Unresolvable(f"$ref {ref!r} does not resolve")
    return node


def _is_null_schema(schema: Any) -> bool:
    return isinstance(schema, Mapping) and (
        schema.get("type") == "null"
        or schema.get("enum") == [None]
        or schema.get("const", 0) is None
    )


@dataclass
class _Norm:
    """A schema with references, wrappers and nullability folded away."""

    schema: dict[str, Any]
    refs: tuple[str, ...] = ()  # every $ref followed, for recursion detection
    alternatives: list[Any] | None = None  # non-null members of anyOf/oneOf (2 or more)


def _normalize(schema: Any, root: Mapping[str, Any]) -> _Norm:
    if schema is True or schema is None:
        return _Norm({})
    if not isinstance(schema, Mapping):
        raise _Unresolvable(f"not a schema: {schema!r}")
    current: dict[str, Any] = dict(schema)
    refs: list[str] = []
    for _ in range(64):  # generous bound against pathological self-references
        if "$ref" in current:
            ref = current.pop("$ref")
            if ref in refs:
                break
            refs.append(ref)
            target = _resolve_pointer(root, ref)
            if not isinstance(target, Mapping):
                raise _Unresolvable(f"$ref {ref!r} does not point at a schema")
            current = {**target, **current}
            continue
        if "allOf" in current:
            members = current.pop("allOf")
            merged: dict[str, Any] = {}
            for member in members:
                member_norm = _normalize(member, root)
                refs.extend(member_norm.refs)
                merged = _merge_all_of(merged, member_norm.schema)
                if member_norm.alternatives is not None:
                    merged.setdefault("anyOf", member_norm.alternatives)
            current = _merge_all_of(merged, current)
            continue
        folded = False
        for key in ("anyOf", "oneOf"):
            if key in current:
                members = [m for m in current[key] if not _is_null_schema(m)]
                if len(members) == 1:
                    del current[key]
                    current = {**members[0], **current} if isinstance(members[0], Mapping) else {}
                    folded = True
                    break
                current[key] = members
        if not folded:
            break
    kind = current.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        current["type"] = kinds[0] if len(kinds) == 1 else sorted(kinds)
    if "const" in current and "enum" not in current:
        current["enum"] = [current["const"]]
    alternatives: list[Any] | None = None
    for key in ("anyOf", "oneOf"):
        if key in current:
            alternatives = (alternatives or []) + list(current.pop(key))
    if current.get("type") is None and "properties" in current:
        current["type"] = "object"
    return _Norm(current, tuple(refs), alternatives)


def _merge_all_of(left: dict[str, Any], right: Mapping[str, Any]) -> dict[str, Any]:
    merged = {**left, **right}
    if "properties" in left and "properties" in right:
        merged["properties"] = {**left["properties"], **right["properties"]}
    if "required" in left and "required" in right:
        merged["required"] = list(dict.fromkeys([*left["required"], *right["required"]]))
    return merged


def _direct_component_ref(schema: Any) -> str | None:
    """Component name when ``schema`` is just a reference to ``#/components/schemas/<name>``.

    Wrappers count as "just a reference": sibling annotation keys, ``allOf: [{$ref}]`` and
    ``anyOf: [{$ref}, {type: null}]``.
    """
    if not isinstance(schema, Mapping):
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(_SCHEMA_REF_PREFIX):
        return unquote(ref[len(_SCHEMA_REF_PREFIX) :])
    for key in ("allOf", "anyOf", "oneOf"):
        members = schema.get(key)
        if isinstance(members, list):
            non_null = [m for m in members if not _is_null_schema(m)]
            if len(non_null) == 1 and (key == "allOf" or len(non_null) < len(members)):
                return _direct_component_ref(non_null[0])
    return None


def _describe(norm: _Norm) -> str:
    if norm.alternatives is not None:
        return "one of [" + ", ".join(_describe_raw(a) for a in norm.alternatives) + "]"
    return _describe_raw(norm.schema)


def _describe_raw(schema: Any) -> str:
    if not isinstance(schema, Mapping):
        return repr(schema)
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    kind = schema.get("type")
    if kind is None:
        return "any" if not schema else "untyped schema"
    return str(kind)


# --------------------------------------------------------------------------------------------
# Structural comparison
# --------------------------------------------------------------------------------------------


@dataclass
class _Comparer:
    spec_root: Mapping[str, Any]
    served_root: Mapping[str, Any]
    # Components compared on their own; a reference to one of them on both sides is accepted
    # without descending (avoids reporting the same component difference once per use).
    shared_components: frozenset[str] = frozenset()
    _active: set[tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=set)

    def compare(self, spec_schema: Any, served_schema: Any, where: str) -> list[str]:
        spec_name = _direct_component_ref(spec_schema)
        if (
            spec_name is not None
            and spec_name in self.shared_components
            and _direct_component_ref(served_schema) == spec_name
        ):
            return []
        try:
            spec = _normalize(spec_schema, self.spec_root)
        except _Unresolvable as exc:
            return [f"{where}: spec schema problem: {exc}"]
        try:
            served = _normalize(served_schema, self.served_root)
        except _Unresolvable as exc:
            return [f"{where}: served schema problem: {exc}"]
        key = (spec.refs, served.refs)
        if (spec.refs or served.refs) and key in self._active:
            return []  # recursive schema: already being compared further up
        self._active.add(key)
        try:
            return self._compare_normalized(spec, served, where)
        finally:
            self._active.discard(key)

    def _compare_normalized(self, spec: _Norm, served: _Norm, where: str) -> list[str]:
        if spec.alternatives is not None or served.alternatives is not None:
            return self._compare_alternatives(spec, served, where)
        a, b = spec.schema, served.schema
        if not _constrains(a):
            return []
        if not _constrains(b):
            return [f"{where}: served schema is unconstrained (spec: {_describe(spec)})"]
        diffs: list[str] = []
        if "type" in a:
            if "type" not in b:
                diffs.append(f"{where}: served schema has no type (spec: {a['type']})")
            elif _as_type_set(a["type"]) != _as_type_set(b["type"]):
                diffs.append(f"{where}: type differs: spec {a['type']}, served {b['type']}")
                return diffs
        diffs.extend(self._compare_format(a, b, where))
        for keyword in _BOUND_KEYWORDS:
            if (keyword in a or keyword in b) and a.get(keyword) != b.get(keyword):
                diffs.append(
                    f"{where}: {keyword} differs: spec {a.get(keyword)!r}, "
                    f"served {b.get(keyword)!r}"
                )
        if "enum" in a or "enum" in b:
            spec_enum, served_enum = _enum_set(a), _enum_set(b)
            if spec_enum != served_enum:
                diffs.append(
                    f"{where}: enum differs: spec {_fmt_enum(spec_enum)}, "
                    f"served {_fmt_enum(served_enum)}"
                )
        diffs.extend(self._compare_object(a, b, where))
        if "items" in a:
            if "items" not in b:
                diffs.append(f"{where}: served array has no items schema")
            else:
                diffs.extend(self.compare(a["items"], b["items"], f"{where}[]"))
        return diffs

    def _compare_format(self, a: Mapping[str, Any], b: Mapping[str, Any], where: str) -> list[str]:
        spec_format, served_format = a.get("format"), b.get("format")
        if spec_format == served_format:
            return []
        if served_format is None and spec_format in _ADVISORY_FORMATS:
            return []
        if spec_format is None and served_format in _ADVISORY_FORMATS:
            return []
        return [f"{where}: format differs: spec {spec_format!r}, served {served_format!r}"]

    def _compare_object(self, a: Mapping[str, Any], b: Mapping[str, Any], where: str) -> list[str]:
        diffs: list[str] = []
        served_props: Mapping[str, Any] = b.get("properties", {})
        for name, prop in a.get("properties", {}).items():
            if name not in served_props:
                diffs.append(f"{where}: property '{name}' is missing")
            else:
                diffs.extend(self.compare(prop, served_props[name], f"{where}.{name}"))
        spec_required = set(a.get("required", []))
        served_required = set(b.get("required", []))
        for name in sorted(spec_required - served_required):
            if name in served_props:
                diffs.append(f"{where}: property '{name}' is required by the spec but optional")
            elif name in a.get("properties", {}):
                pass  # already reported as missing
            else:
                diffs.append(f"{where}: required property '{name}' is missing")
        for name in sorted(served_required - spec_required):
            diffs.append(f"{where}: property '{name}' is required but the spec makes it optional")
        spec_extra = _additional(a)
        served_extra = _additional(b)
        if isinstance(spec_extra, bool) or isinstance(served_extra, bool):
            if spec_extra != served_extra:
                diffs.append(
                    f"{where}: additionalProperties differs: spec {_fmt_extra(spec_extra)}, "
                    f"served {_fmt_extra(served_extra)}"
                )
        else:
            diffs.extend(self.compare(spec_extra, served_extra, f"{where}{{*}}"))
        return diffs

    def _compare_alternatives(self, spec: _Norm, served: _Norm, where: str) -> list[str]:
        if spec.alternatives is None or served.alternatives is None:
            return [f"{where}: spec {_describe(spec)}, served {_describe(served)}"]
        unmatched = list(served.alternatives)
        missing: list[Any] = []
        for option in spec.alternatives:
            for index, candidate in enumerate(unmatched):
                if not self.compare(option, candidate, where):
                    del unmatched[index]
                    break
            else:
                missing.append(option)
        if missing or unmatched:
            return [
                f"{where}: alternatives differ: spec {_describe(spec)}, served {_describe(served)}"
            ]
        return []


def _constrains(schema: Mapping[str, Any]) -> bool:
    return any(
        key in schema
        for key in (
            "type",
            "format",
            "enum",
            "properties",
            "required",
            "items",
            "additionalProperties",
            *_BOUND_KEYWORDS,
        )
    )


def _as_type_set(kind: Any) -> frozenset[str]:
    return frozenset(kind) if isinstance(kind, list) else frozenset([kind])


def _enum_set(schema: Mapping[str, Any]) -> frozenset[str] | None:
    if "enum" not in schema:
        return None
    return frozenset(repr(value) for value in schema["enum"] if value is not None)


def _fmt_enum(values: frozenset[str] | None) -> str:
    return "(none)" if values is None else "[" + ", ".join(sorted(values)) + "]"


def _additional(schema: Mapping[str, Any]) -> Any:
    """``additionalProperties`` with the defaults made explicit (absent or ``{}`` -> True)."""
    value = schema.get("additionalProperties", True)
    if isinstance(value, Mapping) and not value:
        return True
    return value


def _fmt_extra(value: Any) -> str:
    if value is True:
        return "allowed"
    if value is False:
        return "forbidden"
    return "constrained"


def compare_schema(
    spec_schema: Any,
    served_schema: Any,
    *,
    spec_root: Mapping[str, Any] | None = None,
    served_root: Mapping[str, Any] | None = None,
    where: str = "schema",
) -> list[str]:
    """Structural differences between two JSON schemas (empty list: equivalent).

    ``$ref``\\s resolve against ``spec_root``/``served_root`` (e.g. the whole OpenAPI document,
    or a ``model_json_schema()`` carrying ``$defs``); each root defaults to its schema.
    """
    spec_root = spec_root if spec_root is not None else _as_root(spec_schema)
    served_root = served_root if served_root is not None else _as_root(served_schema)
    return _Comparer(spec_root, served_root).compare(spec_schema, served_schema, where)


def _as_root(schema: Any) -> Mapping[str, Any]:
    return schema if isinstance(schema, Mapping) else {}


# --------------------------------------------------------------------------------------------
# Document comparison
# --------------------------------------------------------------------------------------------


def compare_to_spec(served: Mapping[str, Any], spec: Mapping[str, Any]) -> list[str]:
    """Differences between a served OpenAPI document and the contract (empty: conforms)."""
    spec = apply_known_spec_slips(spec)
    spec_schemas: Mapping[str, Any] = spec.get("components", {}).get("schemas", {})
    served_schemas: Mapping[str, Any] = served.get("components", {}).get("schemas", {})
    comparer = _Comparer(
        spec_root=spec,
        served_root=served,
        shared_components=frozenset(set(spec_schemas) & set(served_schemas)),
    )
    diffs: list[str] = []
    served_paths: Mapping[str, Any] = served.get("paths", {})
    for path, spec_item in spec.get("paths", {}).items():
        served_item = served_paths.get(path)
        if served_item is None:
            diffs.append(_missing_path_message(path, served_paths))
            continue
        for method in HTTP_METHODS:
            if method not in spec_item:
                continue
            label = f"{method.upper()} {path}"
            if method not in served_item:
                diffs.append(f"{label}: operation is missing")
                continue
            diffs.extend(_compare_operation(comparer, label, spec_item, served_item, method))
    for name, spec_schema in spec_schemas.items():
        if name not in served_schemas:
            variants = [v for v in (f"{name}-Input", f"{name}-Output") if v in served_schemas]
            hint = (
                f" (served has {' and '.join(variants)}: make the model's validation and "
                "serialization schemas identical)"
                if variants
                else ""
            )
            diffs.append(f"components.schemas.{name}: missing{hint}")
            continue
        diffs.extend(
            _Comparer(spec, served, comparer.shared_components - {name}).compare(
                spec_schema, served_schemas[name], f"components.schemas.{name}"
            )
        )
    return list(dict.fromkeys(diffs))


def _missing_path_message(path: str, served_paths: Mapping[str, Any]) -> str:
    shape = _template_shape(path)
    similar = [p for p in served_paths if _template_shape(p) == shape]
    if similar:
        return (
            f"{path}: path is missing (served has {', '.join(similar)} with different "
            "parameter names)"
        )
    return f"{path}: path is missing"


def _template_shape(path: str) -> str:
    return re.sub(r"\{[^}/]+\}", "{}", path)


def _parameters(
    root: Mapping[str, Any], path_item: Mapping[str, Any], operation: Mapping[str, Any]
) -> dict[tuple[str, str], Mapping[str, Any]]:
    """Path-level parameters overridden by operation-level ones, keyed by (in, name)."""
    merged: dict[tuple[str, str], Mapping[str, Any]] = {}
    for raw in [*path_item.get("parameters", []), *operation.get("parameters", [])]:
        param = raw
        if isinstance(raw, Mapping) and "$ref" in raw:
            try:
                param = _resolve_pointer(root, raw["$ref"])
            except _Unresolvable:
                continue
        if not isinstance(param, Mapping) or "name" not in param or "in" not in param:
            continue
        location = str(param["in"])
        name = str(param["name"])
        merged[(location, name.lower() if location == "header" else name)] = param
    return merged


def _compare_operation(
    comparer: _Comparer,
    label: str,
    spec_item: Mapping[str, Any],
    served_item: Mapping[str, Any],
    method: str,
) -> list[str]:
    spec_op: Mapping[str, Any] = spec_item[method]
    served_op: Mapping[str, Any] = served_item[method]
    diffs: list[str] = []

    spec_params = _parameters(comparer.spec_root, spec_item, spec_op)
    served_params = _parameters(comparer.served_root, served_item, served_op)
    for key, param in spec_params.items():
        location, _ = key
        name = param["name"]
        spec_required = bool(param.get("required", False)) or location == "path"
        served_param = served_params.get(key)
        if served_param is None:
            diffs.append(f"{label}: parameter '{name}' ({location}) is missing")
            continue
        served_required = bool(served_param.get("required", False)) or location == "path"
        if spec_required and not served_required:
            diffs.append(
                f"{label}: parameter '{name}' ({location}) is required by the spec but optional"
            )
        elif served_required and not spec_required:
            diffs.append(
                f"{label}: parameter '{name}' ({location}) is required but the spec makes it "
                "optional"
            )
        if "schema" in param:
            diffs.extend(
                comparer.compare(
                    param["schema"],
                    served_param.get("schema", {}),
                    f"{label}: parameter '{name}' ({location})",
                )
            )
    for key, served_param in served_params.items():
        if key not in spec_params and served_param.get("required"):
            diffs.append(
                f"{label}: served requires parameter '{served_param['name']}' ({key[0]}) "
                "which the spec does not define"
            )

    diffs.extend(_compare_request_body(comparer, label, spec_op, served_op))
    diffs.extend(_compare_responses(comparer, label, spec_op, served_op))
    return diffs


def _resolve_object(root: Mapping[str, Any], value: Any) -> Mapping[str, Any]:
    if isinstance(value, Mapping) and "$ref" in value:
        try:
            target = _resolve_pointer(root, value["$ref"])
        except _Unresolvable:
            return {}
        return target if isinstance(target, Mapping) else {}
    return value if isinstance(value, Mapping) else {}


def _compare_request_body(
    comparer: _Comparer, label: str, spec_op: Mapping[str, Any], served_op: Mapping[str, Any]
) -> list[str]:
    spec_body = _resolve_object(comparer.spec_root, spec_op.get("requestBody"))
    served_body = _resolve_object(comparer.served_root, served_op.get("requestBody"))
    if not spec_body:
        if served_body.get("required"):
            return [f"{label}: served requires a request body which the spec does not define"]
        return []
    if not served_body:
        return [f"{label}: request body is missing"]
    diffs: list[str] = []
    if spec_body.get("required") and not served_body.get("required"):
        diffs.append(f"{label}: request body is required by the spec but optional")
    diffs.extend(
        _compare_content(
            comparer,
            f"{label}: request body",
            spec_body.get("content", {}),
            served_body.get("content", {}),
        )
    )
    return diffs


def _compare_content(
    comparer: _Comparer,
    where: str,
    spec_content: Mapping[str, Any],
    served_content: Mapping[str, Any],
) -> list[str]:
    diffs: list[str] = []
    for media_type, spec_media in spec_content.items():
        served_media = served_content.get(media_type)
        if served_media is None:
            diffs.append(f"{where}: media type {media_type} is missing")
            continue
        if isinstance(spec_media, Mapping) and "schema" in spec_media:
            if not isinstance(served_media, Mapping) or "schema" not in served_media:
                diffs.append(f"{where} ({media_type}): served declares no schema")
                continue
            diffs.extend(
                comparer.compare(
                    spec_media["schema"], served_media["schema"], f"{where} ({media_type})"
                )
            )
    return diffs


def _compare_responses(
    comparer: _Comparer, label: str, spec_op: Mapping[str, Any], served_op: Mapping[str, Any]
) -> list[str]:
    diffs: list[str] = []
    spec_responses = {str(k).upper(): v for k, v in spec_op.get("responses", {}).items()}
    served_responses = {str(k).upper(): v for k, v in served_op.get("responses", {}).items()}
    for status, raw_spec_response in spec_responses.items():
        if status not in served_responses:
            diffs.append(f"{label}: response {status} is missing")
            continue
        spec_response = _resolve_object(comparer.spec_root, raw_spec_response)
        served_response = _resolve_object(comparer.served_root, served_responses[status])
        diffs.extend(
            _compare_content(
                comparer,
                f"{label}: response {status}",
                spec_response.get("content", {}),
                served_response.get("content", {}),
            )
        )
        served_headers = {
            str(name).lower(): value for name, value in served_response.get("headers", {}).items()
        }
        for name, raw_header in spec_response.get("headers", {}).items():
            served_header = served_headers.get(str(name).lower())
            if served_header is None:
                diffs.append(f"{label}: response {status} header '{name}' is missing")
                continue
            spec_header = _resolve_object(comparer.spec_root, raw_header)
            served_header = _resolve_object(comparer.served_root, served_header)
            if "schema" in spec_header:
                diffs.extend(
                    comparer.compare(
                        spec_header["schema"],
                        served_header.get("schema", {}),
                        f"{label}: response {status} header '{name}'",
                    )
                )
    if "422" in served_responses and "422" not in spec_responses:
        diffs.append(
            f"{label}: served documents a 422 response the spec does not define "
            "(the spec uses 400 for invalid input)"
        )
    return diffs
