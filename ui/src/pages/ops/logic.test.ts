import { describe, expect, it } from "vitest";
import type { HealthComponentDetail, TraceSpan } from "../../api/health";
import {
  linePath,
  logLinkToPage,
  logMessage,
  niceScale,
  overallStatus,
  queueRows,
  readLogFilters,
  readWindow,
  seriesFor,
  statusChanges,
  summarizeSeries,
  waterfall,
  writeLogFilters,
} from "./logic";

const B0 = "2024-05-01T12:00:00.000Z";
const B1 = "2024-05-01T12:01:00.000Z";

function component(id: string, status: HealthComponentDetail["status"], timeline: HealthComponentDetail["timeline"] = []) {
  return { id, display_name: id.toUpperCase(), status, observed_at: B0, timeline } satisfies HealthComponentDetail;
}

describe("timeline series", () => {
  const gateway = component("gateway", "ok", [
    { bucket: B0, value: 4, unit: "requests/min" },
    { bucket: B0, value: 0, unit: "errors/min" },
    { bucket: B0, value: 12.5, unit: "p95 ms" },
    { bucket: B1, value: 0, unit: "requests/min" },
    { bucket: B1, value: 0, unit: "errors/min" },
  ]);
  const bus = component("event-bus", "ok", [{ bucket: B0, value: 2, unit: "events/min" }]);

  it("gives every service a point per bucket and latency gaps where nothing was measured", () => {
    const latency = seriesFor([gateway, bus], "p95 ms", "requests/min");
    expect(latency).toHaveLength(1);
    expect(latency[0]!.points.map((p) => p.v)).toEqual([12.5, null]);
    const rates = seriesFor([gateway, bus], "requests/min");
    expect(rates.map((s) => s.id)).toEqual(["gateway"]);
    expect(rates[0]!.points).toEqual([
      { t: Date.parse(B0), v: 4 },
      { t: Date.parse(B1), v: 0 },
    ]);
  });

  it("summarizes latest, peak and mean ignoring gaps", () => {
    const [latency] = seriesFor([gateway], "p95 ms", "requests/min");
    expect(summarizeSeries(latency!)).toEqual({ latest: 12.5, peak: 12.5, mean: 12.5 });
  });

  it("breaks lines at gaps", () => {
    const points = [
      { t: 0, v: 1 },
      { t: 1, v: null },
      { t: 2, v: 2 },
      { t: 3, v: 3 },
    ];
    expect(linePath(points, (t) => t * 10, (v) => v)).toBe("M0.0 1.0 M20.0 2.0 L30.0 3.0");
  });
});

describe("scales", () => {
  it("rounds the top up to a nice step", () => {
    expect(niceScale([0, 7.3])).toEqual({ max: 8, ticks: [0, 2, 4, 6, 8] });
    expect(niceScale([null, 130])).toEqual({ max: 150, ticks: [0, 50, 100, 150] });
    expect(niceScale([0, 0])).toEqual({ max: 1, ticks: [0, 0.5, 1] });
    expect(niceScale([0.04]).max).toBeCloseTo(0.04);
  });
});

describe("statuses", () => {
  it("announces only changes, never on the first load", () => {
    const before = new Map([
      ["gateway", "ok" as const],
      ["ingest", "ok" as const],
    ]);
    const now = [component("gateway", "ok"), component("ingest", "degraded")];
    expect(statusChanges(null, now)).toEqual([]);
    expect(statusChanges(before, now)).toEqual(["INGEST is now degraded (was ok)."]);
    expect(statusChanges(new Map(now.map((c) => [c.id, c.status])), now)).toEqual([]);
  });

  it("orders critical over degraded over unknown over ok", () => {
    expect(overallStatus([component("a", "ok"), component("b", "unknown")])).toBe("unknown");
    expect(overallStatus([component("a", "degraded"), component("b", "critical")])).toBe("critical");
    expect(overallStatus([])).toBe("ok");
  });

  it("reads the window from the URL, falling back to an hour", () => {
    expect(readWindow(new URLSearchParams("window=1440"))).toBe(1440);
    expect(readWindow(new URLSearchParams("window=7"))).toBe(60);
  });
});

describe("log filters", () => {
  it("round-trips through the URL and drops unknown values", () => {
    const params = new URLSearchParams(`service=ingest&level=warning&trace_id=${"AB".repeat(16)}&contains=bus.&since=15`);
    const filters = readLogFilters(params);
    expect(filters).toEqual({ service: "ingest", level: "warning", trace_id: "ab".repeat(16), contains: "bus.", sinceMinutes: 15 });
    expect(readLogFilters(writeLogFilters(filters))).toEqual(filters);
    expect(readLogFilters(new URLSearchParams("level=loud&since=7"))).toEqual({});
  });

  it("turns the feed's absolute log links into this UI's logs page", () => {
    expect(logLinkToPage("http://127.0.0.1:8000/health/logs?service=ingest&level=warning")).toBe(
      "/ops/logs?service=ingest&level=warning",
    );
    expect(logLinkToPage("https://registry.example/health/logs?contains=blob")).toBe("/ops/logs?contains=blob");
    expect(logLinkToPage("https://registry.example/health/logs")).toBe("/ops/logs");
    expect(logLinkToPage("https://registry.example/docs")).toBeNull();
  });

  it("splits a record into its message and the other fields", () => {
    const { message, details } = logMessage({
      timestamp: B0,
      service: "ingest",
      level: "info",
      event: "ingest.registered",
      trace_id: "x",
      artifact_id: "42",
      size: 3,
    });
    expect(message).toBe("ingest.registered");
    expect(details).toEqual([
      ["artifact_id", "42"],
      ["size", "3"],
    ]);
  });
});

describe("waterfall", () => {
  const span = (id: string, start: string, duration: number, depth: number): TraceSpan => ({
    span_id: id,
    parent_span_id: depth ? "root" : null,
    name: id,
    service: "gateway",
    kind: "server",
    start,
    duration_ms: duration,
    status: "ok",
    depth,
    attributes: {},
  });

  it("offsets bars by start and sizes them by duration", () => {
    const { rows, totalMs } = waterfall([
      span("root", "2024-05-01T12:00:00.000Z", 100, 0),
      span("child", "2024-05-01T12:00:00.025Z", 50, 1),
      span("tiny", "2024-05-01T12:00:00.099Z", 0.01, 1),
    ]);
    expect(totalMs).toBe(100);
    expect(rows.map((r) => [r.offsetMs, r.left, r.width])).toEqual([
      [0, 0, 100],
      [25, 25, 50],
      [99, 99, 0.5],
    ]);
  });
});

describe("queueRows", () => {
  it("pairs each consumer's queue depth with its dead letters, by name", () => {
    const bus: HealthComponentDetail = {
      ...component("event-bus", "degraded"),
      metrics: {
        queue_depth: 3,
        dead_letters: 2,
        "queue_depth.scoring": 3,
        "dead_letters.scoring": 2,
        "queue_depth.auth": 0,
        "dead_letters.auth": 0,
        events_handled: 7,
      },
    };
    expect(queueRows(bus)).toEqual([
      { consumer: "auth", waiting: 0, dead: 0 },
      { consumer: "scoring", waiting: 3, dead: 2 },
    ]);
  });

  it("is empty when the feed could not read the queues", () => {
    expect(queueRows(undefined)).toEqual([]);
    expect(queueRows({ ...component("event-bus", "unknown"), metrics: { events_failed: 1 } })).toEqual([]);
  });
});
