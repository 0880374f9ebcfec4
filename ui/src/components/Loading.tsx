/** A visible loading line. Not announced: the result's announcement follows shortly. */
export function Loading({ label }: { label: string }) {
  return (
    <p className="status-line">
      <span className="spinner" aria-hidden="true" /> {label}
    </p>
  );
}
