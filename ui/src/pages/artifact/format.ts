// Pure formatting for the artifact pages (unit-tested in format.test.ts).
import type { ModelRating, SizeScore } from "../../api/types";

const UNITS = ["B", "kB", "MB", "GB", "TB"] as const;

/** Decimal units, as the registry's cost (MB = 10^6 bytes): 9956 -> "9.96 kB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "unknown size";
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** The cost routes answer in decimal megabytes. */
export function formatMegabytes(mb: number): string {
  return formatBytes(mb * 1_000_000);
}

/** A metric's latency (seconds): "480 ms", "1.25 s". */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "unknown";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  return `${seconds.toFixed(2)} s`;
}

/** ISO 8601 -> "2026-11-22 17:44:38 UTC" (always UTC, whatever the browser's zone). */
export function formatUtc(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** "42 %" for a download's or upload's progress; null total -> null (indeterminate). */
export function percent(done: number, total: number | null): number | null {
  if (total === null || total <= 0) return null;
  return Math.min(100, Math.round((done / total) * 100));
}

export function formatProgress(done: number, total: number | null): string {
  const p = percent(done, total);
  return p === null ? `${formatBytes(done)} so far` : `${formatBytes(done)} of ${formatBytes(total ?? 0)} (${p} %)`;
}

export const SCALAR_METRICS = [
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
] as const;
export type ScalarMetric = (typeof SCALAR_METRICS)[number];

export const METRIC_LABELS: Record<ScalarMetric, string> = {
  net_score: "Net score",
  ramp_up_time: "Ramp-up time",
  bus_factor: "Bus factor",
  performance_claims: "Performance claims",
  license: "License",
  dataset_and_code_score: "Dataset and code",
  dataset_quality: "Dataset quality",
  code_quality: "Code quality",
  reproducibility: "Reproducibility",
  reviewedness: "Reviewedness",
  tree_score: "Tree score",
};

export const DEVICE_LABELS: Record<keyof SizeScore, string> = {
  raspberry_pi: "Raspberry Pi",
  jetson_nano: "Jetson Nano",
  desktop_pc: "Desktop PC",
  aws_server: "AWS server",
};

export interface RatingRow {
  key: string;
  label: string;
  /** In [0, 1]; null = not applicable (reviewedness -1: no linked repository). */
  value: number | null;
  /** Why the value is null, in words. */
  note: string | null;
  latency: number;
}

/** Every sub-score of a rating, in the spec's order, size_score one row per device. */
export function ratingRows(rating: ModelRating): RatingRow[] {
  const rows: RatingRow[] = SCALAR_METRICS.map((metric) => {
    const raw = rating[metric];
    const notApplicable = metric === "reviewedness" && raw === -1;
    const valid = typeof raw === "number" && Number.isFinite(raw) && raw >= 0;
    return {
      key: metric,
      label: METRIC_LABELS[metric],
      value: notApplicable || !valid ? null : Math.min(1, raw),
      note: notApplicable ? "Not applicable: no linked code repository" : valid ? null : "Not computed",
      latency: rating[`${metric}_latency`],
    };
  });
  for (const device of Object.keys(DEVICE_LABELS) as (keyof SizeScore)[]) {
    const raw = rating.size_score?.[device];
    const valid = typeof raw === "number" && Number.isFinite(raw) && raw >= 0;
    rows.push({
      key: `size_score.${device}`,
      label: `Size score: ${DEVICE_LABELS[device]}`,
      value: valid ? Math.min(1, raw) : null,
      note: valid ? null : "Not computed",
      latency: rating.size_score_latency,
    });
  }
  return rows;
}

export function formatScore(value: number | null): string {
  return value === null ? "not applicable" : value.toFixed(2);
}

/** "base_model" -> "base model", "fine_tuning_dataset" -> "fine-tuning dataset". */
export function relationshipLabel(relationship: string): string {
  const known: Record<string, string> = {
    base_model: "base model",
    fine_tuning_dataset: "fine-tuning dataset",
    code_repository: "code repository",
  };
  return known[relationship] ?? relationship.replace(/[_-]+/g, " ").trim();
}
