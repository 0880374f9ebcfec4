import { useId, useState } from "react";
import type { HistogramBucket } from "../api/loadtests";
import { formatNumber, niceScale } from "../pages/ops/logic";
import { bucketLabel, histogramSummary, percentOf } from "../pages/ops/loadtest";

const WIDTH = 640;
const HEIGHT = 220;
const PAD = { top: 12, right: 16, bottom: 40, left: 52 };

/**
 * A latency histogram: SVG bars with role="img" and the distribution in a sentence as its
 * label, and the same counts as a table behind a "Show as table" toggle (the table is the
 * alternative for anyone who cannot read the bars).
 */
export function Histogram({ title, buckets }: { title: string; buckets: HistogramBucket[] }) {
  const id = useId();
  const [asTable, setAsTable] = useState(false);
  const total = buckets.reduce((sum, b) => sum + b.count, 0);
  const scale = niceScale(buckets.map((b) => b.count));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const barW = buckets.length ? plotW / buckets.length : plotW;
  const y = (v: number) => PAD.top + plotH - (v / scale.max) * plotH;
  // Label a few bucket edges only: at most 6, evenly spread.
  const every = Math.max(1, Math.ceil(buckets.length / 6));

  return (
    <section className="chart" aria-labelledby={`${id}-title`}>
      <div className="chart__header">
        <h3 id={`${id}-title`}>{title}</h3>
        <button type="button" className="button button--small" aria-pressed={asTable} onClick={() => setAsTable(!asTable)}>
          {asTable ? "Show as chart" : "Show as table"}
          <span className="visually-hidden">: {title}</span>
        </button>
      </div>
      {asTable ? (
        <div className="table-wrap table-wrap--tall" tabIndex={0} role="region" aria-label={`${title}: table, scrolls`}>
          <table className="data data--compact">
            <caption>{title}: downloads per latency range</caption>
            <thead>
              <tr>
                <th scope="col">Latency</th>
                <th scope="col">Downloads</th>
                <th scope="col">Share</th>
              </tr>
            </thead>
            <tbody>
              {buckets.map((bucket) => (
                <tr key={bucket.low_ms}>
                  <th scope="row">{bucketLabel(bucket)}</th>
                  <td>{formatNumber(bucket.count)}</td>
                  <td>{percentOf(bucket.count, total)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <svg className="chart__svg" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${title}. ${histogramSummary(buckets)}`}>
          {scale.ticks.map((tick) => (
            <g key={tick}>
              <line className="chart__grid" x1={PAD.left} x2={WIDTH - PAD.right} y1={y(tick)} y2={y(tick)} />
              <text className="chart__tick" x={PAD.left - 6} y={y(tick) + 4} textAnchor="end">
                {formatNumber(tick)}
              </text>
            </g>
          ))}
          {buckets.map((bucket, index) => (
            <g key={bucket.low_ms}>
              <rect
                className="histogram__bar"
                x={PAD.left + index * barW + 1}
                y={y(bucket.count)}
                width={Math.max(1, barW - 2)}
                height={Math.max(0, PAD.top + plotH - y(bucket.count))}
              />
              {index % every === 0 ? (
                <text className="chart__tick" x={PAD.left + index * barW} y={HEIGHT - 24} textAnchor="start">
                  {bucketLabel(bucket).split(" to ")[0]}
                </text>
              ) : null}
            </g>
          ))}
          <line className="chart__axis" x1={PAD.left} x2={WIDTH - PAD.right} y1={y(0)} y2={y(0)} />
          <text className="chart__tick" x={PAD.left + plotW / 2} y={HEIGHT - 6} textAnchor="middle">
            latency (lower edge of each bar); height: downloads
          </text>
        </svg>
      )}
    </section>
  );
}
