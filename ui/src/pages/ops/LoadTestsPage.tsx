import { useRef, useState, type FormEvent } from "react";
import { listArtifacts } from "../../api/endpoints";
import { asApiError, type ApiError } from "../../api/errors";
import {
  cancelLoadTest,
  getLoadTest,
  getLoadTests,
  startLoadTest,
  type LoadTestLimits,
  type LoadTestRequest,
  type LoadTestRun,
} from "../../api/loadtests";
import { useAnnounce } from "../../app/announcer";
import { Page } from "../../app/Page";
import { useApi } from "../../app/session";
import { useAsync } from "../../app/useAsync";
import { ErrorMessage, describeError } from "../../components/ErrorMessage";
import { Histogram } from "../../components/Histogram";
import { LineChart } from "../../components/LineChart";
import { Loading } from "../../components/Loading";
import { compareRows, finishedSentence, isActive, latency, STATUS_WORDS, throughputSeries } from "./loadtest";
import { formatNumber, logTime } from "./logic";
import { usePolling } from "./usePolling";
import "../../styles/ops.css";

/** While a run is in progress its figures are read once a second (one token call each). */
const LIVE_INTERVAL_MS = 1000;
/** Models offered for picking by name: the first page of the catalog's models. */
const PICKABLE_MODELS = 100;

/**
 * Download load tests (R21), for admins: start one (which models, how many clients, how
 * long), watch its throughput, latency and errors live, read its results (figures, a latency
 * histogram and the throughput over time, each chart with a table), and compare past runs
 * side by side. The run itself executes in the health service against this registry's own
 * gateway (docs/load-tests.md).
 */
export function LoadTestsPage() {
  const api = useApi();
  const announce = useAnnounce();
  const [shown, setShown] = useState<string | null>(null);
  const [compared, setCompared] = useState<string[]>([]);
  const [comparing, setComparing] = useState<string[]>([]);
  // Read once, and again when a run starts or ends; the last answer stays on screen meanwhile.
  const listing = usePolling((signal) => getLoadTests(api, signal), [], { intervalMs: 60_000, running: false });
  const runs = listing.data?.runs ?? [];
  const current = shown ?? listing.data?.active ?? runs[0]?.id ?? null;

  return (
    <Page
      title="Load tests"
      lead="Many clients downloading models from this registry at once, each with its own token, through the registry's own gateway: throughput, latency and errors, live and kept for comparison."
    >
      {listing.error ? <ErrorMessage title="Could not load the load tests." error={listing.error} /> : null}
      {listing.loading && !listing.data ? <Loading label="Loading the load tests…" /> : null}
      {listing.data ? (
        <>
          <StartForm
            limits={listing.data.limits}
            target={listing.data.target}
            busy={listing.data.active !== null}
            onStarted={(run) => {
              announce(`Load test started: ${run.clients} clients for ${run.duration_seconds} seconds.`);
              setShown(run.id);
              listing.refresh();
            }}
          />
          {current ? (
            <RunPanel
              key={current}
              runId={current}
              onFinished={(run) => {
                announce(finishedSentence(run));
                listing.refresh();
              }}
            />
          ) : null}
          <PastRuns
            runs={runs}
            selected={compared}
            onSelect={setCompared}
            onShow={(id) => setShown(id)}
            onCompare={() => setComparing(compared)}
          />
          {comparing.length >= 2 ? <Comparison ids={comparing} /> : null}
        </>
      ) : null}
    </Page>
  );
}

// ------------------------------------------------------------------ start

