import { useRef, useState } from "react";
import { Link } from "react-router";
import { getConfusionReport } from "../../api/endpoints";
import type { ConfusionArtifact, ConfusionReport } from "../../api/types";
import { useAnnounce } from "../../app/announcer";
import { Page } from "../../app/Page";
import { useApi } from "../../app/session";
import { useAsync } from "../../app/useAsync";
import { ErrorMessage, describeError } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import "../../styles/ops.css";

const PAGE_SIZE = 25;

/** Words for the name tricks the audit reports (docs/security/package-confusion.md). */
const TRICKS: Record<string, string> = {
  homoglyph: "look-alike characters",
  scope: "another owner",
  typo: "typo",
  delimiter: "separators",
  reorder: "reordered words",
  affix: "added word",
  case: "letter case",
};

function artifactLink(artifact: ConfusionArtifact) {
  return <Link to={`/artifacts/${artifact.type}/${encodeURIComponent(artifact.id)}`}>{artifact.name}</Link>;
}

function counts(artifact: ConfusionArtifact): string {
  const downloads = artifact.downloads.toLocaleString("en");
  const searches = artifact.search_appearances.toLocaleString("en");
  return `${downloads} ${artifact.downloads === 1 ? "download" : "downloads"}, ${searches} in searches`;
}

function summary(report: ConfusionReport): string {
  if (report.total === 0) return `No suspected look-alikes among ${report.artifacts_audited.toLocaleString("en")} artifacts.`;
  const first = report.offset + 1;
  const last = report.offset + report.items.length;
  return `Suspects ${first} to ${last} of ${report.total.toLocaleString("en")}, among ${report.artifacts_audited.toLocaleString("en")} artifacts audited.`;
}

/** The package-confusion audit (GET /audit/package-confusion): suspected impersonations. */
export function ConfusionPage() {
  const api = useApi();
  const announce = useAnnounce();
  const [offset, setOffset] = useState(0);
  const [generation, setGeneration] = useState(0);
  const heading = useRef<HTMLHeadingElement>(null);
  const state = useAsync(
    (signal) => getConfusionReport(api, offset, PAGE_SIZE, signal),
    [offset, generation],
    (settled) => {
      if (settled.status === "ok") announce(summary(settled.data));
      else if (settled.status === "error") announce(describeError("Could not run the audit.", settled.error), "assertive");
    },
  );

  function go(next: number) {
    setOffset(next);
    heading.current?.focus();
  }

  const report = state.data;
  return (
    <Page
      title="Look-alike artifacts"
      lead="Artifacts whose names imitate more popular ones (typos, look-alike characters, separators, added or reordered words, another owner), scored with their popularity and download traffic. Highest score first."
    >
      <div className="button-row">
        <button type="button" className="button" onClick={() => setGeneration((g) => g + 1)} disabled={state.status === "loading"}>
          Run the audit again
        </button>
        {report ? (
          <span className="status-line" id="confusion-computed">
            Computed <time dateTime={report.computed_at}>{new Date(report.computed_at).toLocaleString("en")}</time> in{" "}
            {report.compute_seconds.toFixed(2)} s; compared against the {report.popular_compared_against.toLocaleString("en")} most
            popular artifacts; listed from score {report.min_score}.
          </span>
        ) : null}
      </div>
      <section aria-labelledby="confusion-heading" aria-busy={state.status === "loading"}>
        <h2 id="confusion-heading" ref={heading} tabIndex={-1}>
          Suspects
        </h2>
        {state.status === "error" ? <ErrorMessage title="Could not run the audit." error={state.error} /> : null}
        {state.status === "loading" ? <Loading label="Running the audit…" /> : null}
        {report && report.total === 0 ? (
          <div className="alert alert--info" id="confusion-empty">
            <p>{summary(report)}</p>
          </div>
        ) : null}
        {report && report.items.length > 0 ? (
          <>
            <p className="status-line" id="confusion-summary">
              {summary(report)}
            </p>
            <div className="table-wrap">
              <table className="data" aria-describedby="confusion-summary">
                <caption className="visually-hidden">Suspected look-alikes, highest score first</caption>
                <thead>
                  <tr>
                    <th scope="col">Score</th>
                    <th scope="col">Suspect</th>
                    <th scope="col">Imitates</th>
                    <th scope="col">Trick</th>
                    <th scope="col">Reasons</th>
                  </tr>
                </thead>
                <tbody>
                  {report.items.map((item) => (
                    <tr key={item.artifact.id}>
                      <td className="nowrap">{item.score.toFixed(2)}</td>
                      <th scope="row">
                        {artifactLink(item.artifact)}
                        <br />
                        <span className="hint">
                          {item.artifact.type} · {counts(item.artifact)}
                        </span>
                      </th>
                      <td>
                        {artifactLink(item.imitates)}
                        <br />
                        <span className="hint">{counts(item.imitates)}</span>
                      </td>
                      <td>{TRICKS[item.signals.name.kind] ?? item.signals.name.kind}</td>
                      <td>
                        <ul className="reasons">
                          {item.reasons.map((reason) => (
                            <li key={reason}>{reason}</li>
                          ))}
                        </ul>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <nav className="button-row" aria-label="Pages of suspects">
              <button type="button" className="button" disabled={report.offset === 0} onClick={() => go(Math.max(0, report.offset - PAGE_SIZE))}>
                Previous page
              </button>
              <button type="button" className="button" disabled={report.next_offset === null} onClick={() => go(report.next_offset ?? 0)}>
                Next page
              </button>
            </nav>
          </>
        ) : null}
      </section>
    </Page>
  );
}
