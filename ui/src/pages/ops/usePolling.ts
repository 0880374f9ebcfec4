import { useCallback, useEffect, useRef, useState, type DependencyList } from "react";
import { asApiError, isAbort, type ApiError } from "../../api/errors";

export interface Polled<T> {
  /** The newest answer; kept while a refresh runs or after a failed one. */
  data: T | null;
  /** The last refresh's failure (cleared by the next success). */
  error: ApiError | null;
  loading: boolean;
  lastUpdated: Date | null;
  /** Automatic refresh is off: paused by the user, or the tab is hidden. */
  hidden: boolean;
  refresh: () => void;
}

/**
 * Loads now and then every `intervalMs` while `running` and the tab is visible (a hidden tab
 * spends no calls; showing it again refreshes at once when the data is stale). Changing
 * `deps` starts over (the old data is dropped). `onResult(data, isFirst)` runs after each
 * successful load; `onError` after each failed one.
 */
export function usePolling<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: DependencyList,
  options: {
    intervalMs: number;
    running: boolean;
    onResult?: (data: T, first: boolean) => void;
    onError?: (error: ApiError) => void;
  },
): Polled<T> {
  // Each answer remembers what it answers: in the render where `deps` change, before the
  // reset effect runs, an older answer must not show under the new subject.
  const subject = JSON.stringify(deps);
  const [answer, setAnswer] = useState<{ subject: string; value: T } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [lastUpdated, setLastUpdated] = useState<Date | null>(null);
  const [hidden, setHidden] = useState(() => typeof document !== "undefined" && document.hidden);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const optionsRef = useRef(options);
  optionsRef.current = options;
  const lastRef = useRef<number>(0);
  const firstRef = useRef(true);

  // Start over when what is loaded changes.
  useEffect(() => {
    setAnswer(null);
    setError(null);
    setLastUpdated(null);
    firstRef.current = true;
  }, deps);

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    loadRef.current(controller.signal).then(
      (value) => {
        if (controller.signal.aborted) return;
        lastRef.current = Date.now();
        setAnswer({ subject, value });
        setError(null);
        setLastUpdated(new Date());
        setLoading(false);
        optionsRef.current.onResult?.(value, firstRef.current);
        firstRef.current = false;
      },
      (thrown: unknown) => {
        if (controller.signal.aborted || isAbort(thrown)) return;
        lastRef.current = Date.now();
        const failure = asApiError(thrown);
        setError(failure);
        setLoading(false);
        optionsRef.current.onError?.(failure);
      },
    );
    return () => controller.abort();
    // `tick` asks for a refresh; `deps` for a new subject.
  }, [...deps, tick]);

  useEffect(() => {
    const onVisibility = () => {
      setHidden(document.hidden);
      if (!document.hidden && optionsRef.current.running && Date.now() - lastRef.current >= optionsRef.current.intervalMs) {
        setTick((n) => n + 1);
      }
    };
    document.addEventListener("visibilitychange", onVisibility);
    return () => document.removeEventListener("visibilitychange", onVisibility);
  }, []);

  useEffect(() => {
    if (!options.running || hidden) return;
    const timer = window.setInterval(() => setTick((n) => n + 1), options.intervalMs);
    return () => window.clearInterval(timer);
  }, [options.running, options.intervalMs, hidden]);

  const refresh = useCallback(() => setTick((n) => n + 1), []);
  const current = answer !== null && answer.subject === subject;
  return {
    data: current ? answer.value : null,
    error,
    loading: loading || (answer !== null && !current),
    lastUpdated,
    hidden,
    refresh,
  };
}
