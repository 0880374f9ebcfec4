import { useCallback, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { getRecentRequests, getTrace, type RecentRequests, type Trace, type TraceSpan } from "../../api/health";
import { useAnnounce } from "../../app/announcer";
import { Page } from "../../app/Page";
import { useApi } from "../../app/session";
import { useAsync, type AsyncState } from "../../app/useAsync";
import { ErrorMessage, describeError } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import { LOG_SERVICES, formatMs, isTraceId, logTime, plural, serviceIndex, waterfall } from "./logic";
import "../../styles/ops.css";

const MIN_STATUS_CHOICES = [
  { value: 0, label: "Any status" },
  { value: 400, label: "4xx and 5xx" },
  { value: 500, label: "5xx only" },
];

/** /ops/traces (look-up + recent requests) and /ops/traces/:traceId (the viewer). */
export function TracesPage() {
  const { traceId } = useParams();
  return traceId ? <TraceViewer traceId={traceId.toLowerCase()} /> : <TraceSearch />;
}

function TraceLookupForm({ initial = "" }: { initial?: string }) {
  const navigate = useNavigate();
  const announce = useAnnounce();
  const [value, setValue] = useState(initial);
  const [invalid, setInvalid] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  function submit(event: FormEvent) {
    event.preventDefault();
    const id = value.trim().toLowerCase();
    if (!isTraceId(id)) {
      setInvalid(true);
      announce("A trace id is 32 hexadecimal digits, as in the X-Trace-Id response header.", "assertive");
      input.current?.focus();
      return;
    }
    setInvalid(false);
    navigate(`/ops/traces/${id}`);
  }

  return (
    <form onSubmit={submit} aria-labelledby="trace-lookup-heading" noValidate className="panel">
      <h2 id="trace-lookup-heading">Look up a trace</h2>
      <div className="form-inline">
        <div className="form-row">
          <label htmlFor="trace-id">Trace id</label>
          <input
            ref={input}
            id="trace-id"
            type="text"
            value={value}
            autoComplete="off"
            spellCheck={false}
            aria-invalid={invalid || undefined}
            aria-describedby={invalid ? "trace-id-error trace-id-hint" : "trace-id-hint"}
            onChange={(e) => setValue(e.target.value)}
          />
          <p className="hint" id="trace-id-hint">
            The X-Trace-Id of a response, or the trace id an error message quotes.
          </p>
          {invalid ? (
            <p className="field-error" id="trace-id-error">
              A trace id is 32 hexadecimal digits, as in the X-Trace-Id response header.
            </p>
          ) : null}
        </div>
        <div className="form-row">
          <button type="submit" className="button button--primary">
            Show trace
          </button>
        </div>
      </div>
    </form>
  );
}

function TraceSearch() {
  const api = useApi();
  const announce = useAnnounce();
  const [params, setParams] = useSearchParams();
  const service = (LOG_SERVICES as readonly string[]).includes(params.get("service") ?? "") ? params.get("service")! : "";
  const minStatus = MIN_STATUS_CHOICES.some((c) => String(c.value) === params.get("minStatus"))
    ? Number(params.get("minStatus"))
    : 0;
  const [reload, setReload] = useState(0);
  const onSettled = useCallback(
    (state: AsyncState<RecentRequests>) => {
      if (state.status === "ok") announce(`${plural(state.data.count, "recent request")} shown.`);
      else if (state.status === "error") announce(describeError("Could not load the recent requests.", state.error), "assertive");
    },
    [announce],
  );
  const recent = useAsync(
    (signal) => getRecentRequests(api, { service, minStatus }, 50, signal),
    [service, minStatus, reload],
    onSettled,
  );

  function set(key: string, value: string) {
    const next = new URLSearchParams(params);
    if (value && value !== "0") next.set(key, value);
    else next.delete(key);
    setParams(next);
  }

  return (
    <Page title="Traces" lead="Follow one request through every service: its spans, timings, errors and log lines.">
      <TraceLookupForm />
      <section aria-labelledby="recent-heading" aria-busy={recent.status === "loading"}>
        <h2 id="recent-heading">Recent requests</h2>
        <div className="form-inline">
          <div className="form-row">
            <label htmlFor="recent-service">Service</label>
            <select id="recent-service" value={service} onChange={(e) => set("service", e.target.value)}>
              <option value="">Every service</option>
              {LOG_SERVICES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </div>
          <div className="form-row">
            <label htmlFor="recent-status">Status</label>
            <select id="recent-status" value={minStatus} onChange={(e) => set("minStatus", e.target.value)}>
              {MIN_STATUS_CHOICES.map((c) => (
                <option key={c.value} value={c.value}>
                  {c.label}
                </option>
              ))}
            </select>
          </div>
          <div className="form-row">
            <button type="button" className="button" onClick={() => setReload((n) => n + 1)}>
              Refresh
            </button>
          </div>
        </div>
        {recent.status === "loading" ? <Loading label="Loading recent requests…" /> : null}
        {recent.status === "error" ? <ErrorMessage title="Could not load the recent requests." error={recent.error} /> : null}
        {recent.status === "ok" && recent.data.requests.length === 0 ? (
          <div className="alert alert--info" id="recent-empty">
            <p>No requests match{minStatus ? ` (status ${minStatus} or above)` : ""} in what the health service keeps.</p>
          </div>
        ) : null}
        {recent.status === "ok" && recent.data.requests.length > 0 ? (
          <div className="table-wrap">
            <table className="data data--compact">
              <caption className="visually-hidden">The newest requests, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Service</th>
                  <th scope="col">Request</th>
                  <th scope="col">Status</th>
                  <th scope="col">Duration</th>
                  <th scope="col">Trace</th>
                </tr>
              </thead>
              <tbody>
                {recent.data.requests.map((r, index) => (
                  <tr key={`${r.at}-${r.trace_id ?? index}-${index}`}>
                    <td className="nowrap">
                      <time dateTime={r.at}>{logTime(r.at)}</time>
                    </td>
                    <td>{r.service}</td>
                    <td>
                      <code>
                        {r.method} {r.route}
                      </code>
                    </td>
                    <td className={r.status >= 500 ? "http-status--error" : undefined}>
                      {r.status}
                      {r.status >= 500 ? " (server error)" : r.status >= 400 ? " (client error)" : ""}
                    </td>
                    <td className="nowrap">{formatMs(r.duration_ms)}</td>
                    <td>
                      {r.trace_id ? (
                        <Link to={`/ops/traces/${r.trace_id}`} className="trace-link">
                          <code>{r.trace_id}</code>
                        </Link>
                      ) : (
                        <span className="muted">none</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </Page>
  );
}

function TraceViewer({ traceId }: { traceId: string }) {
  const api = useApi();
  const announce = useAnnounce();
  const onSettled = useCallback(
    (state: AsyncState<Trace>) => {
      if (state.status === "ok") {
        const t = state.data;
        announce(
          `Trace loaded: ${plural(t.span_count, "span")} in ${plural(t.services.length, "service")}, ${formatMs(t.duration_ms)}` +
            `${t.errors ? `, ${plural(t.errors, "error")}` : ", no errors"}.`,
        );
      } else if (state.status === "error") {
        announce(describeError("Could not load the trace.", state.error), "assertive");
      }
    },
    [announce],
  );
  const trace = useAsync((signal) => getTrace(api, traceId, signal), [traceId], onSettled);

  return (
    <Page title={`Trace ${traceId.slice(0, 8)}`} heading="Trace">
      <p className="status-line">
        <code>{traceId}</code> · <Link to="/ops/traces">All traces and recent requests</Link> ·{" "}
        <Link to={`/ops/logs?trace_id=${traceId}`}>Log lines of this trace</Link>
      </p>
      <TraceLookupForm key={traceId} initial={traceId} />
      <section aria-labelledby="trace-result-heading" aria-busy={trace.status === "loading"}>
        <h2 id="trace-result-heading">Spans</h2>
        {trace.status === "loading" ? <Loading label="Loading the trace…" /> : null}
        {trace.status === "error" ? <ErrorMessage title="Could not load the trace." error={trace.error} /> : null}
        {trace.status === "ok" ? <TraceView trace={trace.data} /> : null}
      </section>
    </Page>
  );
}

function TraceView({ trace }: { trace: Trace }) {
  const { rows, totalMs } = waterfall(trace.spans);
  const [selected, setSelected] = useState<string | null>(null);
  const [focusIndex, setFocusIndex] = useState(0);
  const [asTable, setAsTable] = useState(false);
  const buttons = useRef<(HTMLButtonElement | null)[]>([]);
  const chosen = rows.find((r) => r.span.span_id === selected) ?? null;

  function onKeyDown(event: KeyboardEvent<HTMLButtonElement>, index: number) {
    const last = rows.length - 1;
    const target =
      event.key === "ArrowDown" ? Math.min(last, index + 1)
      : event.key === "ArrowUp" ? Math.max(0, index - 1)
      : event.key === "Home" ? 0
      : event.key === "End" ? last
      : null;
    if (target === null) return;
    event.preventDefault();
    setFocusIndex(target);
    buttons.current[target]?.focus();
  }

  function select(span: TraceSpan, index: number) {
    setFocusIndex(index);
    setSelected(span.span_id === selected ? null : span.span_id);
  }

  return (
    <>
      <dl className="facts">
        <dt>Started</dt>
        <dd>
          <time dateTime={trace.started_at}>{logTime(trace.started_at)}</time>
        </dd>
        <dt>Duration</dt>
        <dd>{formatMs(trace.duration_ms)}</dd>
        <dt>Spans</dt>
        <dd>{trace.span_count}</dd>
        <dt>Services</dt>
        <dd>{trace.services.join(", ")}</dd>
        <dt>Errors</dt>
        <dd className={trace.errors ? "http-status--error" : undefined}>
          {trace.errors ? plural(trace.errors, "span") + " failed" : "none"}
        </dd>
      </dl>
      <div className="button-row">
        <button type="button" className="button button--small" aria-pressed={asTable} onClick={() => setAsTable(!asTable)}>
          {asTable ? "Show as waterfall" : "Show as table"}
        </button>
      </div>
      {asTable ? (
        <div className="table-wrap">
          <table className="data data--compact">
            <caption>Spans of the trace, parents before children</caption>
            <thead>
              <tr>
                <th scope="col">Span</th>
                <th scope="col">Service</th>
                <th scope="col">Depth</th>
                <th scope="col">Starts after</th>
                <th scope="col">Duration</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.span.span_id}>
                  <th scope="row">
                    <code>{row.span.name}</code>
                  </th>
                  <td>{row.span.service}</td>
                  <td>{row.span.depth}</td>
                  <td className="nowrap">{formatMs(row.offsetMs)}</td>
                  <td className="nowrap">{formatMs(row.span.duration_ms)}</td>
                  <td className={row.span.status === "error" ? "http-status--error" : undefined}>
                    {row.span.status === "error" ? `Error${row.span.status_message ? `: ${row.span.status_message}` : ""}` : row.span.status}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <>
          <p className="hint" id="waterfall-hint">
            Each row is a span, indented under its parent; the bar shows when it ran within the trace&apos;s{" "}
            {formatMs(totalMs)}. Up and Down arrows move between spans; Enter shows a span&apos;s details.
          </p>
          <ol className="waterfall" aria-label="Spans, parents before children" aria-describedby="waterfall-hint">
            {rows.map((row, index) => {
              const s = row.span;
              const colour = serviceIndex(s.service);
              return (
                <li key={s.span_id} className="waterfall__row">
                  <button
                    type="button"
                    ref={(el) => {
                      buttons.current[index] = el;
                    }}
                    className="waterfall__button"
                    tabIndex={index === focusIndex ? 0 : -1}
                    aria-current={s.span_id === selected ? "true" : undefined}
                    aria-expanded={s.span_id === selected}
                    aria-controls={s.span_id === selected ? "span-details" : undefined}
                    onKeyDown={(event) => onKeyDown(event, index)}
                    onClick={() => select(s, index)}
                    onFocus={() => setFocusIndex(index)}
                  >
                    <span className={`waterfall__label depth-${Math.min(s.depth, 8)}`}>
                      <span className={`waterfall__service series--${colour}`}>{s.service}</span>
                      <span className="waterfall__name">{s.name}</span>
                      {s.status === "error" ? <span className="waterfall__error">Error</span> : null}
                      <span className="visually-hidden">
                        , level {s.depth + 1}, starts after {formatMs(row.offsetMs)}, takes {formatMs(s.duration_ms)}
                      </span>
                    </span>
                    <span className={`waterfall__track series--${colour}`} aria-hidden="true">
                      <WaterfallBar left={row.left} width={row.width} error={s.status === "error"} />
                      <span className="waterfall__time">{formatMs(s.duration_ms)}</span>
                    </span>
                  </button>
                </li>
              );
            })}
          </ol>
        </>
      )}
      {chosen ? <SpanDetails span={chosen.span} offsetMs={chosen.offsetMs} /> : null}
    </>
  );
}

/** Positioned through the CSSOM (allowed by the CSP), not an inline style attribute. */
function WaterfallBar({ left, width, error }: { left: number; width: number; error: boolean }) {
  return (
    <span
      className={`waterfall__bar${error ? " waterfall__bar--error" : ""}`}
      ref={(el) => {
        if (el) {
          el.style.left = `${left}%`;
          el.style.width = `${width}%`;
        }
      }}
    />
  );
}

function SpanDetails({ span, offsetMs }: { span: TraceSpan; offsetMs: number }) {
  const attributes = Object.entries(span.attributes).sort(([a], [b]) => a.localeCompare(b));
  return (
    <section id="span-details" className="panel span-details" aria-labelledby="span-details-heading">
      <h3 id="span-details-heading">
        Span <code>{span.name}</code>
      </h3>
      <dl className="facts">
        <dt>Service</dt>
        <dd>{span.service}</dd>
        <dt>Kind</dt>
        <dd>{span.kind}</dd>
        <dt>Status</dt>
        <dd className={span.status === "error" ? "http-status--error" : undefined}>
          {span.status === "error" ? "Error" : span.status}
          {span.status_message ? `: ${span.status_message}` : ""}
        </dd>
        <dt>Starts after</dt>
        <dd>{formatMs(offsetMs)}</dd>
        <dt>Duration</dt>
        <dd>{formatMs(span.duration_ms)}</dd>
        <dt>Span id</dt>
        <dd>
          <code>{span.span_id}</code>
        </dd>
      </dl>
      <h4>Attributes</h4>
      {attributes.length ? (
        <div className="table-wrap">
          <table className="data data--compact">
            <caption className="visually-hidden">Attributes of span {span.name}</caption>
            <thead>
              <tr>
                <th scope="col">Attribute</th>
                <th scope="col">Value</th>
              </tr>
            </thead>
            <tbody>
              {attributes.map(([key, value]) => (
                <tr key={key}>
                  <th scope="row">
                    <code>{key}</code>
                  </th>
                  <td>
                    <code>{typeof value === "string" ? value : JSON.stringify(value)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p>This span has no attributes.</p>
      )}
      {span.events?.length ? (
        <>
          <h4>Events</h4>
          <ul>
            {span.events.map((event, index) => (
              <li key={`${event.name}-${index}`}>
                <code>{event.name}</code> at <time dateTime={event.at}>{logTime(event.at)}</time>
                {Object.keys(event.attributes).length ? `: ${JSON.stringify(event.attributes)}` : ""}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
