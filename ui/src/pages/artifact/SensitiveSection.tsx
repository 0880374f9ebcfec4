import { useState, type FormEvent } from "react";
import { deleteMonitor, getDownloadHistory, getMonitor, putMonitor } from "../../api/endpoints";
import { asApiError, type ApiError } from "../../api/errors";
import type { DownloadAttempt, Monitor } from "../../api/types";
import { useAnnounce } from "../../app/announcer";
import { useApi, useSession } from "../../app/session";
import { useAsync } from "../../app/useAsync";
import { ErrorMessage, describeError } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import { formatUtc } from "./format";
import { Section } from "./Section";

const PAGE_SIZE = 20;
/** The registry's default bound (INGEST_MONITOR_MAX_PROGRAM_BYTES); it answers 413 beyond. */
const MAX_PROGRAM_BYTES = 64 * 1024;

export const VERDICT_WORDS: Record<DownloadAttempt["verdict"], string> = {
  allowed: "Allowed",
  refused: "Refused by the monitor",
  failed: "Refused: the monitor failed",
  timed_out: "Refused: the monitor timed out",
};

/** R18: the sensitive flag and the JavaScript monitor, with the program's last outcome. */
export function MonitorSection({ id, name }: { id: string; name: string }) {
  const api = useApi();
  const announce = useAnnounce();
  const [version, setVersion] = useState(0);
  const monitor = useAsync(
    (signal) => getMonitor(api, id, signal),
    [id, version],
    (settled) => {
      if (settled.status === "error") announce(describeError("Could not load the monitor.", settled.error), "assertive");
    },
  );
  return (
    <Section id="monitor" title="Sensitive model and monitor" busy={monitor.status === "loading"}>
      <p className="status-line">
        A sensitive model's monitor runs under Node.js 24 before every download, as{" "}
        <code>node monitor.js MODEL_NAME UPLOADER_USERNAME DOWNLOADER_USERNAME ZIP_FILE_PATH</code>: exit code 0
        lets the download through, any other refuses it and shows the program's output. Anyone signed in may
        change it; the audit trail records who did.
      </p>
      {monitor.status === "loading" ? <Loading label="Loading the monitor…" /> : null}
      {monitor.status === "error" ? <ErrorMessage error={monitor.error} title="Could not load the monitor." /> : null}
      {monitor.status === "ok" ? (
        <MonitorEditor key={version} id={id} name={name} monitor={monitor.data} onSaved={() => setVersion((v) => v + 1)} />
      ) : null}
    </Section>
  );
}

type SaveState = { status: "idle" } | { status: "saving" } | { status: "saved"; what: string } | { status: "error"; error: ApiError };

function MonitorEditor(props: { id: string; name: string; monitor: Monitor; onSaved: () => void }) {
  const { id, name, monitor, onSaved } = props;
  const api = useApi();
  const announce = useAnnounce();
  const [sensitive, setSensitive] = useState(monitor.sensitive);
  const [program, setProgram] = useState(monitor.program ?? "");
  const [state, setState] = useState<SaveState>({ status: "idle" });
  const bytes = new TextEncoder().encode(program).length;
  const tooLarge = bytes > MAX_PROGRAM_BYTES;

  async function run(what: string, call: () => Promise<Monitor>) {
    setState({ status: "saving" });
    try {
      await call();
      setState({ status: "saved", what });
      announce(what);
      onSaved();
    } catch (thrown) {
      const error = asApiError(thrown);
      setState({ status: "error", error });
      announce(describeError("Could not save the monitor.", error), "assertive");
    }
  }

  function save(event: FormEvent) {
    event.preventDefault();
    if (tooLarge) return;
    const body = { sensitive, program: program.trim() ? program : null };
    void run(`Saved: ${name} is ${sensitive ? "sensitive" : "not sensitive"}${body.program ? ", with a monitor" : ""}.`, () =>
      putMonitor(api, id, body),
    );
  }

  const saving = state.status === "saving";
  return (
    <>
      {state.status === "saved" ? (
        <div className="alert alert--success" id="monitor-saved">
          <p>{state.what}</p>
        </div>
      ) : null}
      <form className="monitor-form" onSubmit={save}>
        <div className="form-row">
          <label>
            <input
              type="checkbox"
              id="monitor-sensitive"
              checked={sensitive}
              onChange={(e) => setSensitive(e.target.checked)}
            />{" "}
            Sensitive: run the monitor before every download and record each download
          </label>
        </div>
        <div className="form-row">
          <label htmlFor="monitor-program">Monitor program (JavaScript)</label>
          <textarea
            id="monitor-program"
            className="code-input"
            rows={10}
            spellCheck={false}
            value={program}
            onChange={(e) => setProgram(e.target.value)}
            aria-invalid={tooLarge || undefined}
            aria-describedby={tooLarge ? "monitor-program-error monitor-program-hint" : "monitor-program-hint"}
          />
          <p className="hint" id="monitor-program-hint">
            Arguments in <code>process.argv[2]</code> to <code>[5]</code>; the zip path is relative to the working
            directory. Limits: 10 s, no secrets, none of the registry's files. Leave empty for no program. {bytes}{" "}
            of {MAX_PROGRAM_BYTES} bytes.
          </p>
          {tooLarge ? (
            <p className="field-error" id="monitor-program-error">
              The program is larger than {MAX_PROGRAM_BYTES} bytes; shorten it.
            </p>
          ) : null}
        </div>
        <div className="button-row">
          <button type="submit" className="button button--primary" disabled={saving || tooLarge}>
            {saving ? "Saving…" : "Save monitor"}
          </button>
          {monitor.program !== null ? (
            <button
              type="button"
              className="button"
              disabled={saving}
              onClick={() => void run(`Deleted the monitor program of ${name}.`, () => deleteMonitor(api, id))}
            >
              Delete program
            </button>
          ) : null}
        </div>
        <p className="status-line" id="monitor-changed">
          {monitor.updated_by && monitor.updated_at ? (
            <>
              Last changed by {monitor.updated_by} on <time dateTime={monitor.updated_at}>{formatUtc(monitor.updated_at)}</time>{" "}
              UTC.
            </>
          ) : (
            <>Never marked sensitive.</>
          )}
        </p>
      </form>
      {state.status === "error" ? <ErrorMessage error={state.error} title="Could not save the monitor." /> : null}
      {monitor.last_outcome ? <LastOutcome attempt={monitor.last_outcome} /> : null}
    </>
  );
}

