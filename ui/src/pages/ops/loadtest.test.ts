import { describe, expect, it } from "vitest";
import type { LoadTestRun } from "../../api/loadtests";
import { bucketLabel, compareRows, finishedSentence, histogramSummary, percentOf, throughputSeries } from "./loadtest";

const run = (overrides: Partial<LoadTestRun> = {}): LoadTestRun => ({
  id: "r1",
  status: "completed",
  requested_by: "admin",
  created_at: "2026-12-07T10:00:00Z",
  finished_at: "2026-12-07T10:00:03Z",
  clients: 2,
  duration_seconds: 2,
  target: "http://127.0.0.1:8000",
  models: [{ id: "1", name: "bert", size: 100 }],
  message: null,
  clients_ready: 2,
  summary: {
    elapsed_seconds: 2,
    downloads: 40,
    errors: 1,
    error_kinds: { "HTTP 404": 1 },
    token_renewals: 0,
    bytes_received: 4000,
    downloads_per_second: 20,
    megabytes_per_second: 0.002,
    latency_ms: { mean: 12.5, min: 8, max: 40, p50: 11, p90: 20, p95: 25, p99: 38.5 },
  },
  timeline: [
    { second: 0, downloads: 18, errors: 0, megabytes: 0.0018, p50_ms: 11, p99_ms: 30 },
    { second: 1, downloads: 22, errors: 1, megabytes: 0.0022, p50_ms: 11, p99_ms: 39 },
  ],
  ...overrides,
});

describe("load test logic", () => {
  it("describes a histogram by its range and its tallest bucket", () => {
    const buckets = [
      { low_ms: 8, high_ms: 10, count: 5 },
      { low_ms: 10, high_ms: 12.5, count: 30 },
      { low_ms: 12.5, high_ms: 16, count: 5 },
    ];
    expect(histogramSummary(buckets)).toBe(
      "40 downloads between 8.00 ms to 16.0 ms; the most, 30 (75 %), took 10.0 ms to 12.5 ms.",
    );
    expect(histogramSummary([])).toBe("No downloads were measured.");
    expect(bucketLabel({ low_ms: 1_000_000, high_ms: null, count: 1 })).toBe("1000.0 s or more");
    expect(percentOf(1, 3)).toBe("33.3 %");
  });

  it("lines runs up figure by figure, with a dash where nothing was measured", () => {
    const rows = compareRows([run(), run({ status: "failed", summary: null })]);
    const byLabel = Object.fromEntries(rows.map((r) => [r.label, r.values]));
    expect(byLabel["Median latency"]).toEqual(["11.0 ms", "—"]);
    expect(byLabel["99th percentile"]).toEqual(["38.5 ms", "—"]);
    expect(byLabel["Throughput (MB/s)"]).toEqual(["0.002", "—"]);
    expect(byLabel["Status"]).toEqual(["Completed", "Failed"]);
  });

  it("dates the timeline from the run's start and sums up a finished run", () => {
    const [throughput] = throughputSeries(run());
    expect(throughput!.points.map((p) => p.t)).toEqual([Date.parse("2026-12-07T10:00:00Z"), Date.parse("2026-12-07T10:00:01Z")]);
    expect(finishedSentence(run())).toBe(
      "Load test completed: 40 correct downloads, 0.002 MB/s, median 11.0 ms, 99th percentile 38.5 ms, 1 error.",
    );
  });
});
