// Extension /health/load-tests (docs/load-tests.md): types after the gateway's response
// models and one typed function per route. Admins only.
import type { ApiClient } from "./client";

type Signal = AbortSignal | undefined;

export type LoadTestStatus = "preparing" | "running" | "completed" | "cancelled" | "failed" | "interrupted";

export interface LoadTestModel {
  id: string;
  name: string;
  /** Bytes of the full bundle: a correct download has exactly these. */
  size: number;
}

export interface LatencyFigures {
  mean: number | null;
  min: number | null;
  max: number | null;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
}

export interface LoadTestSummary {
  elapsed_seconds: number;
  downloads: number;
  errors: number;
  error_kinds: Record<string, number>;
  token_renewals: number;
  bytes_received: number;
  downloads_per_second: number;
  megabytes_per_second: number;
  latency_ms: LatencyFigures;
}

export interface HistogramBucket {
  low_ms: number;
  /** null: the open last bucket. */
  high_ms: number | null;
  count: number;
}

export interface TimelinePoint {
  second: number;
  downloads: number;
  errors: number;
  megabytes: number;
  p50_ms: number | null;
  p99_ms: number | null;
}

export interface LoadTestRun {
  id: string;
  status: LoadTestStatus;
  requested_by: string;
  created_at: string | null;
  finished_at: string | null;
  clients: number;
  duration_seconds: number;
  target: string;
  models: LoadTestModel[];
  message: string | null;
  clients_ready: number;
  summary: LoadTestSummary | null;
  /** Only in the answer for one run (not in the list). */
  histogram?: HistogramBucket[];
  timeline?: TimelinePoint[];
}

export interface LoadTestLimits {
  max_clients: number;
  max_duration_seconds: number;
  max_models: number;
}

export interface LoadTestRuns {
  runs: LoadTestRun[];
  active: string | null;
  limits: LoadTestLimits;
  target: string;
}

export interface LoadTestRequest {
  clients: number;
  duration_seconds: number;
  models?: string[];
  model_count?: number;
}

export async function getLoadTests(api: ApiClient, signal?: Signal): Promise<LoadTestRuns> {
  return (await api.get<LoadTestRuns>("/health/load-tests", { signal })).data;
}

export async function getLoadTest(api: ApiClient, id: string, signal?: Signal): Promise<LoadTestRun> {
  return (await api.get<LoadTestRun>(`/health/load-tests/${encodeURIComponent(id)}`, { signal })).data;
}

export async function startLoadTest(api: ApiClient, request: LoadTestRequest): Promise<LoadTestRun> {
  return (await api.post<LoadTestRun>("/health/load-tests", { json: request })).data;
}

export async function cancelLoadTest(api: ApiClient, id: string): Promise<LoadTestRun> {
  return (await api.post<LoadTestRun>(`/health/load-tests/${encodeURIComponent(id)}/cancel`)).data;
}
