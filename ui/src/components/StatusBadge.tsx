import type { HealthStatus } from "../api/health";
import { STATUS_LABEL } from "../pages/ops/logic";

/** A distinct shape per status, so it reads without colour: check, triangle, octagon, "?". */
function StatusIcon({ status }: { status: HealthStatus }) {
  switch (status) {
    case "ok":
      return (
        <svg className="status-icon" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
          <circle cx="8" cy="8" r="7" />
          <path className="status-icon__mark" d="M4.5 8.2 7 10.6l4.6-5" />
        </svg>
      );
    case "degraded":
      return (
        <svg className="status-icon" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
          <path d="M8 1.2 15.2 14.5H.8Z" />
          <path className="status-icon__mark" d="M8 5.5v4.2M8 11.6v.9" />
        </svg>
      );
    case "critical":
      return (
        <svg className="status-icon" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
          <path d="M5.1 1h5.8L15 5.1v5.8L10.9 15H5.1L1 10.9V5.1Z" />
          <path className="status-icon__mark" d="m5.5 5.5 5 5m0-5-5 5" />
        </svg>
      );
    default:
      return (
        <svg className="status-icon" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
          <rect x="1" y="1" width="14" height="14" rx="3" />
          <path className="status-icon__mark" d="M6 6.2a2 2 0 1 1 2.6 1.9c-.4.2-.6.5-.6.9v.8M8 11.6v.9" />
        </svg>
      );
  }
}

/** Status as an icon plus its word; the word is what assistive technology reads. */
export function StatusBadge({ status, prefix }: { status: HealthStatus; prefix?: string }) {
  return (
    <span className={`status-badge status-badge--${status}`}>
      <StatusIcon status={status} />
      <span>
        {prefix ? <span className="visually-hidden">{prefix} </span> : null}
        {STATUS_LABEL[status]}
      </span>
    </span>
  );
}
