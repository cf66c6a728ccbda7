import { sql } from "drizzle-orm";
import type { Db } from "./db";
import { FIRST_ATTEMPT_INLINE_MS } from "./first-attempt";
import { int, intOrNull, readAll, rowSchema, text } from "./rows";

/** The window the dashboard's endpoint figures cover. */
export const STATS_WINDOW_MS = 24 * 3_600_000;

/**
 * At most this many of an endpoint's newest logged attempts, and of its newest messages (whose
 * first attempts may be kept in their rows), count: a busy endpoint's figures read bounded slices
 * of `delivery_attempts_endpoint` and `messages_endpoint_created`, not a day of a hot receiver.
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
 * their count, their 2xx answers, and the p50 and p95 of their durations. An attempt is logged in
 * `delivery_attempts` or, a first one that delivered soon after its message was created, kept in
 * the message's row (storage/first-attempt.ts); the statement reads both, each a bounded range of
 * one index. The logged ones count from the later of 24 h ago and the time of the endpoint's
 * STATS_MAX_ATTEMPTS-th newest logged attempt (an OFFSET walk of `delivery_attempts_endpoint`
 * only); the kept ones from then too, among the messages created since the later of
 * FIRST_ATTEMPT_INLINE_MS before that and the creation of its STATS_MAX_ATTEMPTS-th newest message
 * (the same walk of `messages_endpoint_created`). Below that many of either in the day, every
 * attempt of the day counts. The percentiles rank the counted durations per endpoint (a sort of at
 * most twice that many rows each) and take the first duration whose rank reaches the share
 * (nearest rank: `rank * 100 >= total * p`, SQLite having no ceil() everywhere).
 * Endpoints without attempts in the window are absent from the map.
 */
export async function loadEndpointStats(db: Db, endpointIds: readonly string[], now: number): Promise<Map<string, EndpointStats>> {
  if (endpointIds.length === 0) return new Map();
  const since = now - STATS_WINDOW_MS;
  const rows = await readAll(
    db,
    StatsRow,
    "the endpoints' attempts of the last 24 h",
    sql`WITH page AS MATERIALIZED (
      SELECT p.value AS endpoint_id,
        coalesce((SELECT b.attempted_at FROM delivery_attempts b WHERE b.endpoint_id = p.value AND b.attempted_at >= ${since}
          ORDER BY b.attempted_at DESC LIMIT 1 OFFSET ${STATS_MAX_ATTEMPTS - 1}), ${since}) AS since
      FROM json_each(${JSON.stringify(endpointIds)}) p
    ), created AS MATERIALIZED (
      SELECT page.endpoint_id, page.since,
        coalesce((SELECT c.created_at FROM messages c WHERE c.endpoint_id = page.endpoint_id AND c.created_at >= page.since - ${FIRST_ATTEMPT_INLINE_MS}
          ORDER BY c.created_at DESC LIMIT 1 OFFSET ${STATS_MAX_ATTEMPTS - 1}), page.since - ${FIRST_ATTEMPT_INLINE_MS}) AS created_since
      FROM page
    )
    SELECT endpoint_id, max(total) AS attempts,
      sum(CASE WHEN status_code BETWEEN 200 AND 299 THEN 1 ELSE 0 END) AS succeeded,
      min(CASE WHEN rank * 100 >= total * 50 THEN duration_ms END) AS p50_ms,
      min(CASE WHEN rank * 100 >= total * 95 THEN duration_ms END) AS p95_ms
    FROM (
      SELECT u.endpoint_id, u.status_code, u.duration_ms,
        row_number() OVER (PARTITION BY u.endpoint_id ORDER BY u.duration_ms) AS rank,
        count(*) OVER (PARTITION BY u.endpoint_id) AS total
      FROM (
        SELECT a.endpoint_id, a.status_code, a.duration_ms
        FROM page JOIN delivery_attempts a ON a.endpoint_id = page.endpoint_id AND a.attempted_at >= page.since
        UNION ALL
        SELECT m.endpoint_id, m.first_attempt ->> 'status_code', m.first_attempt ->> 'duration_ms'
        FROM created JOIN messages m ON m.endpoint_id = created.endpoint_id AND m.created_at >= created.created_since
        WHERE m.first_attempt ->> 'attempted_at' >= created.since
      ) u
    )
    GROUP BY endpoint_id`,
  );
  return new Map(rows.map((r) => [r.endpoint_id, { attempts: r.attempts, succeeded: r.succeeded, p50Ms: r.p50_ms, p95Ms: r.p95_ms }]));
}
