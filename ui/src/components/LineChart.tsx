import { useId, useState } from "react";
import {
  clockTime,
  formatNumber,
  linePath,
  niceScale,
  serviceIndex,
  summarizeSeries,
  type Series,
} from "../pages/ops/logic";

interface LineChartProps {
  /** The chart's heading (h3) and the table's caption. */
  title: string;
  /** Unit words for the summary and table, e.g. "requests per minute". */
  unit: string;
  series: Series[];
  /** What an empty bucket means in the table, e.g. "no requests". */
  gapText?: string;
}

const WIDTH = 640;
const HEIGHT = 220;
const PAD = { top: 12, right: 16, bottom: 28, left: 52 };
const DASHES = ["", "6 3", "2 3", "8 3 2 3", "1 2", "10 4", "4 2 1 2", "3 3"];

/**
 * A time-series chart of a few lines (one per service): SVG with role="img" and a summary in
 * its label, a legend naming each line by colour *and* dash pattern, and the same numbers as
 * a table behind a "Show as table" toggle.
 */
export function LineChart({ title, unit, series, gapText = "no data" }: LineChartProps) {
  const id = useId();
  const [asTable, setAsTable] = useState(false);
  const times = series[0]?.points.map((p) => p.t) ?? [];
  const values = series.flatMap((s) => s.points.map((p) => p.v));
  const scale = niceScale(values);
  const t0 = times[0] ?? 0;
  const t1 = times[times.length - 1] ?? t0 + 1;
  const span = Math.max(1, t1 - t0);
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (t: number) => PAD.left + ((t - t0) / span) * plotW;
  const y = (v: number) => PAD.top + plotH - (v / scale.max) * plotH;
  const xTicks = times.length > 1 ? [t0, t0 + span / 2, t1] : times;

  const summaries = series.map((s) => ({ series: s, ...summarizeSeries(s) }));
  const measured = summaries.filter((s) => s.peak !== null);
  const busiest = [...measured].sort((a, b) => (b.peak ?? 0) - (a.peak ?? 0))[0];
  const label =
    `${title}, ${times.length ? `${clockTime(new Date(t0))} to ${clockTime(new Date(t1))}` : "no buckets"}. ` +
    (measured.length
      ? `Highest: ${busiest!.series.label} at ${formatNumber(busiest!.peak ?? 0)} ${unit}. ` +
        summaries
          .map((s) => `${s.series.label} latest ${s.latest === null ? gapText : `${formatNumber(s.latest)}`}`)
          .join("; ") +
        "."
      : `No data in this window.`);

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
            <caption>
              {title} ({unit}), per bucket
            </caption>
            <thead>
              <tr>
                <th scope="col">Bucket start</th>
                {series.map((s) => (
                  <th scope="col" key={s.id}>
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {times.map((t, row) => (
                <tr key={t}>
                  <th scope="row">{clockTime(new Date(t))}</th>
                  {series.map((s) => {
                    const v = s.points[row]?.v ?? null;
                    return <td key={s.id}>{v === null ? <span className="muted">{gapText}</span> : formatNumber(v)}</td>;
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <>
          <svg className="chart__svg" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={label}>
            {scale.ticks.map((tick) => (
              <g key={tick}>
                <line className="chart__grid" x1={PAD.left} x2={WIDTH - PAD.right} y1={y(tick)} y2={y(tick)} />
                <text className="chart__tick" x={PAD.left - 6} y={y(tick) + 4} textAnchor="end">
                  {formatNumber(tick)}
                </text>
              </g>
            ))}
            {xTicks.map((t, i) => (
              <text
                key={`${t}-${i}`}
                className="chart__tick"
                x={x(t)}
                y={HEIGHT - 8}
                textAnchor={i === 0 ? "start" : i === xTicks.length - 1 ? "end" : "middle"}
              >
                {clockTime(new Date(t)).slice(0, 5)}
              </text>
            ))}
            <line className="chart__axis" x1={PAD.left} x2={WIDTH - PAD.right} y1={y(0)} y2={y(0)} />
            {series.map((s) => {
              const index = s.style ?? serviceIndex(s.id);
              const lone = s.points
                .map((p, i) => ({ p, i }))
                .filter(({ p, i }) => p.v !== null && s.points[i - 1]?.v == null && s.points[i + 1]?.v == null);
              return (
                <g key={s.id} className={`series series--${index}`}>
                  <path d={linePath(s.points, x, y)} strokeDasharray={DASHES[index % DASHES.length] || undefined} />
                  {lone.map(({ p }) => (
                    <circle key={p.t} cx={x(p.t)} cy={y(p.v ?? 0)} r={3} />
                  ))}
                </g>
              );
            })}
          </svg>
          <ul className="legend" aria-label={`${title}: legend`}>
            {summaries.map((s) => {
              const index = s.series.style ?? serviceIndex(s.series.id);
              return (
                <li key={s.series.id}>
                  <svg className={`legend__swatch series series--${index}`} viewBox="0 0 28 8" aria-hidden="true">
                    <path d="M1 4h26" strokeDasharray={DASHES[index % DASHES.length] || undefined} />
                  </svg>
                  {s.series.label}: {s.latest === null ? gapText : `${formatNumber(s.latest)} now`}
                  {s.peak !== null ? `, peak ${formatNumber(s.peak)}` : ""}
                </li>
              );
            })}
          </ul>
        </>
      )}
    </section>
  );
}