function StartForm({
  limits,
  target,
  busy,
  onStarted,
}: {
  limits: LoadTestLimits;
  target: string;
  busy: boolean;
  onStarted: (run: LoadTestRun) => void;
}) {
  const api = useApi();
  const announce = useAnnounce();
  const [mode, setMode] = useState<"count" | "chosen">("count");
  const [count, setCount] = useState(1);
  const [chosen, setChosen] = useState<string[]>([]);
  const [clients, setClients] = useState(Math.min(10, limits.max_clients));
  const [duration, setDuration] = useState(Math.min(10, limits.max_duration_seconds));
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const errorRef = useRef<HTMLDivElement>(null);
  const models = useAsync(
    (signal) =>
      mode === "chosen"
        ? listArtifacts(api, [{ name: "*", types: ["model"] }], null, signal).then((page) => page.items.slice(0, PICKABLE_MODELS))
        : Promise.resolve([]),
    [mode],
  );

  async function submit(event: FormEvent) {
    event.preventDefault();
    const request: LoadTestRequest = { clients, duration_seconds: duration };
    if (mode === "count") request.model_count = count;
    else request.models = chosen;
    setSending(true);
    setError(null);
    try {
      onStarted(await startLoadTest(api, request));
    } catch (thrown) {
      const failure = asApiError(thrown);
      setError(failure);
      announce(describeError("Could not start the load test.", failure), "assertive");
      errorRef.current?.focus();
    } finally {
      setSending(false);
    }
  }

  return (
    <section aria-labelledby="start-heading" className="panel">
      <h2 id="start-heading">Start a load test</h2>
      <p className="hint">
        Downloads go to <code>{target}</code>, this registry&apos;s own gateway (set by the operator, never by a
        request). Each download counts like any other: it spends a call of its client&apos;s token and is recorded in
        the model&apos;s audit trail and download count. At most {formatNumber(limits.max_clients)} clients and{" "}
        {formatNumber(limits.max_duration_seconds)} seconds; one run at a time.
      </p>
      <form onSubmit={submit}>
        <fieldset>
          <legend>Models to download</legend>
          <div className="choice">
            <input
              type="radio"
              id="loadtest-mode-count"
              name="loadtest-mode"
              checked={mode === "count"}
              onChange={() => setMode("count")}
            />
            <label htmlFor="loadtest-mode-count">The first registered models</label>
          </div>
          {mode === "count" ? (
            <div className="form-row form-row--nested">
              <label htmlFor="loadtest-count">How many models</label>
              <input
                id="loadtest-count"
                type="number"
                min={1}
                max={limits.max_models}
                required
                value={count}
                onChange={(e) => setCount(Number(e.target.value))}
              />
            </div>
          ) : null}
          <div className="choice">
            <input
              type="radio"
              id="loadtest-mode-chosen"
              name="loadtest-mode"
              checked={mode === "chosen"}
              onChange={() => setMode("chosen")}
            />
            <label htmlFor="loadtest-mode-chosen">Models I choose</label>
          </div>
          {mode === "chosen" ? (
            models.status === "loading" ? (
              <Loading label="Loading the models…" />
            ) : models.status === "error" ? (
              <ErrorMessage title="Could not list the models." error={models.error} />
            ) : models.data.length === 0 ? (
              <p className="status-line">No model is registered yet.</p>
            ) : (
              <fieldset className="form-row--nested model-picker">
                <legend>Choose up to {formatNumber(limits.max_models)} models</legend>
                {models.data.map((model) => (
                  <div className="choice" key={model.id}>
                    <input
                      type="checkbox"
                      id={`loadtest-model-${model.id}`}
                      checked={chosen.includes(model.id)}
                      onChange={(e) =>
                        setChosen(e.target.checked ? [...chosen, model.id] : chosen.filter((id) => id !== model.id))
                      }
                    />
                    <label htmlFor={`loadtest-model-${model.id}`}>{model.name}</label>
                  </div>
                ))}
              </fieldset>
            )
          ) : null}
        </fieldset>
        <div className="form-row">
          <label htmlFor="loadtest-clients">Clients (concurrent downloads)</label>
          <input
            id="loadtest-clients"
            type="number"
            min={1}
            max={limits.max_clients}
            required
            value={clients}
            onChange={(e) => setClients(Number(e.target.value))}
          />
        </div>
        <div className="form-row">
          <label htmlFor="loadtest-duration">Duration in seconds</label>
          <input
            id="loadtest-duration"
            type="number"
            min={1}
            max={limits.max_duration_seconds}
            required
            value={duration}
            onChange={(e) => setDuration(Number(e.target.value))}
          />
        </div>
        {error ? (
          <div ref={errorRef} tabIndex={-1}>
            <ErrorMessage title="Could not start the load test." error={error} />
          </div>
        ) : null}
        <div className="button-row">
          <button
            type="submit"
            className="button button--primary"
            disabled={sending || busy || (mode === "chosen" && chosen.length === 0)}
          >
            {sending ? "Starting…" : "Start load test"}
          </button>
          {busy ? <span className="status-line">A load test is in progress: wait for it or cancel it.</span> : null}
        </div>
      </form>
    </section>
  );
}

// ------------------------------------------------------------------ one run, live or finished

