import { describe, expect, it } from "vitest";
import type { ModelRating } from "../../api/types";
import {
  formatBytes,
  formatMegabytes,
  formatProgress,
  formatScore,
  formatSeconds,
  formatUtc,
  percent,
  ratingRows,
  relationshipLabel,
} from "./format";

function rating(overrides: Partial<ModelRating> = {}): ModelRating {
  const base: Record<string, unknown> = { name: "m", category: "MODEL" };
  for (const metric of [
    "net_score",
    "ramp_up_time",
    "bus_factor",
    "performance_claims",
    "license",
    "dataset_and_code_score",
    "dataset_quality",
    "code_quality",
    "reproducibility",
    "reviewedness",
    "tree_score",
  ]) {
    base[metric] = 0.5;
    base[`${metric}_latency`] = 0.1;
  }
  base.size_score = { raspberry_pi: 0.1, jetson_nano: 0.2, desktop_pc: 0.9, aws_server: 1 };
  base.size_score_latency = 0.02;
  return { ...(base as unknown as ModelRating), ...overrides };
}

describe("formatBytes", () => {
  it("uses decimal units like the cost route", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(9956)).toBe("9.96 kB");
    expect(formatBytes(123_456_789)).toBe("123 MB");
    expect(formatBytes(2_500_000_000)).toBe("2.50 GB");
    expect(formatBytes(-1)).toBe("unknown size");
    expect(formatMegabytes(0.009332)).toBe("9.33 kB");
  });
});

describe("formatSeconds / formatUtc / progress", () => {
  it("formats latencies", () => {
    expect(formatSeconds(0.48)).toBe("480 ms");
    expect(formatSeconds(1.234)).toBe("1.23 s");
    expect(formatSeconds(Number.NaN)).toBe("unknown");
  });
  it("always shows UTC", () => {
    expect(formatUtc("2026-11-22T17:44:38Z")).toBe("2026-11-22 17:44:38 UTC");
    expect(formatUtc("2026-11-22T19:44:38+02:00")).toBe("2026-11-22 17:44:38 UTC");
    expect(formatUtc("yesterday")).toBe("yesterday");
  });
  it("computes progress, indeterminate without a total", () => {
    expect(percent(50, 200)).toBe(25);
    expect(percent(10, null)).toBeNull();
    expect(percent(300, 200)).toBe(100);
    expect(formatProgress(500, 1000)).toBe("500 B of 1.00 kB (50 %)");
    expect(formatProgress(500, null)).toBe("500 B so far");
  });
});

describe("ratingRows", () => {
  it("lists every sub-score and each device of size_score with its latency", () => {
    const rows = ratingRows(rating());
    expect(rows.map((r) => r.key)).toEqual([
      "net_score",
      "ramp_up_time",
      "bus_factor",
      "performance_claims",
      "license",
      "dataset_and_code_score",
      "dataset_quality",
      "code_quality",
      "reproducibility",
      "reviewedness",
      "tree_score",
      "size_score.raspberry_pi",
      "size_score.jetson_nano",
      "size_score.desktop_pc",
      "size_score.aws_server",
    ]);
    expect(rows.at(-1)).toMatchObject({ label: "Size score: AWS server", value: 1, latency: 0.02 });
  });
  it("shows reviewedness -1 as not applicable, never as a negative value", () => {
    const row = ratingRows(rating({ reviewedness: -1 })).find((r) => r.key === "reviewedness")!;
    expect(row.value).toBeNull();
    expect(row.note).toMatch(/no linked code repository/);
    expect(formatScore(row.value)).toBe("not applicable");
    expect(formatScore(0.5)).toBe("0.50");
  });
});

describe("relationshipLabel", () => {
  it("words the lineage relationships", () => {
    expect(relationshipLabel("base_model")).toBe("base model");
    expect(relationshipLabel("fine_tuning_dataset")).toBe("fine-tuning dataset");
    expect(relationshipLabel("some_new-kind")).toBe("some new kind");
  });
});
