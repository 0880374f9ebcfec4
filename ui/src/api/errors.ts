import type { ErrorBody } from "./types";

/**
 * A failed call, as the user should see it: the registry's own sentence and the trace id
 * to quote when reporting it (docs/api.md: every error body carries both).
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string | null;
  readonly traceId: string | null;
  /** The error body's `details` object when it has one (e.g. a 424's rating). */
  readonly details: Record<string, unknown> | null;

  constructor(
    status: number,
    message: string,
    code: string | null,
    traceId: string | null,
    details: Record<string, unknown> | null = null,
  ) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.traceId = traceId;
    this.details = details;
  }

  /** 403: the token is missing, invalid, expired or used up (401 is a missing permission).
   * A 403 with another code is a refusal of this one request (a sensitive model's monitor
   * refused a download, a history only its uploader may read): the session goes on. */
  get sessionEnded(): boolean {
    return this.status === 403 && (this.code === null || this.code === "authentication_failed");
  }
}

/** Used when a response carries no sentence of its own (a proxy's error page, say). */
const FALLBACK: Record<number, string> = {
  0: "The registry could not be reached. Check your connection and try again.",
  400: "The registry could not accept the request as sent.",
  401: "Your account lacks the permission this action needs; ask an admin.",
  403: "Your session has ended. Please sign in again.",
  404: "The registry has no such item.",
  409: "That item exists already.",
  413: "The request is too large for the registry.",
  429: "Too many attempts; wait a moment and try again.",
  500: "The registry failed while handling the request.",
  502: "The registry could not reach an external service it needs.",
  503: "A part of the registry is unavailable right now; try again shortly.",
};

function sentenceFrom(detail: unknown): string | null {
  if (typeof detail === "string" && detail.trim()) return detail.trim();
  // FastAPI's default validation shape, should one ever get through: [{msg: ...}, ...]
  if (Array.isArray(detail)) {
    const parts = detail
      .map((item) => (item && typeof item === "object" && "msg" in item ? String(item.msg) : null))
      .filter((part): part is string => Boolean(part));
    if (parts.length) return parts.join("; ");
  }
  return null;
}

/** The ApiError for a non-2xx answer; `body` is the parsed JSON body or null. */
export function errorFromResponse(status: number, body: unknown, headerTraceId: string | null): ApiError {
  const error = (body && typeof body === "object" ? body : {}) as ErrorBody;
  const message =
    sentenceFrom(error.detail) ??
    FALLBACK[status] ??
    (status >= 500 ? FALLBACK[500]! : `The registry answered ${status}.`);
  const traceId = typeof error.trace_id === "string" && error.trace_id ? error.trace_id : headerTraceId;
  const details =
    error.details && typeof error.details === "object" && !Array.isArray(error.details)
      ? (error.details as Record<string, unknown>)
      : null;
  return new ApiError(status, message, typeof error.code === "string" ? error.code : null, traceId, details);
}

export function networkError(): ApiError {
  return new ApiError(0, FALLBACK[0]!, "network_error", null);
}

/** Normalises anything thrown into an ApiError for display (bugs included). */
export function asApiError(thrown: unknown): ApiError {
  if (thrown instanceof ApiError) return thrown;
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return new ApiError(-1, `Something went wrong in the page: ${message}`, "client_error", null);
}

export function isAbort(thrown: unknown): boolean {
  return thrown instanceof DOMException && thrown.name === "AbortError";
}
