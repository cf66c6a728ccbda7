import { sql } from "drizzle-orm";
import type { Db } from "./db";
import { int, intOrNull, readAll, rowSchema, text } from "./rows";

/** The window the dashboard's endpoint figures cover. */
export const STATS_WINDOW_MS = 24 * 3_600_000;

/**
 * At most this many of an endpoint's newest attempts in the window count: a busy endpoint's
 * figures read a bounded slice of `delivery_attempts_endpoint`, not a day of a hot receiver.
 */
export const STATS_MAX_ATTEMPTS = 10_000;

export interface EndpointStats {
  /** Attempts counted (at most about STATS_MAX_ATTEMPTS; ties at the cut may add a few). */
  attempts: number;
  /** Of those, answered with a 2xx. */
  succeeded: number;
  /** Nearest-rank percentiles of the attempts' durations; null without attempts. */
  p50Ms: number | null;
  p95Ms: number | null;
}

const StatsRow = rowSchema({ endpoint_id: text, attempts: int, succeeded: int, p50_ms: intOrNull, p95_ms: intOrNull });

/**
 * Each endpoint's attempts of the 24 h before `now`, in one statement for a page of endpoints:
 * their count, their 2xx answers, and the p50 and p95 of their durations. Each endpoint's newest
 * STATS_MAX_ATTEMPTS are found on `delivery_attempts_endpoint` (endpoint_id, attempted_at): the
 * time of the last of them (an OFFSET walk of that index only) is where its slice starts, so the
 * slice is a range of the index too. The percentiles rank the slice's durations per endpoint
 * (a sort of at most that many rows each) and take the first duration whose rank reaches the
 * share (nearest rank: `rank * 100 >= total * p`, SQLite having no ceil() everywhere).
 * Endpoints without attempts in the window are absent from the map.
 */
export async function loadEndpointStats(db: Db, endpointIds: readonly string[], now: number): Promise<Map<string, EndpointStats>> {
  if (endpointIds.length === 0) return new Map();
  const since = now - STATS_WINDOW_MS;
  const rows = await readAll(
    db,
    StatsRow,
    "the endpoints' attempts of the last 24 h",
    sql`SELECT endpoint_id, max(total) AS attempts,
      sum(CASE WHEN status_code BETWEEN 200 AND 299 THEN 1 ELSE 0 END) AS succeeded,
      min(CASE WHEN rank * 100 >= total * 50 THEN duration_ms END) AS p50_ms,
      min(CASE WHEN rank * 100 >= total * 95 THEN duration_ms END) AS p95_ms
    FROM (
      SELECT a.endpoint_id, a.status_code, a.duration_ms,
        row_number() OVER (PARTITION BY a.endpoint_id ORDER BY a.duration_ms) AS rank,
        count(*) OVER (PARTITION BY a.endpoint_id) AS total
      FROM (
        SELECT p.value AS endpoint_id,
          coalesce((SELECT b.attempted_at FROM delivery_attempts b WHERE b.endpoint_id = p.value AND b.attempted_at >= ${since}
            ORDER BY b.attempted_at DESC LIMIT 1 OFFSET ${STATS_MAX_ATTEMPTS - 1}), ${since}) AS since
        FROM json_each(${JSON.stringify(endpointIds)}) p
      ) page
      JOIN delivery_attempts a ON a.endpoint_id = page.endpoint_id AND a.attempted_at >= page.since
    )
    GROUP BY endpoint_id`,
  );
  return new Map(rows.map((r) => [r.endpoint_id, { attempts: r.attempts, succeeded: r.succeeded, p50Ms: r.p50_ms, p95Ms: r.p95_ms }]));
}
