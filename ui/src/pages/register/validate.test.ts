import { describe, expect, it } from "vitest";
import { failingMetrics, nameProblem, sourceUrlProblem, versionProblem, zipProblem } from "./validate";

describe("sourceUrlProblem", () => {
  it("wants an absolute http(s) URL", () => {
    expect(sourceUrlProblem("")).toMatch(/Enter the URL/);
    expect(sourceUrlProblem("bert-base-uncased")).toMatch(/full URL/);
    expect(sourceUrlProblem("ftp://example.com/x")).toMatch(/https:\/\//);
    expect(sourceUrlProblem(" https://huggingface.co/google-bert/bert-base-uncased ")).toBeNull();
  });
});

describe("name and version", () => {
  it("are optional but sane", () => {
    expect(nameProblem("")).toBeNull();
    expect(nameProblem("   ")).toMatch(/only spaces/);
    expect(nameProblem("x".repeat(513))).toMatch(/512/);
    expect(versionProblem("")).toBeNull();
    expect(versionProblem("2.1.0")).toBeNull();
    expect(versionProblem("2. 1")).toMatch(/no spaces/);
  });
});

describe("zipProblem", () => {
  it("checks presence, type and size", () => {
    expect(zipProblem(null)).toMatch(/Choose a zip/);
    expect(zipProblem({ name: "notes.txt", size: 10, type: "text/plain" })).toMatch(/not a zip/);
    expect(zipProblem({ name: "model.ZIP", size: 0, type: "" })).toMatch(/empty/);
    expect(zipProblem({ name: "m.zip", size: 11, type: "application/zip" }, 10)).toMatch(/larger/);
    expect(zipProblem({ name: "archive", size: 10, type: "application/zip" })).toBeNull();
    expect(zipProblem({ name: "m.zip", size: 10, type: "" })).toBeNull();
  });
});

describe("failingMetrics", () => {
  it("reads a 424's rating details", () => {
    expect(failingMetrics({ rating: { failing_metrics: ["bus_factor", "license"] } })).toEqual(["bus_factor", "license"]);
    expect(failingMetrics(null)).toEqual([]);
    expect(failingMetrics({ rating: "nope" })).toEqual([]);
  });
});
