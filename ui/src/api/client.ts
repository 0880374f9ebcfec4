import { ApiError, errorFromResponse, networkError } from "./errors";

export const AUTH_HEADER = "X-Authorization";

export interface RequestOptions {
  /** JSON body (sent with Content-Type: application/json). */
  json?: unknown;
  /** Multipart body (the browser sets the boundary). */
  form?: FormData;
  query?: Record<string, string | number | boolean | undefined | null>;
  signal?: AbortSignal | undefined;
  /** false for the one call made without a token: PUT /authenticate. */
  authenticated?: boolean;
  /** Sent instead of the session's token: the sign-in flow asks GET /users/me with the new
   * token before the session exists. A 403 then is the caller's to handle. */
  token?: string;
}

export interface ApiResponse<T> {
  data: T;
  status: number;
  headers: Headers;
}

export interface ApiClientOptions {
  /** The session's token ("bearer ..."), sent verbatim in X-Authorization. */
  getToken: () => string | null;
  /** Called when an authenticated call answers 403: the token expired or was used up. */
  onSessionEnded: (error: ApiError) => void;
  fetch?: typeof fetch;
  /** API origin prefix; "" = same origin as the page (the gateway serves both). */
  baseUrl?: string;
}

export type ApiClient = ReturnType<typeof createApiClient>;

export function createApiClient(options: ApiClientOptions) {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const base = options.baseUrl ?? "";

  function url(path: string, query?: RequestOptions["query"]): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null) params.set(key, String(value));
    }
    const search = params.toString();
    return `${base}${path}${search ? `?${search}` : ""}`;
  }

  async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    const authenticated = opts.authenticated ?? true;
    const headers = new Headers({ Accept: "application/json" });
    let body: BodyInit | undefined;
    if (opts.json !== undefined) {
      headers.set("Content-Type", "application/json");
      body = JSON.stringify(opts.json);
    } else if (opts.form) {
      body = opts.form;
    }
    const token = opts.token ?? (authenticated ? options.getToken() : null);
    if (token) headers.set(AUTH_HEADER, token);

    let response: Response;
    try {
      response = await doFetch(url(path, opts.query), {
        method,
        headers,
        body: body ?? null,
        signal: opts.signal ?? null,
        credentials: "same-origin",
      });
    } catch (thrown) {
      if (thrown instanceof DOMException && thrown.name === "AbortError") throw thrown;
      throw networkError();
    }

    const text = await response.text();
    let parsed: unknown = null;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = null; // not JSON (a proxy's page): the status picks the sentence
      }
    }
    if (!response.ok) {
      const error = errorFromResponse(response.status, parsed, response.headers.get("X-Trace-Id"));
      if (authenticated && opts.token === undefined && error.sessionEnded) options.onSessionEnded(error);
      throw error;
    }
    return { data: parsed as T, status: response.status, headers: response.headers };
  }

  return {
    request,
    get: <T>(path: string, opts?: RequestOptions) => request<T>("GET", path, opts),
    post: <T>(path: string, opts?: RequestOptions) => request<T>("POST", path, opts),
    put: <T>(path: string, opts?: RequestOptions) => request<T>("PUT", path, opts),
    delete: <T>(path: string, opts?: RequestOptions) => request<T>("DELETE", path, opts),
  };
}
