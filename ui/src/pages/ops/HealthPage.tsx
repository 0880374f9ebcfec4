import { useRef, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { getComponents, type HealthComponentDetail, type HealthStatus } from "../../api/health";
import { useAnnounce } from "../../app/announcer";
import { Page } from "../../app/Page";
import { useApi, useSession } from "../../app/session";
import { ErrorMessage, describeError } from "../../components/ErrorMessage";
import { LineChart } from "../../components/LineChart";
import { Loading } from "../../components/Loading";
import { StatusBadge } from "../../components/StatusBadge";
import { EventQueues } from "./EventQueues";
import {
  REFRESH_CHOICES,
  STATUS_LABEL,
  WINDOWS,
  clockTime,
  countStatuses,
  formatMs,
  formatNumber,
  logLinkToPage,
  overallStatus,
  plural,
  readWindow,
  seriesFor,
  statusChanges,
  windowLabel,
} from "./logic";
import { usePolling } from "./usePolling";
import "../../styles/ops.css";

const SERVICE_IDS = new Set(["gateway", "auth", "ingest", "scoring", "lineage", "health"]);

/**
 * The health dashboard for operations staff (R13): every component's status with its issues
 * and log links, and request rate, errors and p95 latency per service over the window, as
 * charts with tables, and each event queue with its dead letters (admins redrive them). Refreshes every 30 s or more while the tab is visible; announces status
 * changes, not every refresh.
 */
export function HealthPage() {
  const api = useApi();
  const { can } = useSession();
  const announce = useAnnounce();
  const [params, setParams] = useSearchParams();
  const windowMinutes = readWindow(params);
  const [paused, setPaused] = useState(false);
  const [intervalSeconds, setIntervalSeconds] = useState<number>(REFRESH_CHOICES[0]);
  const previous = useRef<Map<string, HealthStatus> | null>(null);

  const polled = usePolling(
    (signal) => getComponents(api, windowMinutes, true, signal),
    [windowMinutes],
    {
      intervalMs: intervalSeconds * 1000,
      running: !paused,
      onResult: (answer, first) => {
        const components = answer.components;
        if (first) {
          previous.current = null;
          const overall = overallStatus(components);
          announce(
            `Health for the ${windowLabel(windowMinutes)}: overall ${STATUS_LABEL[overall].toLowerCase()}; ` +
              countStatuses(components)
                .map((c) => `${c.count} ${STATUS_LABEL[c.status].toLowerCase()}`)
                .join(", ") +
              ".",
          );
        } else {
          for (const change of statusChanges(previous.current, components)) announce(change);
        }
        previous.current = new Map(components.map((c) => [c.id, c.status]));
      },
      onError: (error) => announce(describeError("Could not refresh the health feed.", error), "assertive"),
    },
  );

  const feed = polled.data;
  const components = feed?.components ?? [];
  const services = components.filter((c) => SERVICE_IDS.has(c.id));
  const bus = components.filter((c) => c.id === "event-bus");

  return (
    <Page
      title="System health"
      lead="Every part of the registry, its issues and its traffic over a trailing window. Updates on its own while this tab is visible."
    >
      <div className="panel ops-toolbar">
        <div className="form-row">
          <label htmlFor="health-window">Time window</label>
          <select
            id="health-window"
            value={windowMinutes}
            onChange={(event) => {
              const next = new URLSearchParams(params);
              next.set("window", event.target.value);
              setParams(next);
            }}
          >
            {WINDOWS.map((w) => (
              <option key={w.minutes} value={w.minutes}>
                {w.label}
              </option>
            ))}
          </select>
        </div>
        <div className="form-row">
          <label htmlFor="health-interval">Refresh every</label>
          <select id="health-interval" value={intervalSeconds} onChange={(e) => setIntervalSeconds(Number(e.target.value))}>
            {REFRESH_CHOICES.map((s) => (
              <option key={s} value={s}>
                {s < 60 ? `${s} seconds` : s === 60 ? "minute" : `${s / 60} minutes`}
              </option>
            ))}
          </select>
        </div>
        <div className="button-row">
          <button
            type="button"
            className="button"
            aria-pressed={paused}
            onClick={() => {
              setPaused(!paused);
              announce(paused ? "Automatic refresh resumed." : "Automatic refresh paused.");
            }}
          >
            {paused ? "Resume automatic refresh" : "Pause automatic refresh"}
          </button>
          <button type="button" className="button" onClick={polled.refresh} disabled={polled.loading}>
            Refresh now
          </button>
        </div>
        <p className="status-line ops-toolbar__updated" id="health-updated">
          {polled.lastUpdated ? (
            <>
              Last updated <time dateTime={polled.lastUpdated.toISOString()}>{clockTime(polled.lastUpdated)}</time>
            </>
          ) : (
            "Not loaded yet"
          )}
          {polled.loading && polled.data ? " · refreshing…" : ""}
          {paused ? " · automatic refresh paused" : polled.hidden ? " · paused while this tab is hidden" : ""}
        </p>
      </div>

      {polled.error ? (
        <ErrorMessage
          title={polled.data ? "Could not refresh the health feed; showing the last answer." : "Could not load the health feed."}
          error={polled.error}
        />
      ) : null}
      {!feed && polled.loading ? <Loading label="Loading the health feed…" /> : null}

      {feed ? (
        <div aria-busy={polled.loading} data-generated-at={feed.generated_at}>
          <section aria-labelledby="overview-heading">
            <h2 id="overview-heading">Overview</h2>
            <p className="ops-overall">
              <StatusBadge status={overallStatus(components)} prefix="Overall:" />{" "}
              <span>
                {plural(components.length, "component")}:{" "}
                {countStatuses(components)
                  .map((c) => `${c.count} ${STATUS_LABEL[c.status].toLowerCase()}`)
                  .join(", ")}
                . Feed generated at {clockTime(feed.generated_at)} for the {windowLabel(windowMinutes)}.
              </span>
            </p>
          </section>

          <section aria-labelledby="components-heading">
            <h2 id="components-heading">Components</h2>
            <ul className="component-list">
              {components.map((component) => (
                <ComponentCard key={component.id} component={component} canReadLogs={can("admin")} />
              ))}
            </ul>
          </section>

          <EventQueues bus={bus[0]} canRedrive={can("admin")} onRedriven={polled.refresh} />

          {can("admin") ? (
            <section aria-labelledby="loadtests-heading">
              <h2 id="loadtests-heading">Load tests</h2>
              <p>
                Measure download throughput and latency with many clients at once, against this registry&apos;s own
                gateway: <Link to="/ops/load-tests">start a load test, watch it, and compare past runs</Link>.
              </p>
            </section>
          ) : null}

          <section aria-labelledby="traffic-heading">
            <h2 id="traffic-heading">Traffic, {windowLabel(windowMinutes)}</h2>
            <p className="hint">
              Per service, per minute. Buckets are whole minutes (
              {windowMinutes <= 60 ? "1 minute" : `${Math.ceil(windowMinutes / 60)} minutes`} each); the last one is
              still filling. Latency is the 95th percentile of each bucket&apos;s requests; a bucket without requests
              has none.
            </p>
            <div className="chart-grid">
              <LineChart title="Requests per minute" unit="requests per minute" series={seriesFor(services, "requests/min")} />
              <LineChart
                title="Server errors (5xx) per minute"
                unit="errors per minute"
                series={seriesFor(services, "errors/min")}
              />
              <LineChart
                title="Latency, 95th percentile (ms)"
                unit="milliseconds"
                series={seriesFor(services, "p95 ms", "requests/min")}
                gapText="no requests"
              />
              <LineChart
                title="Events handled per minute (event bus)"
                unit="events per minute"
                series={[
                  ...seriesFor(bus, "events/min").map((s) => ({ ...s, label: "Events handled" })),
                  ...seriesFor(bus, "failed events/min").map((s) => ({ ...s, id: "failed", label: "Failed events" })),
                ]}
              />
            </div>
          </section>
        </div>
      ) : null}
    </Page>
  );
}

const METRIC_LABELS: [string, string, (v: number | string | boolean) => string][] = [
  ["requests", "Requests", (v) => formatNumber(Number(v))],
  ["requests_per_minute", "Requests per minute", (v) => formatNumber(Number(v))],
  ["errors", "Server errors (5xx)", (v) => formatNumber(Number(v))],
  ["error_rate", "Error rate", (v) => `${formatNumber(Number(v) * 100)} %`],
  ["client_errors", "Client errors (4xx)", (v) => formatNumber(Number(v))],
  ["p50_ms", "Median latency", (v) => formatMs(Number(v))],
  ["p95_ms", "95th percentile latency", (v) => formatMs(Number(v))],
  ["check_latency_ms", "Health check took", (v) => formatMs(Number(v))],
  ["events_handled", "Events handled", (v) => formatNumber(Number(v))],
  ["events_failed", "Events failed", (v) => formatNumber(Number(v))],
  ["queue_depth", "Events waiting", (v) => formatNumber(Number(v))],
  ["dead_letters", "Dead letters", (v) => formatNumber(Number(v))],
  ["latency_ms", "Check latency", (v) => formatMs(Number(v))],
  ["http_status", "HTTP status", (v) => String(v)],
  ["rate_limit_remaining", "Rate limit left", (v) => formatNumber(Number(v))],
];

const SEVERITY_LABEL = { error: "Error", warning: "Warning", info: "Note" } as const;

function ComponentCard({ component, canReadLogs }: { component: HealthComponentDetail; canReadLogs: boolean }) {
  const headingId = `component-${component.id}`;
  const metrics = component.metrics ?? {};
  const shown = METRIC_LABELS.filter(([key]) => metrics[key] !== undefined);
  const issues = component.issues ?? [];
  const logs = (component.logs ?? [])
    .map((log) => ({ label: log.label, to: logLinkToPage(log.url) }))
    .filter((log): log is { label: string; to: string } => log.to !== null);
  return (
    <li className={`component component--${component.status}`} data-component={component.id}>
      <div className="component__header">
        <h3 id={headingId}>{component.display_name ?? component.id}</h3>
        <StatusBadge status={component.status} prefix="Status:" />
      </div>
      {component.description ? <p className="component__description">{component.description}</p> : null}
      {shown.length ? (
        <dl className="facts facts--compact">
          {shown.map(([key, label, format]) => (
            <div key={key} className="facts__row">
              <dt>{label}</dt>
              <dd>{format(metrics[key]!)}</dd>
            </div>
          ))}
        </dl>
      ) : null}
      {issues.length ? (
        <>
          <h4 className="component__subheading">{plural(issues.length, "issue")}</h4>
          <ul className="issue-list">
            {issues.map((issue, index) => (
              <li key={`${issue.code}-${index}`} className={`issue issue--${issue.severity}`}>
                <strong>{SEVERITY_LABEL[issue.severity] ?? issue.severity}:</strong> {issue.summary}
                {issue.details ? <span className="issue__details"> {issue.details}</span> : null}{" "}
                <code className="issue__code">{issue.code}</code>
              </li>
            ))}
          </ul>
        </>
      ) : (
        <p className="component__none">No issues.</p>
      )}
      {logs.length ? (
        canReadLogs ? (
          <p className="component__logs">
            {logs.map((log, index) => (
              <span key={log.to}>
                {index > 0 ? " · " : ""}
                <Link to={log.to} aria-label={`${log.label} (${component.display_name ?? component.id})`}>
                  {log.label}
                </Link>
              </span>
            ))}
          </p>
        ) : (
          <p className="hint">Logs are for admins.</p>
        )
      ) : null}
    </li>
  );
}