function LastOutcome({ attempt }: { attempt: DownloadAttempt }) {
  return (
    <div id="monitor-last-outcome">
      <h3>Last outcome</h3>
      <dl className="facts">
        <dt>Verdict</dt>
        <dd>
          {VERDICT_WORDS[attempt.verdict]}
          {attempt.exit_code !== null ? ` (exit code ${attempt.exit_code})` : ""}
        </dd>
        <dt>When</dt>
        <dd>
          <time dateTime={attempt.date}>{formatUtc(attempt.date)}</time> UTC, {attempt.part} requested by {attempt.user}
        </dd>
        <dt>How it ended</dt>
        <dd>{attempt.message || "—"}</dd>
      </dl>
      {attempt.output ? (
        <>
          <p className="status-line">Its output:</p>
          <pre className="monitor-output" tabIndex={0} aria-label="Output of the last monitor run">
            {attempt.output}
          </pre>
        </>
      ) : null}
    </div>
  );
}

/** R19: who downloaded a sensitive model, when, which part, from where, and the verdict. */
export function DownloadHistorySection(props: {
  id: string;
  name: string;
  /** The model's uploader; undefined while the details are still loading. */
  uploader: string | null | undefined;
}) {
  const { id, name, uploader } = props;
  const api = useApi();
  const announce = useAnnounce();
  const { session, can } = useSession();
  const allowed = can("admin") || (typeof uploader === "string" && session?.user.name === uploader);
  const [offset, setOffset] = useState(0);
  const history = useAsync(
    (signal) => (allowed ? getDownloadHistory(api, id, offset, PAGE_SIZE, signal) : Promise.resolve(null)),
    [id, offset, allowed],
    (settled) => {
      if (settled.status === "error") {
        announce(describeError("Could not load the download history.", settled.error), "assertive");
      }
    },
  );
  if (!allowed && uploader === undefined) {
    return (
      <Section id="download-history" title="Download history" busy>
        <Loading label="Loading the download history…" />
      </Section>
    );
  }
  if (!allowed) {
    return (
      <Section id="download-history" title="Download history">
        <div className="alert alert--info" id="download-history-not-permitted">
          <p>Only the uploader of {name} and admins can see who downloaded it.</p>
        </div>
      </Section>
    );
  }
  const page = history.status === "ok" ? history.data : null;
  return (
    <Section id="download-history" title="Download history" busy={history.status === "loading"}>
      {history.status === "loading" ? <Loading label="Loading the download history…" /> : null}
      {history.status === "error" ? <ErrorMessage error={history.error} title="Could not load the download history." /> : null}
      {page && page.total === 0 ? (
        <div className="alert alert--info" id="download-history-empty">
          <p>No download of {name} has been recorded. Downloads are recorded while the model is sensitive.</p>
        </div>
      ) : null}
      {page && page.items.length > 0 ? (
        <>
          <p className="status-line">
            Newest first; times in UTC. Showing {page.offset + 1} to {page.offset + page.items.length} of {page.total}.
          </p>
          <div className="table-wrap">
            <table className="data" id="download-history-table">
              <caption className="visually-hidden">Download history of {name}</caption>
              <thead>
                <tr>
                  <th scope="col">When (UTC)</th>
                  <th scope="col">User</th>
                  <th scope="col">Part</th>
                  <th scope="col">From</th>
                  <th scope="col">Verdict</th>
                  <th scope="col">Monitor output</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((entry, i) => (
                  <tr key={`${entry.date}-${i}`} data-verdict={entry.verdict}>
                    <th scope="row">
                      <time dateTime={entry.date}>{formatUtc(entry.date)}</time>
                    </th>
                    <td>{entry.user}</td>
                    <td>{entry.part}</td>
                    <td>{entry.client ?? "unknown"}</td>
                    <td>
                      {VERDICT_WORDS[entry.verdict]}
                      {entry.monitored ? "" : " (no program)"}
                      {entry.exit_code !== null ? ` · exit ${entry.exit_code}` : ""}
                    </td>
                    <td className="monitor-output-cell">{entry.output || entry.message || "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {page.total > PAGE_SIZE ? (
            <nav aria-label="Pages of the download history" className="pagination">
              <button
                type="button"
                className="button"
                disabled={page.offset === 0}
                onClick={() => setOffset(Math.max(0, page.offset - PAGE_SIZE))}
              >
                Newer
              </button>
              <span aria-current="page">Page {Math.floor(page.offset / PAGE_SIZE) + 1}</span>
              <button
                type="button"
                className="button"
                disabled={page.next_offset === null}
                onClick={() => page.next_offset !== null && setOffset(page.next_offset)}
              >
                Older
              </button>
            </nav>
          ) : null}
        </>
      ) : null}
    </Section>
  );
}
