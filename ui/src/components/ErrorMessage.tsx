import type { ApiError } from "../api/errors";

interface Props {
  error: ApiError;
  /** What failed, e.g. "Could not load the artifacts." */
  title: string;
  id?: string;
}

/**
 * The registry's own sentence plus the trace id, so users can quote it when reporting a
 * problem. Not a live region itself: pages announce failures through the announcer.
 */
export function ErrorMessage({ error, title, id }: Props) {
  return (
    <div className="alert alert--error" id={id}>
      <p>
        <strong>{title}</strong> {error.message}
      </p>
      {error.traceId ? (
        <p className="alert__trace">
          Trace id <code>{error.traceId}</code>: quote it when you report this problem.
        </p>
      ) : null}
    </div>
  );
}

/** The sentence an announcement of this failure reads out. */
export function describeError(title: string, error: ApiError): string {
  return `${title} ${error.message}`;
}