function RunPanel({ runId, onFinished }: { runId: string; onFinished: (run: LoadTestRun) => void }) {
  const api = useApi();
  const announce = useAnnounce();
  const [live, setLive] = useState(true);
  const [cancelError, setCancelError] = useState<ApiError | null>(null);
  const wasActive = useRef(false);
  const polled = usePolling((signal) => getLoadTest(api, runId, signal), [runId], {
    intervalMs: LIVE_INTERVAL_MS,
    running: live,
    onResult: (run) => {
      const active = isActive(run.status);
      if (!active) {
        setLive(false);
        if (wasActive.current) onFinished(run);
      }
      wasActive.current = active;
    },
  });
  const run = polled.data;
  if (!run) {
    return polled.error ? (
      <ErrorMessage title="Could not load the load test." error={polled.error} />
    ) : (
      <Loading label="Loading the load test…" />
    );
  }
  const active = isActive(run.status);
  const summary = run.summary;
  const elapsed = Math.min(summary?.elapsed_seconds ?? 0, run.duration_seconds);

  async function cancel() {
    setCancelError(null);
    try {
      await cancelLoadTest(api, run!.id);
      announce("Cancelling the load test…");
      polled.refresh();
    } catch (thrown) {
      const failure = asApiError(thrown);
      setCancelError(failure);
      announce(describeError("Could not cancel the load test.", failure), "assertive");
    }
  }

  return (
    <section aria-labelledby="run-heading" className="panel" data-run={run.id} data-status={run.status}>
      <h2 id="run-heading">
        {active ? "Load test in progress" : "Load test results"}
        {run.created_at ? `, started ${logTime(run.created_at).slice(0, 19)}` : ""}
      </h2>
      <dl className="facts">
        <dt>Status</dt>
        <dd data-testid="run-status">{STATUS_WORDS[run.status]}</dd>
        <dt>Models</dt>
        <dd>{run.models.map((m) => `${m.name} (${formatNumber(m.size)} bytes)`).join(", ")}</dd>
        <dt>Clients</dt>
        <dd>
          {formatNumber(run.clients)}
          {run.status === "preparing" ? `, ${formatNumber(run.clients_ready)} signed in so far` : ""}
        </dd>
        <dt>Duration</dt>
        <dd>{formatNumber(run.duration_seconds)} s</dd>
        <dt>Started by</dt>
        <dd>{run.requested_by}</dd>
      </dl>
      {run.message ? <p className="alert alert--info">{run.message}</p> : null}
      {active ? (
        <>
          <div className="form-row">
            <label htmlFor="run-progress">Time elapsed</label>
            <progress id="run-progress" max={run.duration_seconds} value={elapsed}>
              {Math.round((elapsed / run.duration_seconds) * 100)} %
            </progress>{" "}
            <span className="status-line">
              {formatNumber(Math.round(elapsed))} of {formatNumber(run.duration_seconds)} s
            </span>
          </div>
          <div className="button-row">
            <button type="button" className="button" onClick={cancel}>
              Cancel load test
            </button>
          </div>
          {cancelError ? <ErrorMessage title="Could not cancel the load test." error={cancelError} /> : null}
        </>
      ) : null}
      {summary ? (
        <div className="table-wrap">
          <table className="data data--compact" data-testid="run-figures">
            <caption>{active ? "Figures so far" : "Figures of the run"}</caption>
            <tbody>
              <tr>
                <th scope="row">Throughput</th>
                <td>{formatNumber(summary.megabytes_per_second)} MB/s</td>
              </tr>
              <tr>
                <th scope="row">Downloads per second</th>
                <td>{formatNumber(summary.downloads_per_second)}</td>
              </tr>
              <tr>
                <th scope="row">Correct downloads (status 200, expected size)</th>
                <td>{formatNumber(summary.downloads)}</td>
              </tr>
              <tr>
                <th scope="row">Errors</th>
                <td>
                  {formatNumber(summary.errors)}
                  {Object.entries(summary.error_kinds).length
                    ? ` (${Object.entries(summary.error_kinds)
                        .map(([kind, n]) => `${kind}: ${formatNumber(n)}`)
                        .join(", ")})`
                    : ""}
                </td>
              </tr>
              <tr>
                <th scope="row">Mean latency</th>
                <td>{latency(summary.latency_ms.mean)}</td>
              </tr>
              <tr>
                <th scope="row">Median latency</th>
                <td>{latency(summary.latency_ms.p50)}</td>
              </tr>
              <tr>
                <th scope="row">90th percentile</th>
                <td>{latency(summary.latency_ms.p90)}</td>
              </tr>
              <tr>
                <th scope="row">99th percentile</th>
                <td>{latency(summary.latency_ms.p99)}</td>
              </tr>
              <tr>
                <th scope="row">Fastest and slowest</th>
                <td>
                  {latency(summary.latency_ms.min)} and {latency(summary.latency_ms.max)}
                </td>
              </tr>
              <tr>
                <th scope="row">Tokens renewed (budget used up)</th>
                <td>{formatNumber(summary.token_renewals)}</td>
              </tr>
            </tbody>
          </table>
        </div>
      ) : null}
      {!active && summary ? (
        <div className="chart-grid">
          <Histogram title="Latency histogram" buckets={run.histogram ?? []} />
          <LineChart title="Throughput over the run" unit="per second" series={throughputSeries(run)} gapText="none" />
        </div>
      ) : null}
    </section>
  );
}

