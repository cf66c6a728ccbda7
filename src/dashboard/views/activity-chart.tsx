import type { FC } from "hono/jsx";
import type { ActivityHour } from "../../storage/activity-series";

const WIDTH = 480;
const HEIGHT = 120;
const AXIS = 18;

interface Series {
  title: string;
  /** The whole bar and the part of it drawn in the alert colour. */
  total: (h: ActivityHour) => number;
  part: (h: ActivityHour) => number;
  totalLabel: string;
  partLabel: string;
  partClass: string;
}

const hourLabel = (ms: number) => `${new Date(ms).toISOString().slice(11, 13)}:00`;

/** One bar chart of 24 hourly bars, drawn as SVG on the server: no script, no chart library. */
const BarChart: FC<{ hours: ActivityHour[]; series: Series }> = ({ hours, series }) => {
  const max = Math.max(1, ...hours.map(series.total));
  const slot = WIDTH / hours.length;
  const scale = (n: number) => (n / max) * (HEIGHT - AXIS - 4);
  const totals = hours.reduce((sum, h) => sum + series.total(h), 0);
  const parts = hours.reduce((sum, h) => sum + series.part(h), 0);
  return (
    <figure class="chart">
      <figcaption>
        {series.title}{" "}
        <span class="muted">
          24 h: {totals.toLocaleString("en-US")} {series.totalLabel}, {parts.toLocaleString("en-US")} {series.partLabel} · peak{" "}
          {max.toLocaleString("en-US")}/h
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${series.title}, last 24 hours`}>
        <line x1="0" y1={HEIGHT - AXIS} x2={WIDTH} y2={HEIGHT - AXIS} class="axis" />
        {hours.map((h, i) => {
          const total = scale(series.total(h));
          const part = scale(series.part(h));
          const x = i * slot + 1;
          return (
            <g>
              <title>{`${hourLabel(h.startsAt)} UTC: ${series.total(h)} ${series.totalLabel}, ${series.part(h)} ${series.partLabel}`}</title>
              <rect x={x} y={HEIGHT - AXIS - total} width={slot - 2} height={total} class="bar" />
              {part > 0 ? <rect x={x} y={HEIGHT - AXIS - part} width={slot - 2} height={part} class={series.partClass} /> : null}
              {i % 6 === 0 ? (
                <text x={x} y={HEIGHT - 4} class="tick">
                  {hourLabel(h.startsAt)}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
    </figure>
  );
};

const POLLS: Series = {
  title: "Upstream polls per hour",
  total: (h) => h.polls,
  part: (h) => h.upstreamErrors,
  totalLabel: "polls",
  partLabel: "upstream errors",
  partClass: "bar-bad",
};
const DELIVERIES: Series = {
  title: "Webhook attempts per hour",
  total: (h) => h.deliveryAttempts,
  part: (h) => h.deliveryAttempts - h.delivered,
  totalLabel: "attempts",
  partLabel: "failed",
  partClass: "bar-warn",
};

/** Polls (upstream errors in red) and webhook attempts (failed ones in orange), last 24 hours, UTC. */
export const ActivityChart: FC<{ hours: ActivityHour[] }> = ({ hours }) => (
  <section class="charts" id="activity" data-live aria-label="activity, last 24 hours">
    <BarChart hours={hours} series={POLLS} />
    <BarChart hours={hours} series={DELIVERIES} />
  </section>
);
