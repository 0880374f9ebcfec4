import { getRating } from "../../api/endpoints";
import type { ApiError } from "../../api/errors";
import type { ModelRating } from "../../api/types";
import { useAnnounce } from "../../app/announcer";
import { useApi } from "../../app/session";
import { useAsync } from "../../app/useAsync";
import { ErrorMessage, describeError } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import { formatScore, formatSeconds, ratingRows, type RatingRow } from "./format";
import { Section } from "./Section";

/** GET /artifact/model/{id}/rate: every sub-score as a bar chart, with a table of the same numbers. */
export function RatingSection({ id, name }: { id: string; name: string }) {
  const api = useApi();
  const announce = useAnnounce();
  const rating = useAsync(
    (signal) => getRating(api, id, signal),
    [id],
    (settled) => {
      if (settled.status === "error" && !isPending(settled.error)) {
        announce(describeError("Could not load the rating.", settled.error), "assertive");
      }
    },
  );
  return (
    <Section id="rating" title="Rating" busy={rating.status === "loading"}>
      {rating.status === "loading" ? <Loading label="Loading the rating…" /> : null}
      {rating.status === "error" ? <RatingProblem error={rating.error} /> : null}
      {rating.status === "ok" ? <RatingView rating={rating.data} name={name} /> : null}
    </Section>
  );
}

/** 404 on /rate for a model that exists: the rating is still being computed. */
function isPending(error: ApiError): boolean {
  return error.status === 404;
}

function RatingProblem({ error }: { error: ApiError }) {
  if (isPending(error)) {
    return (
      <div className="alert alert--info" id="rating-pending">
        <p>
          <strong>Not rated yet.</strong> The registry is still computing this model's rating (or it could not finish);
          reload the page in a minute. The registry said: {error.message}
        </p>
      </div>
    );
  }
  if (error.status === 500) {
    return <ErrorMessage error={error} title="The rating could not be computed." />;
  }
  return <ErrorMessage error={error} title="Could not load the rating." />;
}

const CHART = { width: 720, labelWidth: 190, barWidth: 320, rowHeight: 30, top: 34, valueGap: 8 };

function RatingView({ rating, name }: { rating: ModelRating; name: string }) {
  const rows = ratingRows(rating);
  const scored = rows.filter((r) => r.key !== "net_score" && r.value !== null);
  const lowest = scored.reduce<RatingRow | null>((low, r) => (low === null || (r.value ?? 1) < (low.value ?? 1) ? r : low), null);
  const notApplicable = rows.filter((r) => r.value === null).map((r) => `${r.label} ${r.note?.toLowerCase() ?? "not applicable"}`);
  const summary =
    `Rating of ${name}: net score ${formatScore(rows[0]!.value)} out of 1.` +
    (lowest ? ` Lowest sub-score: ${lowest.label} ${formatScore(lowest.value)}.` : "") +
    (notApplicable.length ? ` ${notApplicable.join("; ")}.` : "") +
    " The table below has every score and latency.";
  const height = CHART.top + rows.length * CHART.rowHeight + 8;
  const x0 = CHART.labelWidth + 10;
  const scale = (v: number) => x0 + v * CHART.barWidth;
  return (
    <>
      <p className="status-line">
        Scores run from 0 (worst) to 1 (best); the ingest gate asks for at least 0.5. Latency is how long the registry
        took to compute each score.
      </p>
      <div className="chart-wrap">
        <svg
          className="chart"
          viewBox={`0 0 ${CHART.width} ${height}`}
          role="img"
          aria-label={summary}
          preserveAspectRatio="xMinYMin meet"
        >
          <g aria-hidden="true">
            {[0, 0.25, 0.5, 0.75, 1].map((tick) => (
              <g key={tick}>
                <line
                  className={tick === 0.5 ? "chart__threshold" : "chart__grid"}
                  x1={scale(tick)}
                  x2={scale(tick)}
                  y1={CHART.top - 6}
                  y2={height - 8}
                />
                <text className="chart__tick" x={scale(tick)} y={CHART.top - 12} textAnchor="middle">
                  {tick === 0.5 ? "0.5 gate" : tick}
                </text>
              </g>
            ))}
            <text className="chart__tick" x={CHART.width - 4} y={CHART.top - 12} textAnchor="end">
              latency
            </text>
            {rows.map((row, i) => {
              const y = CHART.top + i * CHART.rowHeight;
              const mid = y + CHART.rowHeight / 2;
              return (
                <g key={row.key} className={row.key === "net_score" ? "chart__row chart__row--net" : "chart__row"}>
                  <text className="chart__label" x={CHART.labelWidth} y={mid} dominantBaseline="middle" textAnchor="end">
                    {row.label}
                  </text>
                  {row.value === null ? (
                    <>
                      <rect className="chart__na" x={x0} y={y + 6} width={CHART.barWidth} height={CHART.rowHeight - 12} />
                      <text className="chart__na-text" x={x0 + 8} y={mid} dominantBaseline="middle">
                        {row.note ? `${row.note.split(":")[0]}` : "not applicable"}
                      </text>
                    </>
                  ) : (
                    <>
                      <rect
                        className={row.value < 0.5 ? "chart__bar chart__bar--low" : "chart__bar"}
                        x={x0}
                        y={y + 6}
                        width={Math.max(1, row.value * CHART.barWidth)}
                        height={CHART.rowHeight - 12}
                      />
                      <text
                        className="chart__value"
                        x={scale(row.value) + CHART.valueGap}
                        y={mid}
                        dominantBaseline="middle"
                      >
                        {formatScore(row.value)}
                        {row.value < 0.5 ? " (below 0.5)" : ""}
                      </text>
                    </>
                  )}
                  <text className="chart__latency" x={CHART.width - 4} y={mid} dominantBaseline="middle" textAnchor="end">
                    {formatSeconds(row.latency)}
                  </text>
                </g>
              );
            })}
          </g>
        </svg>
      </div>
      <details className="table-toggle">
        <summary>Show the rating as a table</summary>
        <div className="table-wrap">
          <table className="data" id="rating-table">
            <caption>Rating of {name}: every sub-score and the time it took</caption>
            <thead>
              <tr>
                <th scope="col">Metric</th>
                <th scope="col">Score (0–1)</th>
                <th scope="col">Latency</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.key}>
                  <th scope="row">{row.label}</th>
                  <td>
                    {row.value === null ? (row.note ?? "not applicable") : formatScore(row.value)}
                    {row.value !== null && row.value < 0.5 ? " (below the 0.5 gate)" : ""}
                  </td>
                  <td>{formatSeconds(row.latency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </>
  );
}
