import { useEffect, useState, type DependencyList } from "react";
import { asApiError, isAbort, type ApiError } from "../api/errors";

export type AsyncState<T> =
  | { status: "loading"; data?: undefined; error?: undefined }
  | { status: "ok"; data: T; error?: undefined }
  | { status: "error"; data?: undefined; error: ApiError };

/**
 * Runs `load` whenever `deps` change, aborting the previous run (a fast typist never sees an
 * older answer overwrite a newer one). `onSettled` runs once per completed load: pages use it
 * to announce results or failures.
 */
export function useAsync<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: DependencyList,
  onSettled?: (state: AsyncState<T>) => void,
): AsyncState<T> {
  const [state, setState] = useState<AsyncState<T>>({ status: "loading" });
  useEffect(() => {
    const controller = new AbortController();
    setState({ status: "loading" });
    load(controller.signal).then(
      (data) => {
        if (controller.signal.aborted) return;
        const next: AsyncState<T> = { status: "ok", data };
        setState(next);
        onSettled?.(next);
      },
      (thrown: unknown) => {
        if (controller.signal.aborted || isAbort(thrown)) return;
        const next: AsyncState<T> = { status: "error", error: asApiError(thrown) };
        setState(next);
        onSettled?.(next);
      },
    );
    return () => controller.abort();
    // The caller lists in `deps` what `load` reads (load itself is a new closure each render).
  }, deps);
  return state;
}
