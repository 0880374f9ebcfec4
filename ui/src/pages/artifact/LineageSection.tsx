import type { MouseEvent } from "react";
import { Link, useHref, useNavigate } from "react-router";
import type { ArtifactLineageGraph, ArtifactLineageNode } from "../../api/types";
import { isArtifactType, type ArtifactType } from "../../api/types";
import type { AsyncState } from "../../app/useAsync";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import { relationshipLabel } from "./format";
import { DEFAULT_OPTIONS, layoutGraph } from "./layout";
import { Section } from "./Section";

export interface LineageNodeInfo {
  id: string;
  name: string;
  /** model, dataset or code when known. */
  type: ArtifactType | null;
  /** A registered artifact (has a detail page). */
  registered: boolean;
  current: boolean;
  source: string;
  /** Where an unregistered artifact lives (e.g. github:org/repo). */
  reference: string | null;
}

export function nodeInfo(node: ArtifactLineageNode, currentId: string): LineageNodeInfo {
  const meta = node.metadata ?? {};
  const kind = typeof meta.type === "string" ? meta.type : typeof meta.kind === "string" ? meta.kind : "";
  const registered = meta.registered !== false && !node.artifact_id.startsWith("ext-") && isArtifactType(kind);
  return {
    id: node.artifact_id,
    name: node.name,
    type: isArtifactType(kind) ? kind : null,
    registered,
    current: node.artifact_id === currentId,
    source: node.source,
    reference: typeof meta.reference === "string" ? meta.reference : null,
  };
}

const SOURCE_WORDS: Record<string, string> = {
  registry: "this artifact",
  card_base_model: "model card (base_model)",
  card_datasets: "model card (datasets)",
  card_links: "model card (links)",
  config: "config.json",
};

export function detailPath(node: { type: ArtifactType | null; id: string }): string {
  return `/artifacts/${node.type ?? "model"}/${encodeURIComponent(node.id)}`;
}

export function LineageSection({ state, id }: { state: AsyncState<ArtifactLineageGraph>; id: string }) {
  return (
    <Section id="lineage" title="Lineage" busy={state.status === "loading"}>
      {state.status === "loading" ? <Loading label="Loading the lineage…" /> : null}
      {state.status === "error" ? <ErrorMessage error={state.error} title="Could not load the lineage." /> : null}
      {state.status === "ok" ? <LineageView graph={state.data} id={id} /> : null}
    </Section>
  );
}

function LineageView({ graph, id }: { graph: ArtifactLineageGraph; id: string }) {
  const nodes = graph.nodes.map((n) => nodeInfo(n, id));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const current = byId.get(id);
  if (graph.edges.length === 0) {
    return (
      <div className="alert alert--info" id="lineage-empty">
        <p>
          No ancestors are recorded for {current?.name ?? "this model"}: its model card and config name no base model,
          dataset or code repository.
        </p>
      </div>
    );
  }
  const registered = nodes.filter((n) => n.registered && !n.current).length;
  const external = nodes.filter((n) => !n.registered).length;
  const summary =
    `Lineage graph of ${current?.name ?? "this model"}: ${nodes.length} artifacts and ${graph.edges.length} relationships, ` +
    `ancestors on the left. ${registered} registered ${registered === 1 ? "artifact is a link" : "artifacts are links"}` +
    (external ? `; ${external} not registered in this registry` : "") +
    ". The same graph is listed in the tables below.";
  return (
    <>
      <p className="status-line">
        Ancestors on the left, {current?.name ?? "this model"} on the right. Registered artifacts open their page; dashed
        boxes are referenced but not registered here.
      </p>
      <LineageGraph graph={graph} nodes={nodes} summary={summary} />
      <details className="table-toggle">
        <summary>Show the lineage as tables</summary>
        <LineageTables graph={graph} nodes={nodes} byId={byId} />
      </details>
    </>
  );
}

const NAME_CHARS = 27;

