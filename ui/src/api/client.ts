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

  /** An authenticated call whose body the caller reads itself (downloads: streamed with
   * progress). Errors are mapped as for `request`; the body of an ok answer is untouched. */
  async function raw(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const headers = new Headers();
    const token = opts.token ?? options.getToken();
    if (token) headers.set(AUTH_HEADER, token);
    let response: Response;
    try {
      response = await doFetch(url(path, opts.query), {
        method,
        headers,
        signal: opts.signal ?? null,
        credentials: "same-origin",
      });
    } catch (thrown) {
      if (thrown instanceof DOMException && thrown.name === "AbortError") throw thrown;
      throw networkError();
    }
    if (!response.ok) {
      const text = await response.text();
      let parsed: unknown = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = null;
      }
      const error = errorFromResponse(response.status, parsed, response.headers.get("X-Trace-Id"));
      if (opts.token === undefined && error.sessionEnded) options.onSessionEnded(error);
      throw error;
    }
    return response;
  }

  /**
   * POST a multipart form with upload progress (fetch cannot report it; XMLHttpRequest can).
   * `onProgress(sent, total)` follows the request body; aborting `signal` cancels the upload
   * and rejects with an AbortError, like fetch.
   */
  function upload<T>(
    path: string,
    form: FormData,
    opts: { signal?: AbortSignal; onProgress?: (sent: number, total: number | null) => void } = {},
  ): Promise<ApiResponse<T>> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", url(path));
      xhr.setRequestHeader("Accept", "application/json");
      const token = options.getToken();
      if (token) xhr.setRequestHeader(AUTH_HEADER, token);
      xhr.upload.onprogress = (event) => opts.onProgress?.(event.loaded, event.lengthComputable ? event.total : null);
      const abort = () => xhr.abort();
      opts.signal?.addEventListener("abort", abort, { once: true });
      const done = () => opts.signal?.removeEventListener("abort", abort);
      xhr.onabort = () => {
        done();
        reject(new DOMException("The upload was cancelled.", "AbortError"));
      };
      xhr.onerror = () => {
        done();
        reject(networkError());
      };
      xhr.onload = () => {
        done();
        let parsed: unknown = null;
        try {
          parsed = xhr.responseText ? JSON.parse(xhr.responseText) : null;
        } catch {
          parsed = null;
        }
        const headers = new Headers();
        const trace = xhr.getResponseHeader("X-Trace-Id");
        if (trace) headers.set("X-Trace-Id", trace);
        if (xhr.status >= 200 && xhr.status < 300) {
          resolve({ data: parsed as T, status: xhr.status, headers });
          return;
        }
        const error = errorFromResponse(xhr.status, parsed, trace);
        if (error.sessionEnded) options.onSessionEnded(error);
        reject(error);
      };
      if (opts.signal?.aborted) {
        reject(new DOMException("The upload was cancelled.", "AbortError"));
        return;
      }
      xhr.send(form);
    });
  }

  return {
    request,
    raw,
    upload,
    get: <T>(path: string, opts?: RequestOptions) => request<T>("GET", path, opts),
    post: <T>(path: string, opts?: RequestOptions) => request<T>("POST", path, opts),
    put: <T>(path: string, opts?: RequestOptions) => request<T>("PUT", path, opts),
    delete: <T>(path: string, opts?: RequestOptions) => request<T>("DELETE", path, opts),
  };
}
