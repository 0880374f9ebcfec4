// Pure logic of the load-test page: words for statuses, the figures compared side by side,
// histogram geometry and its summary sentence, the throughput series. Tested in
// loadtest.test.ts.
import type { HistogramBucket, LoadTestRun, LoadTestStatus, TimelinePoint } from "../../api/loadtests";
import { formatMs, formatNumber, plural, type Series } from "./logic";

export const STATUS_WORDS: Record<LoadTestStatus, string> = {
  preparing: "Signing clients in",
  running: "Running",
  completed: "Completed",
  cancelled: "Cancelled",
  failed: "Failed",
  interrupted: "Interrupted",
};

export function isActive(status: LoadTestStatus): boolean {
  return status === "preparing" || status === "running";
}

/** "0 ms" style latency, or a dash when nothing was measured. */
export function latency(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? "—" : formatMs(ms);
}

/** One bucket's range in words: "25 ms to 31.5 ms" (the last one is open). */
export function bucketLabel(bucket: HistogramBucket): string {
  const low = formatMs(bucket.low_ms);
  return bucket.high_ms === null ? `${low} or more` : `${low} to ${formatMs(bucket.high_ms)}`;
}

/** The sentence a histogram's image reads out: how many, the range, the tallest bucket. */
export function histogramSummary(buckets: HistogramBucket[]): string {
  const total = buckets.reduce((sum, b) => sum + b.count, 0);
  if (total === 0) return "No downloads were measured.";
  const tallest = buckets.reduce((best, b) => (b.count > best.count ? b : best));
  const first = buckets[0]!;
  const last = buckets[buckets.length - 1]!;
  const span =
    last.high_ms === null ? `${formatMs(first.low_ms)} and more` : `${formatMs(first.low_ms)} to ${formatMs(last.high_ms)}`;
  return (
    `${formatNumber(total)} downloads between ${span}; ` +
    `the most, ${formatNumber(tallest.count)} (${percentOf(tallest.count, total)}), took ${bucketLabel(tallest)}.`
  );
}

export function percentOf(count: number, total: number): string {
  return total ? `${formatNumber(Math.round((count / total) * 1000) / 10)} %` : "0 %";
}

/** One row of the comparison: a label and each run's value as text. */
export interface CompareRow {
  label: string;
  values: string[];
}

/** The figures of the runs side by side (rows: figures; columns: runs). */
export function compareRows(runs: LoadTestRun[]): CompareRow[] {
  const figure = (label: string, value: (run: LoadTestRun) => string): CompareRow => ({ label, values: runs.map(value) });
  const s = (run: LoadTestRun) => run.summary;
  return [
    figure("Status", (run) => STATUS_WORDS[run.status]),
    figure("Models", (run) => run.models.map((m) => m.name).join(", ")),
    figure("Clients", (run) => formatNumber(run.clients)),
    figure("Duration", (run) => `${formatNumber(run.duration_seconds)} s`),
    figure("Throughput (MB/s)", (run) => (s(run) ? formatNumber(s(run)!.megabytes_per_second) : "—")),
    figure("Downloads per second", (run) => (s(run) ? formatNumber(s(run)!.downloads_per_second) : "—")),
    figure("Correct downloads", (run) => (s(run) ? formatNumber(s(run)!.downloads) : "—")),
    figure("Errors", (run) => (s(run) ? formatNumber(s(run)!.errors) : "—")),
    figure("Mean latency", (run) => latency(s(run)?.latency_ms.mean)),
    figure("Median latency", (run) => latency(s(run)?.latency_ms.p50)),
    figure("90th percentile", (run) => latency(s(run)?.latency_ms.p90)),
    figure("99th percentile", (run) => latency(s(run)?.latency_ms.p99)),
    figure("Slowest", (run) => latency(s(run)?.latency_ms.max)),
  ];
}

/** Throughput and downloads per second over the run, for the line chart (time = start + s). */
export function throughputSeries(run: LoadTestRun): Series[] {
  const start = run.created_at ? Date.parse(run.created_at) : 0;
  const points = (value: (p: TimelinePoint) => number) =>
    (run.timeline ?? []).map((p) => ({ t: start + p.second * 1000, v: value(p) }));
  return [
    { id: "throughput", label: "Megabytes per second", points: points((p) => p.megabytes), style: 0 },
    { id: "downloads", label: "Downloads per second", points: points((p) => p.downloads), style: 1 },
    { id: "errors", label: "Errors per second", points: points((p) => p.errors), style: 3 },
  ];
}

/** The sentence announced when a run ends. */
export function finishedSentence(run: LoadTestRun): string {
  const s = run.summary;
  const what = `Load test ${STATUS_WORDS[run.status].toLowerCase()}`;
  if (!s) return `${what}.${run.message ? ` ${run.message}` : ""}`;
  return (
    `${what}: ${formatNumber(s.downloads)} correct downloads, ${formatNumber(s.megabytes_per_second)} MB/s, ` +
    `median ${latency(s.latency_ms.p50)}, 99th percentile ${latency(s.latency_ms.p99)}, ${plural(s.errors, "error")}.` +
    (run.message ? ` ${run.message}` : "")
  );
}
