import { useRef, useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { getLogs, type LogFilters, type LogPage } from "../../api/health";
import { useAnnounce } from "../../app/announcer";
import { Page } from "../../app/Page";
import { useApi } from "../../app/session";
import { ErrorMessage, describeError } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import {
  LOG_LEVELS,
  LOG_SERVICES,
  SINCE_CHOICES,
  clockTime,
  isTraceId,
  logMessage,
  logTime,
  plural,
  readLogFilters,
  writeLogFilters,
} from "./logic";
import { usePolling } from "./usePolling";
import "../../styles/ops.css";

const LIMIT = 200;
const AUTO_REFRESH_MS = 30_000;

/** The log tail of every service (GET /health/logs), filtered, newest first. */
export function LogsPage() {
  const api = useApi();
  const announce = useAnnounce();
  const [params, setParams] = useSearchParams();
  const filters = readLogFilters(params);
  const key = writeLogFilters(filters).toString();
  const [auto, setAuto] = useState(false);
  const resultsHeading = useRef<HTMLHeadingElement>(null);

  const polled = usePolling<LogPage>((signal) => getLogs(api, filters, LIMIT, signal), [key], {
    intervalMs: AUTO_REFRESH_MS,
    running: auto,
    onResult: (page, first) => {
      if (first) announce(summary(page, filters));
    },
    onError: (error) => announce(describeError("Could not load the logs.", error), "assertive"),
  });

  function apply(next: LogFilters) {
    setParams(writeLogFilters(next));
    resultsHeading.current?.focus();
  }

  const records = polled.data ? [...polled.data.records].reverse() : [];

  return (
    <Page title="Logs" lead="Log lines of every service, newest first. Filters combine; the level is a minimum.">
      <div className="panel">
        <LogFilterForm key={key} initial={filters} onSubmit={apply} />
      </div>
      <div className="button-row">
        <label className="checkbox-inline">
          <input type="checkbox" checked={auto} onChange={(event) => setAuto(event.target.checked)} /> Refresh every 30
          seconds
        </label>
        <button type="button" className="button" onClick={polled.refresh} disabled={polled.loading}>
          Refresh now
        </button>
        {polled.lastUpdated ? (
          <span className="status-line">
            Last updated <time dateTime={polled.lastUpdated.toISOString()}>{clockTime(polled.lastUpdated)}</time>
            {auto && polled.hidden ? " · paused while this tab is hidden" : ""}
          </span>
        ) : null}
      </div>

      <section
        aria-labelledby="log-results-heading"
        aria-busy={polled.loading}
        data-results-for={polled.loading && !polled.data ? undefined : key}
      >
        <h2 id="log-results-heading" ref={resultsHeading} tabIndex={-1}>
          Log lines
        </h2>
        {polled.error ? <ErrorMessage title="Could not load the logs." error={polled.error} /> : null}
        {!polled.data && polled.loading ? <Loading label="Loading log lines…" /> : null}
        {polled.data && records.length === 0 ? (
          <div className="alert alert--info" id="logs-empty">
            <p>No log lines match these filters.</p>
          </div>
        ) : null}
        {polled.data && records.length > 0 ? (
          <>
            <p className="status-line" id="logs-summary">
              {summary(polled.data, filters)}
            </p>
            <div className="table-wrap">
              <table className="data data--compact" aria-describedby="logs-summary">
                <caption className="visually-hidden">Log lines, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Service</th>
                    <th scope="col">Level</th>
                    <th scope="col">Message</th>
                    <th scope="col">Trace</th>
                  </tr>
                </thead>
                <tbody>
                  {records.map((record, index) => {
                    const { message, details } = logMessage(record);
                    const trace = typeof record.trace_id === "string" ? record.trace_id : null;
                    return (
                      <tr key={`${record.timestamp}-${index}`}>
                        <td className="nowrap">
                          <time dateTime={record.timestamp}>{logTime(record.timestamp)}</time>
                        </td>
                        <td>{record.service}</td>
                        <td>
                          <span className={`log-level log-level--${record.level}`}>{record.level}</span>
                        </td>
                        <td>
                          <code>{message}</code>
                          {details.length ? (
                            <ul className="log-details">
                              {details.map(([k, v]) => (
                                <li key={k}>
                                  {k}=<code>{v}</code>
                                </li>
                              ))}
                            </ul>
                          ) : null}
                        </td>
                        <td>
                          {trace && isTraceId(trace) ? (
                            <Link to={`/ops/traces/${trace}`} className="trace-link">
                              <code>{trace}</code>
                            </Link>
                          ) : (
                            <span className="muted">none</span>
                          )}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          </>
        ) : null}
      </section>
    </Page>
  );
}

function summary(page: LogPage, filters: LogFilters): string {
  const filtered = Object.keys(filters).length > 0;
  if (page.count === 0) return filtered ? "No log lines match these filters." : "No log lines yet.";
  const capped = page.count >= page.limit ? ` (the newest ${page.limit}; narrow the filters to see older ones)` : "";
  return `${plural(page.count, "log line")}${filtered ? " match" + (page.count === 1 ? "es" : "") : ""}${capped}.`;
}

function LogFilterForm({ initial, onSubmit }: { initial: LogFilters; onSubmit: (filters: LogFilters) => void }) {
  const announce = useAnnounce();
  const [service, setService] = useState(initial.service ?? "");
  const [level, setLevel] = useState(initial.level ?? "");
  const [trace, setTrace] = useState(initial.trace_id ?? "");
  const [contains, setContains] = useState(initial.contains ?? "");
  const [since, setSince] = useState(initial.sinceMinutes ? String(initial.sinceMinutes) : "");
  const [traceError, setTraceError] = useState(false);
  const traceInput = useRef<HTMLInputElement>(null);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (trace.trim() && !isTraceId(trace)) {
      setTraceError(true);
      announce("A trace id is 32 hexadecimal digits.", "assertive");
      traceInput.current?.focus();
      return;
    }
    setTraceError(false);
    const next: LogFilters = {};
    if (service) next.service = service;
    if (level) next.level = level;
    if (trace.trim()) next.trace_id = trace.trim().toLowerCase();
    if (contains.trim()) next.contains = contains.trim();
    if (since) next.sinceMinutes = Number(since);
    onSubmit(next);
  }

  return (
    <form onSubmit={submit} aria-labelledby="log-filter-heading" noValidate>
      <h2 id="log-filter-heading">Filter</h2>
      <div className="form-inline">
        <div className="form-row">
          <label htmlFor="log-service">Service</label>
          <select id="log-service" value={service} onChange={(e) => setService(e.target.value)}>
            <option value="">Every service</option>
            {LOG_SERVICES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div className="form-row">
          <label htmlFor="log-level">Minimum level</label>
          <select id="log-level" value={level} onChange={(e) => setLevel(e.target.value)}>
            <option value="">Any level</option>
            {LOG_LEVELS.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </div>
        <div className="form-row">
          <label htmlFor="log-since">Since</label>
          <select id="log-since" value={since} onChange={(e) => setSince(e.target.value)}>
            <option value="">Everything kept (24 hours)</option>
            {SINCE_CHOICES.map((c) => (
              <option key={c.minutes} value={c.minutes}>
                {c.label}
              </option>
            ))}
          </select>
        </div>
        <div className="form-row">
          <label htmlFor="log-trace">Trace id</label>
          <input
            ref={traceInput}
            id="log-trace"
            type="text"
            value={trace}
            autoComplete="off"
            spellCheck={false}
            aria-invalid={traceError || undefined}
            aria-describedby={traceError ? "log-trace-error log-trace-hint" : "log-trace-hint"}
            onChange={(e) => setTrace(e.target.value)}
          />
          <p className="hint" id="log-trace-hint">
            32 hexadecimal digits, from a response&apos;s X-Trace-Id.
          </p>
          {traceError ? (
            <p className="field-error" id="log-trace-error">
              A trace id is 32 hexadecimal digits.
            </p>
          ) : null}
        </div>
        <div className="form-row">
          <label htmlFor="log-contains">Contains</label>
          <input
            id="log-contains"
            type="search"
            value={contains}
            maxLength={200}
            autoComplete="off"
            spellCheck={false}
            aria-describedby="log-contains-hint"
            onChange={(e) => setContains(e.target.value)}
          />
          <p className="hint" id="log-contains-hint">
            Text anywhere in the line, any case.
          </p>
        </div>
        <div className="form-row button-row">
          <button type="submit" className="button button--primary">
            Apply filters
          </button>
          <Link to="/ops/logs">Clear filters</Link>
        </div>
      </div>
    </form>
  );
}
