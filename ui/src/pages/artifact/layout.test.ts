import { describe, expect, it } from "vitest";
import { assignLayers, layoutGraph, orderLayers, type LayoutInput } from "./layout";

// The seeded chain: minilm-base -> minilm-imdb-sentiment -> minilm-imdb-sentiment-onnx, with
// datasets and code feeding the first two.
const chain: LayoutInput = {
  nodes: [{ id: "onnx" }, { id: "sentiment" }, { id: "base" }, { id: "toolkit" }, { id: "imdb" }, { id: "bookcorpus" }],
  edges: [
    { from: "sentiment", to: "onnx" },
    { from: "base", to: "sentiment" },
    { from: "toolkit", to: "sentiment" },
    { from: "imdb", to: "sentiment" },
    { from: "bookcorpus", to: "base" },
  ],
};

describe("assignLayers", () => {
  it("puts ancestors left and each node just left of its nearest descendant", () => {
    const layers = assignLayers(chain);
    expect(layers.get("onnx")).toBe(3);
    expect(layers.get("sentiment")).toBe(2);
    expect(layers.get("base")).toBe(1);
    expect(layers.get("imdb")).toBe(1); // next to the model it fine-tuned, not at the far left
    expect(layers.get("bookcorpus")).toBe(0);
  });
  it("survives a cycle and edges to unknown nodes", () => {
    const layers = assignLayers({
      nodes: [{ id: "a" }, { id: "b" }],
      edges: [
        { from: "a", to: "b" },
        { from: "b", to: "a" },
        { from: "a", to: "ghost" },
      ],
    });
    expect(new Set(layers.values()).size).toBe(2);
  });
  it("puts a lone node in layer 0", () => {
    expect(assignLayers({ nodes: [{ id: "x" }], edges: [] }).get("x")).toBe(0);
  });
});

describe("orderLayers", () => {
  it("orders by barycentre to avoid crossings", () => {
    const input: LayoutInput = {
      nodes: [{ id: "p2" }, { id: "p1" }, { id: "c1" }, { id: "c2" }],
      edges: [
        { from: "p1", to: "c1" },
        { from: "p2", to: "c2" },
      ],
    };
    const layers = orderLayers(input, assignLayers(input));
    const [parents, children] = layers;
    expect(parents!.indexOf("p1") < parents!.indexOf("p2")).toBe(children!.indexOf("c1") < children!.indexOf("c2"));
  });
});

describe("layoutGraph", () => {
  it("places every node without overlaps and routes every edge left to right", () => {
    const layout = layoutGraph(chain);
    expect(layout.nodes.size).toBe(6);
    expect(layout.layers).toBe(4);
    const placed = [...layout.nodes.values()];
    for (const a of placed) {
      for (const b of placed) {
        if (a === b) continue;
        const overlap = Math.abs(a.x - b.x) < 210 && Math.abs(a.y - b.y) < 56;
        expect(overlap).toBe(false);
      }
      expect(a.x + 210).toBeLessThanOrEqual(layout.width);
      expect(a.y + 56).toBeLessThanOrEqual(layout.height);
    }
    expect(layout.edges).toHaveLength(5);
    for (const edge of layout.edges) {
      expect(layout.nodes.get(edge.from)!.x).toBeLessThan(layout.nodes.get(edge.to)!.x);
      expect(edge.path).toMatch(/^M [\d.]+ [\d.]+ C /);
    }
  });
  it("is deterministic", () => {
    expect(JSON.stringify([...layoutGraph(chain).nodes])).toBe(JSON.stringify([...layoutGraph(chain).nodes]));
  });
  it("handles an empty graph", () => {
    expect(layoutGraph({ nodes: [], edges: [] })).toMatchObject({ width: 0, height: 0, layers: 0 });
  });
});