function shorten(text: string, max = NAME_CHARS): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function LineageGraph({ graph, nodes, summary }: { graph: ArtifactLineageGraph; nodes: LineageNodeInfo[]; summary: string }) {
  const navigate = useNavigate();
  const base = useHref("/");
  const layout = layoutGraph({
    nodes: nodes.map((n) => ({ id: n.id })),
    edges: graph.edges.map((e) => ({ from: e.from_node_artifact_id, to: e.to_node_artifact_id })),
  });
  const { nodeWidth: w, nodeHeight: h } = DEFAULT_OPTIONS;
  const href = (path: string) => `${base.replace(/\/$/, "")}${path}`;
  const go = (event: MouseEvent, path: string) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(path);
  };
  return (
    <div className="chart-wrap lineage-wrap">
      <svg
        className="lineage"
        viewBox={`0 0 ${layout.width} ${layout.height}`}
        // Scales down to the column (never up), with a floor below which the box scrolls.
        style={{ maxWidth: layout.width }}
        role="group"
        aria-label={summary}
      >
        <defs>
          <marker id="lineage-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto">
            <path d="M 0 0 L 10 5 L 0 10 z" className="lineage__arrowhead" />
          </marker>
        </defs>
        <g aria-hidden="true">
          {layout.edges.map((edge, i) => (
            <path key={`e${i}`} className="lineage__edge" d={edge.path} markerEnd="url(#lineage-arrow)" />
          ))}
          {layout.edges.map((edge, i) => (
            <text key={`l${i}`} className="lineage__edge-label" x={edge.labelX} y={edge.labelY - 4} textAnchor="middle">
              {relationshipLabel(graph.edges[i]!.relationship)}
            </text>
          ))}
        </g>
        {nodes.map((node) => {
          const at = layout.nodes.get(node.id);
          if (!at) return null;
          const kind = node.type ?? "artifact";
          const second = node.current ? `this ${kind}` : node.registered ? kind : `${kind}, not registered`;
          // One <text> with a space between the lines, so a link's name (from its content) reads
          // "minilm-base model", exactly what is drawn.
          const box = (
            <>
              <rect className="lineage__box" x={at.x} y={at.y} width={w} height={h} rx={6} />
              <text x={at.x + 10} y={at.y + 22}>
                <tspan className="lineage__name">{shorten(node.name)}</tspan>{" "}
                <tspan className="lineage__kind" x={at.x + 10} y={at.y + 42}>
                  {second}
                </tspan>
              </text>
            </>
          );
          const label = `${node.name} (${second})`;
          if (node.registered && !node.current) {
            const path = detailPath(node);
            return (
              <a
                key={node.id}
                className="lineage__node lineage__node--link"
                href={href(path)}
                onClick={(event) => go(event, path)}
              >
                {box}
              </a>
            );
          }
          return (
            <g
              key={node.id}
              className={node.current ? "lineage__node lineage__node--current" : "lineage__node lineage__node--external"}
              role="img"
              aria-label={node.reference ? `${label}, ${node.reference}` : label}
            >
              <title>{node.reference ? `${node.name} (${node.reference})` : node.name}</title>
              {box}
            </g>
          );
        })}
      </svg>
    </div>
  );
}

function LineageTables({
  graph,
  nodes,
  byId,
}: {
  graph: ArtifactLineageGraph;
  nodes: LineageNodeInfo[];
  byId: Map<string, LineageNodeInfo>;
}) {
  const name = (nodeId: string) => {
    const node = byId.get(nodeId);
    if (!node) return <code>{nodeId}</code>;
    if (node.registered && !node.current) return <Link to={detailPath(node)}>{node.name}</Link>;
    return <>{node.name}</>;
  };
  return (
    <div className="table-wrap">
      <table className="data" id="lineage-nodes">
        <caption>Artifacts in the lineage</caption>
        <thead>
          <tr>
            <th scope="col">Artifact</th>
            <th scope="col">Type</th>
            <th scope="col">Found in</th>
            <th scope="col">In this registry</th>
          </tr>
        </thead>
        <tbody>
          {nodes.map((node) => (
            <tr key={node.id}>
              <th scope="row">{name(node.id)}</th>
              <td>{node.type ?? "unknown"}</td>
              <td>{SOURCE_WORDS[node.source] ?? node.source.replace(/_/g, " ")}</td>
              <td>
                {node.current ? "this artifact" : node.registered ? "registered" : "not registered"}
                {node.reference ? (
                  <>
                    {" "}
                    (<code>{node.reference}</code>)
                  </>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <table className="data" id="lineage-edges">
        <caption>Relationships (ancestor, how it is related, descendant)</caption>
        <thead>
          <tr>
            <th scope="col">Ancestor</th>
            <th scope="col">Relationship</th>
            <th scope="col">Descendant</th>
          </tr>
        </thead>
        <tbody>
          {graph.edges.map((edge, i) => (
            <tr key={i}>
              <th scope="row">{name(edge.from_node_artifact_id)}</th>
              <td>is the {relationshipLabel(edge.relationship)} of</td>
              <td>{name(edge.to_node_artifact_id)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
