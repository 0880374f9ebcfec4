"""Lineage use cases: index artifacts from their events, draw a model's ancestry, and sum the
download cost of an artifact with everything it depends on."""

from __future__ import annotations

import hashlib
from collections import deque
from typing import Any

from registry_common.errors import BadRequest, NotFound
from registry_common.events import ArtifactUpdated, ArtifactUploaded
from registry_common.outbound import OutboundPolicy
from registry_lineage.licenses.compatibility import check
from registry_lineage.licenses.github import github_license
from registry_lineage.references import own_keys, references
from registry_lineage.store import LineageStore
from registry_lineage.tables import ArtifactNodeRow

BYTES_PER_MB = 1_000_000


class NotIndexed(NotFound):
    """The artifact exists in the catalog but its upload event has not been processed yet."""

    code = "not_indexed"


def external_id(key: str) -> str:
    """A stable id for an ancestor that is not registered (matches the spec's id pattern)."""
    return "ext-" + hashlib.sha256(key.encode()).hexdigest()[:20]


class LineageService:
    def __init__(
        self,
        store: LineageStore,
        log: Any,
        *,
        github_api_url: str,
        github_token: str | None,
        outbound: OutboundPolicy | None = None,
    ) -> None:
        self._store = store
        self._outbound = outbound
        self._log = log
        self._github_api_url = github_api_url
        self._github_token = github_token

    async def license_check(self, artifact_id: str, github_url: str) -> dict[str, Any]:
        """May a company fine-tune this model with that GitHub project's code and use the
        result for inference/generation? (R10; the rules are in `licenses/`.)"""
        row = await self._indexed(artifact_id)
        project = await github_license(
            github_url,
            api_url=self._github_api_url,
            token=self._github_token,
            policy=self._outbound,
        )
        model_license = row.details.get("licenses") or row.details.get("license")
        verdict = check(model_license, project.spdx_id)
        self._log.info(
            "lineage.license.checked",
            artifact_id=artifact_id,
            github=f"{project.owner}/{project.repo}",
            compatible=verdict.compatible,
            rule=verdict.rule,
        )
        return {"compatible": verdict.compatible, "detail": verdict.detail()}

    async def index(self, event: ArtifactUploaded | ArtifactUpdated) -> None:
        metadata = event.metadata.as_mapping()
        keys = own_keys(
            str(metadata.get("source_kind")), metadata.get("repo_id"), metadata.get("github")
        )
        refs = references(metadata, keys)
        details = {
            key: metadata.get(key)
            for key in (
                "source_kind",
                "repo_id",
                "card_error",
                "config_error",
                "license",
                "base_model_relation",
                "revision",
            )
            if metadata.get(key) is not None
        }
        indexed = await self._store.index(
            artifact_id=event.artifact.id,
            name=event.artifact.name,
            type_=event.artifact.type,
            source_url=event.source_url,
            content_bytes=int(metadata.get("content_bytes") or 0),
            details=details,
            keys=keys,
            references=refs,
            revision=int(metadata.get("revision") or 1),
        )
        if not indexed:
            self._log.info(
                "lineage.artifact.skipped",
                artifact_id=event.artifact.id,
                reason="a newer revision is indexed, or the artifact was deleted",
            )
            return
        self._log.info(
            "lineage.artifact.indexed",
            artifact_id=event.artifact.id,
            keys=keys,
            references=len(refs),
        )

    async def forget(self, artifact_id: str) -> None:
        await self._store.remove(artifact_id)

    async def reset(self) -> None:
        await self._store.clear()

    async def graph(self, artifact_id: str) -> dict[str, Any]:
        """The model and its ancestors (transitively): nodes with non-null fields, edges
        upstream → downstream. Cycles and self-references in metadata never loop."""
        root = await self._indexed(artifact_id)
        problem = root.details.get("card_error") or root.details.get("config_error")
        if problem:
            raise BadRequest(
                f"The lineage graph cannot be computed because the artifact's metadata is "
                f"malformed: {problem}"
            )
        nodes: dict[str, dict[str, Any]] = {artifact_id: _registered_node(root, "registry")}
        edges: dict[tuple[str, str, str], dict[str, str]] = {}
        queue = deque([artifact_id])
        while queue:
            layer = [queue.popleft() for _ in range(len(queue))]
            refs = await self._store.references_of(layer)
            bound = await self._store.resolve(r.parent_key for r in refs)
            registered = await self._store.artifacts(ids[0] for ids in bound.values() if ids)
            for ref in refs:
                candidates = [i for i in bound.get(ref.parent_key, []) if i != ref.child_id]
                parent_row = registered.get(candidates[0]) if candidates else None
                if parent_row is not None:
                    parent_id = parent_row.artifact_id
                    if parent_id not in nodes:
                        nodes[parent_id] = _registered_node(parent_row, ref.source)
                        queue.append(parent_id)
                else:
                    parent_id = external_id(ref.parent_key)
                    nodes.setdefault(
                        parent_id,
                        {
                            "artifact_id": parent_id,
                            "name": ref.parent_name,
                            "source": ref.source,
                            "metadata": {
                                "reference": ref.parent_key,
                                "kind": ref.parent_kind,
                                "registered": False,
                            },
                        },
                    )
                edge = {
                    "from_node_artifact_id": parent_id,
                    "to_node_artifact_id": ref.child_id,
                    "relationship": ref.relationship,
                }
                edges.setdefault((parent_id, ref.child_id, ref.relationship), edge)
        return {"nodes": list(nodes.values()), "edges": list(edges.values())}

    async def cost(self, artifact_id: str) -> dict[str, dict[str, float]]:
        """Standalone and total cost (MB) of the artifact and of each registered dependency;
        a node's total counts itself and every distinct ancestor once."""
        await self._indexed(artifact_id)
        parents: dict[str, set[str]] = {}
        rows: dict[str, ArtifactNodeRow] = {}
        frontier = [artifact_id]
        while frontier:
            rows.update(await self._store.artifacts(i for i in frontier if i not in rows))
            refs = await self._store.references_of(frontier)
            bound = await self._store.resolve(r.parent_key for r in refs)
            next_frontier: list[str] = []
            for child in frontier:
                parents.setdefault(child, set())
            for ref in refs:
                candidates = [i for i in bound.get(ref.parent_key, []) if i != ref.child_id]
                if candidates:
                    parents[ref.child_id].add(candidates[0])
                    if candidates[0] not in parents:
                        next_frontier.append(candidates[0])
            frontier = sorted(set(next_frontier) - set(parents))
        rows.update(await self._store.artifacts(i for i in parents if i not in rows))

        def ancestors(node: str) -> set[str]:
            seen: set[str] = set()
            stack = list(parents.get(node, ()))
            while stack:
                current = stack.pop()
                if current in seen or current == node:
                    continue
                seen.add(current)
                stack.extend(parents.get(current, ()))
            return seen

        def mb(node: str) -> float:
            row = rows.get(node)
            return row.content_bytes / BYTES_PER_MB if row else 0.0

        result: dict[str, dict[str, float]] = {}
        for node in parents:
            total = mb(node) + sum(mb(a) for a in ancestors(node))
            result[node] = {"standalone_cost": round(mb(node), 6), "total_cost": round(total, 6)}
        return result

    async def _indexed(self, artifact_id: str) -> ArtifactNodeRow:
        row = await self._store.artifact(artifact_id)
        if row is None:
            raise NotIndexed(f"Artifact {artifact_id!r} is not in the lineage index (yet).")
        return row


def _registered_node(row: ArtifactNodeRow, source: str) -> dict[str, Any]:
    metadata = {"type": row.type}
    if row.source_url:
        metadata["repository_url"] = row.source_url
    return {
        "artifact_id": row.artifact_id,
        "name": row.name,
        "source": source,
        "metadata": metadata,
    }