// ------------------------------------------------------------------ past runs, comparison

function PastRuns({
  runs,
  selected,
  onSelect,
  onShow,
  onCompare,
}: {
  runs: LoadTestRun[];
  selected: string[];
  onSelect: (ids: string[]) => void;
  onShow: (id: string) => void;
  onCompare: () => void;
}) {
  if (!runs.length) {
    return (
      <section aria-labelledby="past-heading">
        <h2 id="past-heading">Past load tests</h2>
        <p className="status-line">No load test has run yet.</p>
      </section>
    );
  }
  return (
    <section aria-labelledby="past-heading">
      <h2 id="past-heading">Past load tests</h2>
      <p className="hint">Tick two or more runs and compare them side by side.</p>
      <div className="table-wrap">
        <table className="data data--compact">
          <caption>Load tests, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Compare</th>
              <th scope="col">Started</th>
              <th scope="col">Status</th>
              <th scope="col">Clients</th>
              <th scope="col">Duration</th>
              <th scope="col">MB/s</th>
              <th scope="col">Median</th>
              <th scope="col">99th percentile</th>
              <th scope="col">Errors</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((run) => {
              const started = run.created_at ? logTime(run.created_at).slice(0, 19) : run.id;
              return (
                <tr key={run.id} data-run={run.id}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Compare the run started ${started}`}
                      checked={selected.includes(run.id)}
                      onChange={(e) => onSelect(e.target.checked ? [...selected, run.id] : selected.filter((id) => id !== run.id))}
                    />
                  </td>
                  <th scope="row">{started}</th>
                  <td>{STATUS_WORDS[run.status]}</td>
                  <td>{formatNumber(run.clients)}</td>
                  <td>{formatNumber(run.duration_seconds)} s</td>
                  <td>{run.summary ? formatNumber(run.summary.megabytes_per_second) : "—"}</td>
                  <td>{latency(run.summary?.latency_ms.p50)}</td>
                  <td>{latency(run.summary?.latency_ms.p99)}</td>
                  <td>{run.summary ? formatNumber(run.summary.errors) : "—"}</td>
                  <td>
                    <button type="button" className="button button--small" onClick={() => onShow(run.id)}>
                      Show<span className="visually-hidden"> the run started {started}</span>
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <div className="button-row">
        <button type="button" className="button" disabled={selected.length < 2} onClick={onCompare}>
          Compare selected runs ({selected.length})
        </button>
      </div>
    </section>
  );
}

function Comparison({ ids }: { ids: string[] }) {
  const api = useApi();
  const announce = useAnnounce();
  const state = useAsync(
    (signal) => Promise.all(ids.map((id) => getLoadTest(api, id, signal))),
    [ids.join(",")],
    (settled) => {
      if (settled.status === "ok") announce(`Comparing ${settled.data.length} load tests.`);
    },
  );
  if (state.status === "loading") return <Loading label="Loading the runs to compare…" />;
  if (state.status === "error") return <ErrorMessage title="Could not load the runs to compare." error={state.error} />;
  const runs = state.data;
  const names = runs.map((run, i) => `Run ${i + 1}, ${run.created_at ? logTime(run.created_at).slice(0, 19) : run.id}`);
  return (
    <section aria-labelledby="compare-heading">
      <h2 id="compare-heading">Side by side</h2>
      <div className="table-wrap">
        <table className="data data--compact" data-testid="comparison">
          <caption>The selected load tests, figure by figure</caption>
          <thead>
            <tr>
              <th scope="col">Figure</th>
              {names.map((name) => (
                <th scope="col" key={name}>
                  {name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {compareRows(runs).map((row) => (
              <tr key={row.label}>
                <th scope="row">{row.label}</th>
                {row.values.map((value, i) => (
                  <td key={names[i]}>{value}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="chart-grid">
        {runs.map((run, i) => (
          <Histogram key={run.id} title={`Latency histogram, ${names[i]}`} buckets={run.histogram ?? []} />
        ))}
      </div>
    </section>
  );
}
