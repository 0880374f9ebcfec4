import { useEffect, useState, type DependencyList } from "react";
import { asApiError, isAbort, type ApiError } from "../api/errors";

export type AsyncState<T> =
  | { status: "loading"; data?: undefined; error?: undefined }
  | { status: "ok"; data: T; error?: undefined }
  | { status: "error"; data?: undefined; error: ApiError };

const LOADING = { status: "loading" } as const;

function sameDeps(a: DependencyList, b: DependencyList): boolean {
  return a.length === b.length && a.every((value, index) => Object.is(value, b[index]));
}

/**
 * Runs `load` whenever `deps` change, aborting the previous run (a fast typist never sees an
 * older answer overwrite a newer one). A result is only ever shown for the deps it was loaded
 * for: in the render where deps change, the state is already "loading", never the previous
 * query's data. `onSettled` runs once per completed load: pages announce results with it.
 * The caller lists in `deps` what `load` reads (`load` itself is a new closure each render).
 */
export function useAsync<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: DependencyList,
  onSettled?: (state: AsyncState<T>) => void,
): AsyncState<T> {
  const [state, setState] = useState<{ deps: DependencyList; value: AsyncState<T> }>({ deps, value: LOADING });
  useEffect(() => {
    const controller = new AbortController();
    setState({ deps, value: LOADING });
    load(controller.signal).then(
      (data) => {
        if (controller.signal.aborted) return;
        const value: AsyncState<T> = { status: "ok", data };
        setState({ deps, value });
        onSettled?.(value);
      },
      (thrown: unknown) => {
        if (controller.signal.aborted || isAbort(thrown)) return;
        const value: AsyncState<T> = { status: "error", error: asApiError(thrown) };
        setState({ deps, value });
        onSettled?.(value);
      },
    );
    return () => controller.abort();
  }, deps);
  return sameDeps(state.deps, deps) ? state.value : LOADING;
}
