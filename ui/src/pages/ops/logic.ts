// Pure logic of the operations pages (health dashboard, logs, traces): series from the
// feed's timelines, chart scales, status changes worth announcing, URL state, waterfall
// geometry. Tested in logic.test.ts.
import type {
  HealthComponentDetail,
  HealthStatus,
  LogFilters,
  LogRecord,
  TraceSpan,
} from "../../api/health";

// ------------------------------------------------------------------ words and numbers

export const STATUS_LABEL: Record<HealthStatus, string> = {
  ok: "OK",
  degraded: "Degraded",
  critical: "Critical",
  unknown: "Unknown",
};

export function isHealthStatus(value: string): value is HealthStatus {
  return value === "ok" || value === "degraded" || value === "critical" || value === "unknown";
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** "12:03:04" in the user's time zone (the feed's times are UTC). */
export function clockTime(iso: string | Date): string {
  const date = typeof iso === "string" ? new Date(iso) : iso;
  return date.toLocaleTimeString("en-GB", { hour12: false });
}

/** "2024-05-01 12:03:04.120" local: log lines need the milliseconds. */
export function logTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`
  );
}

export function formatMs(ms: number): string {
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${Math.round(ms)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** A number for a table or label: at most 3 significant decimals, no trailing zeros. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString("en-US");
  return value.toLocaleString("en-US", { maximumFractionDigits: value < 1 ? 3 : 2 });
}

// ------------------------------------------------------------------ windows

export const WINDOWS: readonly { minutes: number; label: string }[] = [
  { minutes: 15, label: "Last 15 minutes" },
  { minutes: 60, label: "Last hour" },
  { minutes: 360, label: "Last 6 hours" },
  { minutes: 1440, label: "Last 24 hours" },
];
export const DEFAULT_WINDOW = 60;

export function readWindow(params: URLSearchParams): number {
  const value = Number(params.get("window"));
  return WINDOWS.some((w) => w.minutes === value) ? value : DEFAULT_WINDOW;
}

export function windowLabel(minutes: number): string {
  return WINDOWS.find((w) => w.minutes === minutes)?.label.toLowerCase() ?? `last ${minutes} minutes`;
}

/** Seconds between refreshes: never below 30 (each call of an authenticated route spends a
 * token call; the dashboard's own route is public, but the pace is kept for the server). */
export const REFRESH_CHOICES = [30, 60, 300] as const;

// ------------------------------------------------------------------ series

export interface Point {
  /** Bucket start, ms since the epoch. */
  t: number;
  /** null: nothing to measure in this bucket (a gap, not 0). */
  v: number | null;
}

export interface Series {
  id: string;
  label: string;
  points: Point[];
  /** Colour and dash pattern; default: the service's (by id). */
  style?: number;
}

/** Every bucket start of the component timelines, in order. */
export function bucketTimes(components: HealthComponentDetail[]): number[] {
  const times = new Set<number>();
  for (const component of components) {
    for (const entry of component.timeline ?? []) times.add(Date.parse(entry.bucket));
  }
  return [...times].filter((t) => !Number.isNaN(t)).sort((a, b) => a - b);
}

/** One series per component whose timeline has entries of `memberUnit` (default `unit`),
 * on the common buckets; a bucket without an entry of `unit` is a gap (`v: null`): the feed
 * gives rates for every bucket, latency only where something was measured. */
export function seriesFor(components: HealthComponentDetail[], unit: string, memberUnit = unit): Series[] {
  const times = bucketTimes(components);
  const result: Series[] = [];
  for (const component of components) {
    const timeline = component.timeline ?? [];
    if (!timeline.some((e) => e.unit === memberUnit)) continue;
    const byTime = new Map(timeline.filter((e) => e.unit === unit).map((e) => [Date.parse(e.bucket), e.value]));
    result.push({
      id: component.id,
      label: component.display_name ?? component.id,
      points: times.map((t) => ({ t, v: byTime.get(t) ?? null })),
    });
  }
  return result;
}

export interface Scale {
  max: number;
  ticks: number[];
}

/** A y axis from 0 to a "nice" maximum (1, 2, 2.5, 5 × 10^n) with 4–5 ticks. */
export function niceScale(values: (number | null)[]): Scale {
  const top = Math.max(0, ...values.filter((v): v is number => v !== null && Number.isFinite(v)));
  if (top <= 0) return { max: 1, ticks: [0, 0.5, 1] };
  const rough = top / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power) as number;
  const max = Math.ceil(top / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let value = 0; value <= max + step / 2; value += step) ticks.push(Number(value.toPrecision(12)));
  return { max, ticks };
}

/** The SVG path of a series, broken at gaps: "M x y L x y ... M ...". */
export function linePath(points: Point[], x: (t: number) => number, y: (v: number) => number): string {
  let path = "";
  let drawing = false;
  for (const point of points) {
    if (point.v === null) {
      drawing = false;
      continue;
    }
    path += `${drawing ? "L" : "M"}${x(point.t).toFixed(1)} ${y(point.v).toFixed(1)} `;
    drawing = true;
  }
  return path.trim();
}

export interface SeriesSummary {
  latest: number | null;
  peak: number | null;
  mean: number | null;
}

export function summarizeSeries(series: Series): SeriesSummary {
  const values = series.points.map((p) => p.v).filter((v): v is number => v !== null);
  if (!values.length) return { latest: null, peak: null, mean: null };
  const latest = [...series.points].reverse().find((p) => p.v !== null)?.v ?? null;
  return {
    latest,
    peak: Math.max(...values),
    mean: values.reduce((a, b) => a + b, 0) / values.length,
  };
}

// ------------------------------------------------------------------ statuses

export interface StatusCount {
  status: HealthStatus;
  count: number;
}

export function countStatuses(components: HealthComponentDetail[]): StatusCount[] {
  return (["critical", "degraded", "unknown", "ok"] as const)
    .map((status) => ({ status, count: components.filter((c) => c.status === status).length }))
    .filter((entry) => entry.count > 0);
}

export function overallStatus(components: HealthComponentDetail[]): HealthStatus {
  for (const status of ["critical", "degraded", "unknown"] as const) {
    if (components.some((c) => c.status === status)) return status;
  }
  return "ok";
}

/** Sentences for the components whose status changed since `previous` (id → status); empty
 * on the first load and when nothing changed, so a refresh announces only news. */
export function statusChanges(previous: Map<string, HealthStatus> | null, components: HealthComponentDetail[]): string[] {
  if (previous === null) return [];
  const changes: string[] = [];
  for (const component of components) {
    const before = previous.get(component.id);
    if (before !== undefined && before !== component.status) {
      changes.push(
        `${component.display_name ?? component.id} is now ${STATUS_LABEL[component.status].toLowerCase()} ` +
          `(was ${STATUS_LABEL[before].toLowerCase()}).`,
      );
    }
  }
  return changes;
}

// ------------------------------------------------------------------ logs

export const LOG_LEVELS = ["debug", "info", "warning", "error", "critical"] as const;
export const LOG_SERVICES = ["gateway", "auth", "ingest", "scoring", "lineage", "health"] as const;
export const SINCE_CHOICES: readonly { minutes: number; label: string }[] = [
  { minutes: 5, label: "Last 5 minutes" },
  { minutes: 15, label: "Last 15 minutes" },
  { minutes: 60, label: "Last hour" },
  { minutes: 360, label: "Last 6 hours" },
  { minutes: 1440, label: "Last 24 hours" },
];

const TRACE_ID = /^[0-9a-f]{32}$/;

export function isTraceId(value: string): boolean {
  return TRACE_ID.test(value.trim().toLowerCase());
}

export function readLogFilters(params: URLSearchParams): LogFilters {
  const filters: LogFilters = {};
  const service = params.get("service");
  const level = params.get("level");
  const trace = params.get("trace_id");
  const contains = params.get("contains");
  const since = Number(params.get("since"));
  if (service) filters.service = service;
  if (level && (LOG_LEVELS as readonly string[]).includes(level)) filters.level = level;
  if (trace) filters.trace_id = trace.trim().toLowerCase();
  if (contains) filters.contains = contains;
  if (SINCE_CHOICES.some((c) => c.minutes === since)) filters.sinceMinutes = since;
  return filters;
}

export function writeLogFilters(filters: LogFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.service) params.set("service", filters.service);
  if (filters.level) params.set("level", filters.level);
  if (filters.trace_id) params.set("trace_id", filters.trace_id.trim().toLowerCase());
  if (filters.contains) params.set("contains", filters.contains);
  if (filters.sinceMinutes) params.set("since", String(filters.sinceMinutes));
  return params;
}

/** A feed log reference (an absolute API URL, `…/health/logs?service=ingest&level=warning`)
 * as the logs page's path in this UI, or null when it is not a log search. */
export function logLinkToPage(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url, "http://localhost");
  } catch {
    return null;
  }
  if (!parsed.pathname.endsWith("/health/logs")) return null;
  const source = parsed.searchParams;
  const filters = readLogFilters(source);
  const since = Number(source.get("sinceMinutes"));
  if (since > 0) filters.sinceMinutes = SINCE_CHOICES.find((c) => c.minutes >= since)?.minutes ?? 1440;
  const search = writeLogFilters(filters).toString();
  return `/ops/logs${search ? `?${search}` : ""}`;
}

/** The message of a record (structlog's `event`, else `message`) and the rest as details. */
export function logMessage(record: LogRecord): { message: string; details: [string, string][] } {
  const message = typeof record.event === "string" ? record.event : typeof record.message === "string" ? record.message : "";
  const skip = new Set(["timestamp", "service", "level", "event", "message", "trace_id", "span_id"]);
  const details: [string, string][] = [];
  for (const [key, value] of Object.entries(record)) {
    if (skip.has(key) || value === null || value === undefined || value === "") continue;
    details.push([key, typeof value === "string" ? value : JSON.stringify(value)]);
  }
  return { message, details };
}

// ------------------------------------------------------------------ traces

export interface WaterfallRow {
  span: TraceSpan;
  /** Offset of the span's start from the trace's start, ms. */
  offsetMs: number;
  /** Bar position and width as percentages of the trace's duration (width at least 0.5 %). */
  left: number;
  width: number;
}

export function waterfall(spans: TraceSpan[]): { rows: WaterfallRow[]; totalMs: number } {
  if (!spans.length) return { rows: [], totalMs: 0 };
  const starts = spans.map((s) => Date.parse(s.start));
  const origin = Math.min(...starts);
  const end = Math.max(...spans.map((s, i) => (starts[i] ?? origin) + s.duration_ms));
  const totalMs = Math.max(end - origin, 0.001);
  const rows = spans.map((span, i) => {
    const offsetMs = (starts[i] ?? origin) - origin;
    const left = Math.min(99.5, (offsetMs / totalMs) * 100);
    const width = Math.max(0.5, Math.min(100 - left, (span.duration_ms / totalMs) * 100));
    return { span, offsetMs, left, width };
  });
  return { rows, totalMs };
}

export const SERVICE_ORDER = ["gateway", "auth", "ingest", "scoring", "lineage", "health", "event-bus"] as const;

/** The colour class of a service (tokens.css --series-N); unknown services share the last. */
export function serviceIndex(service: string): number {
  const index = (SERVICE_ORDER as readonly string[]).indexOf(service);
  return index === -1 ? SERVICE_ORDER.length : index;
}

// ------------------------------------------------------------------ event queues

export interface QueueRow {
  consumer: string;
  /** Events waiting in the consumer's queue. */
  waiting: number;
  /** Events in its dead-letter queue. */
  dead: number;
}

/**
 * Each consumer's queue depth and dead-letter depth from the event bus component's metrics
 * (`queue_depth.<consumer>`, `dead_letters.<consumer>`), by consumer name. Empty when the
 * feed could not read the queues.
 */
export function queueRows(bus: HealthComponentDetail | undefined): QueueRow[] {
  const metrics = bus?.metrics ?? {};
  const rows = new Map<string, QueueRow>();
  const row = (consumer: string) => {
    let found = rows.get(consumer);
    if (!found) {
      found = { consumer, waiting: 0, dead: 0 };
      rows.set(consumer, found);
    }
    return found;
  };
  for (const [key, value] of Object.entries(metrics)) {
    const dot = key.indexOf(".");
    if (dot < 0 || typeof value !== "number") continue;
    const kind = key.slice(0, dot);
    const consumer = key.slice(dot + 1);
    if (kind === "queue_depth") row(consumer).waiting = value;
    else if (kind === "dead_letters") row(consumer).dead = value;
  }
  return [...rows.values()].sort((a, b) => a.consumer.localeCompare(b.consumer));
}
