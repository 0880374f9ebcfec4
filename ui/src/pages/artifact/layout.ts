// A small layered (Sugiyama-style) layout for lineage graphs: ancestors on the left, the
// artifact on the right. Pure and deterministic; unit-tested in layout.test.ts.

export interface LayoutInput {
  nodes: { id: string }[];
  /** from -> to: from is the ancestor (base model, dataset, code), to the descendant. */
  edges: { from: string; to: string }[];
}

export interface LayoutOptions {
  nodeWidth: number;
  nodeHeight: number;
  /** Horizontal room between layers (edge labels live there). */
  layerGap: number;
  rowGap: number;
  margin: number;
}

export interface PlacedNode {
  id: string;
  layer: number;
  row: number;
  /** Top-left corner. */
  x: number;
  y: number;
}

export interface PlacedEdge {
  from: string;
  to: string;
  /** SVG path (a cubic curve from the source's right side to the target's left side). */
  path: string;
  /** Where the label goes (the curve's midpoint). */
  labelX: number;
  labelY: number;
}

export interface Layout {
  nodes: Map<string, PlacedNode>;
  edges: PlacedEdge[];
  width: number;
  height: number;
  layers: number;
}

export const DEFAULT_OPTIONS: LayoutOptions = {
  nodeWidth: 210,
  nodeHeight: 56,
  layerGap: 130,
  rowGap: 20,
  margin: 12,
};

/**
 * Layers "as late as possible": a node sits one layer left of its nearest descendant (so a
 * dataset sits next to the model it trained, not at the far left). Cycles, which lineage
 * should never have, are broken by ignoring the edge that closes them.
 */
export function assignLayers(input: LayoutInput): Map<string, number> {
  const ids = input.nodes.map((n) => n.id);
  const known = new Set(ids);
  const successors = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const edge of input.edges) {
    if (known.has(edge.from) && known.has(edge.to) && edge.from !== edge.to) successors.get(edge.from)!.push(edge.to);
  }
  // depth = longest path to a sink; computed by DFS, ignoring back edges.
  const depth = new Map<string, number>();
  const onStack = new Set<string>();
  const visit = (id: string): number => {
    const done = depth.get(id);
    if (done !== undefined) return done;
    onStack.add(id);
    let d = 0;
    for (const next of successors.get(id) ?? []) {
      if (onStack.has(next)) continue; // a cycle: ignore the closing edge
      d = Math.max(d, visit(next) + 1);
    }
    onStack.delete(id);
    depth.set(id, d);
    return d;
  };
  ids.forEach(visit);
  const maxDepth = Math.max(0, ...depth.values());
  return new Map(ids.map((id) => [id, maxDepth - (depth.get(id) ?? 0)]));
}

/** Order within each layer: input order, then barycentre sweeps to reduce crossings. */
export function orderLayers(input: LayoutInput, layerOf: Map<string, number>): string[][] {
  const count = Math.max(0, ...layerOf.values()) + 1;
  const layers: string[][] = Array.from({ length: count }, () => []);
  for (const node of input.nodes) layers[layerOf.get(node.id) ?? 0]!.push(node.id);
  const preds = new Map<string, string[]>();
  const succs = new Map<string, string[]>();
  for (const { from, to } of input.edges) {
    if (!layerOf.has(from) || !layerOf.has(to)) continue;
    preds.set(to, [...(preds.get(to) ?? []), from]);
    succs.set(from, [...(succs.get(from) ?? []), to]);
  }
  const position = new Map<string, number>();
  const index = () => layers.forEach((layer) => layer.forEach((id, i) => position.set(id, i)));
  index();
  const sortBy = (layer: string[], neighbours: Map<string, string[]>) => {
    const keyed = layer.map((id, i) => {
      const around = (neighbours.get(id) ?? []).map((n) => position.get(n)).filter((p): p is number => p !== undefined);
      const key = around.length ? around.reduce((a, b) => a + b, 0) / around.length : i;
      return { id, key, i };
    });
    keyed.sort((a, b) => a.key - b.key || a.i - b.i);
    return keyed.map((k) => k.id);
  };
  for (let sweep = 0; sweep < 4; sweep++) {
    // Right to left (children fixed), then left to right (parents fixed).
    for (let l = count - 2; l >= 0; l--) {
      layers[l] = sortBy(layers[l]!, succs);
      index();
    }
    for (let l = 1; l < count; l++) {
      layers[l] = sortBy(layers[l]!, preds);
      index();
    }
  }
  return layers;
}

export function layoutGraph(input: LayoutInput, options: LayoutOptions = DEFAULT_OPTIONS): Layout {
  const { nodeWidth, nodeHeight, layerGap, rowGap, margin } = options;
  if (input.nodes.length === 0) return { nodes: new Map(), edges: [], width: 0, height: 0, layers: 0 };
  const layerOf = assignLayers(input);
  const layers = orderLayers(input, layerOf);
  const tallest = Math.max(...layers.map((l) => l.length));
  const height = margin * 2 + tallest * nodeHeight + (tallest - 1) * rowGap;
  const width = margin * 2 + layers.length * nodeWidth + (layers.length - 1) * layerGap;
  const nodes = new Map<string, PlacedNode>();
  layers.forEach((layer, l) => {
    // Centre each layer vertically.
    const used = layer.length * nodeHeight + (layer.length - 1) * rowGap;
    const top = margin + (height - margin * 2 - used) / 2;
    layer.forEach((id, row) => {
      nodes.set(id, { id, layer: l, row, x: margin + l * (nodeWidth + layerGap), y: top + row * (nodeHeight + rowGap) });
    });
  });
  const edges: PlacedEdge[] = [];
  for (const { from, to } of input.edges) {
    const a = nodes.get(from);
    const b = nodes.get(to);
    if (!a || !b) continue;
    const x1 = a.x + nodeWidth;
    const y1 = a.y + nodeHeight / 2;
    const x2 = b.x;
    const y2 = b.y + nodeHeight / 2;
    const bend = Math.max(40, (x2 - x1) / 2);
    const path = `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`;
    // The label sits in the gap just left of the target layer, at the curve's height there.
    const labelX = x2 - layerGap / 2;
    const t = x2 - x1 > layerGap ? 1 - layerGap / 2 / (x2 - x1) : 0.5;
    const labelY = y1 + (y2 - y1) * (3 * t * t - 2 * t * t * t);
    edges.push({ from, to, path, labelX, labelY });
  }
  return { nodes, edges, width, height, layers: layers.length };
}
