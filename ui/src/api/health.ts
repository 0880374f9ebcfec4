// The health feed's routes (docs/observability.md): types after the spec's Health* schemas
// and our extensions, and one typed function per route. Kept apart from endpoints.ts so the
// operations pages have their API in one place.
import type { ApiClient } from "./client";

type Signal = AbortSignal | undefined;

export const HEALTH_STATUSES = ["critical", "degraded", "unknown", "ok"] as const;
/** The spec's HealthStatus. */
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

export interface HealthIssue {
  code: string;
  severity: "info" | "warning" | "error";
  summary: string;
  details?: string;
}

export interface HealthTimelineEntry {
  bucket: string;
  value: number;
  unit?: string;
}

export interface HealthLogReference {
  label: string;
  url: string;
  tail_available?: boolean;
  last_updated_at?: string;
}

export interface HealthComponentDetail {
  id: string;
  display_name?: string;
  status: HealthStatus;
  observed_at: string;
  description?: string;
  metrics?: Record<string, number | string | boolean>;
  issues?: HealthIssue[];
  timeline?: HealthTimelineEntry[];
  logs?: HealthLogReference[];
}

export interface HealthComponentCollection {
  components: HealthComponentDetail[];
  generated_at: string;
  window_minutes?: number;
}

/** Extension GET /health/logs: one record as logged, with timestamp, service and level set. */
export interface LogRecord {
  timestamp: string;
  service: string;
  level: string;
  event?: string;
  message?: string;
  trace_id?: string;
  [key: string]: unknown;
}

export interface LogPage {
  records: LogRecord[];
  count: number;
  limit: number;
  filters: Record<string, string | number>;
  generated_at: string;
}

export interface LogFilters {
  service?: string;
  /** The minimum level: warning means warning, error and critical. */
  level?: string;
  trace_id?: string;
  contains?: string;
  sinceMinutes?: number;
}

export interface SpanEvent {
  name: string;
  at: string;
  attributes: Record<string, unknown>;
}

/** One span of GET /health/traces/{id}, depth-first (parents before children). */
export interface TraceSpan {
  span_id: string;
  parent_span_id: string | null;
  name: string;
  service: string;
  kind: string;
  start: string;
  duration_ms: number;
  status: "ok" | "error" | "unset";
  status_message?: string;
  depth: number;
  attributes: Record<string, unknown>;
  events?: SpanEvent[];
}

export interface Trace {
  trace_id: string;
  started_at: string;
  duration_ms: number;
  span_count: number;
  services: string[];
  errors: number;
  spans: TraceSpan[];
}

export interface RecentRequest {
  at: string;
  service: string;
  method: string;
  route: string;
  status: number;
  duration_ms: number;
  trace_id: string | null;
}

export interface RecentRequests {
  requests: RecentRequest[];
  count: number;
}

/**
 * GET /health/components (public). Sent without the session's token on purpose: the route
 * needs none, so a dashboard refreshing every 30 s spends none of the token's 1000 calls.
 */
export async function getComponents(
  api: ApiClient,
  windowMinutes: number,
  includeTimeline: boolean,
  signal?: Signal,
): Promise<HealthComponentCollection> {
  const { data } = await api.get<HealthComponentCollection>("/health/components", {
    query: { windowMinutes, includeTimeline },
    authenticated: false,
    signal,
  });
  return data;
}

/** Extension GET /health/logs (admin): the newest matching records, oldest first. */
export async function getLogs(api: ApiClient, filters: LogFilters, limit: number, signal?: Signal): Promise<LogPage> {
  const { data } = await api.get<LogPage>("/health/logs", {
    query: {
      service: filters.service || undefined,
      level: filters.level || undefined,
      trace_id: filters.trace_id || undefined,
      contains: filters.contains || undefined,
      sinceMinutes: filters.sinceMinutes,
      limit,
    },
    signal,
  });
  return data;
}

/** Extension GET /health/traces/{id} (admin). */
export async function getTrace(api: ApiClient, traceId: string, signal?: Signal): Promise<Trace> {
  return (await api.get<Trace>(`/health/traces/${encodeURIComponent(traceId)}`, { signal })).data;
}

/** Extension GET /health/requests (admin): newest first. */
export async function getRecentRequests(
  api: ApiClient,
  filters: { service?: string; minStatus?: number },
  limit: number,
  signal?: Signal,
): Promise<RecentRequests> {
  const { data } = await api.get<RecentRequests>("/health/requests", {
    query: { service: filters.service || undefined, minStatus: filters.minStatus || undefined, limit },
    signal,
  });
  return data;
}

/** One dead-lettered event of extension GET /health/dead-letters. */
export interface DeadLetter {
  id: string;
  event_type: string | null;
  event_id: string | null;
  /** Why its last delivery failed; null when the queue itself moved it. */
  reason: string | null;
  receive_count: number;
  dead_lettered_at: string | null;
}

export interface DeadLetterQueue {
  consumer: string;
  queue_depth: number;
  dead_letters: number;
  letters: DeadLetter[];
}

export interface DeadLetterQueues {
  queues: DeadLetterQueue[];
  generated_at: string;
}

export interface RedriveResult {
  consumer: string;
  moved: number;
  not_found: string[];
}

/** Extension GET /health/dead-letters (admin): one consumer's queue and its first dead letters. */
export async function getDeadLetters(
  api: ApiClient,
  consumer: string,
  limit: number,
  signal?: Signal,
): Promise<DeadLetterQueue | undefined> {
  const { data } = await api.get<DeadLetterQueues>("/health/dead-letters", { query: { consumer, limit }, signal });
  return data.queues.find((queue) => queue.consumer === consumer);
}

/** Extension POST /health/dead-letters/redrive (admin): every dead letter of `consumer` back to its queue. */
export async function redriveDeadLetters(api: ApiClient, consumer: string): Promise<RedriveResult> {
  return (await api.post<RedriveResult>("/health/dead-letters/redrive", { json: { consumer } })).data;
}
