import { type SQL, sql } from "drizzle-orm";
import { type Db, statement } from "./db";

export const HOUR_MS = 3_600_000;

/** The hour bucket of an epoch-ms instant: the `activity_hourly` key. */
export const hourOf = (ms: number) => Math.floor(ms / HOUR_MS);

/** What a batch adds to its hour: numbers, or SQL aggregates over the batch's `from` rows. */
export interface ActivityDelta {
  polls?: number | SQL;
  upstreamErrors?: number | SQL;
  deliveryAttempts?: number | SQL;
  delivered?: number | SQL;
}

/**
 * Adds a record batch's work to its hour, as one more statement of that batch (same transaction):
 * a primary-key upsert, one row read and written per batch of up to 50, so the chart costs a poll
 * about 1/50 of a row. With `from` (a FROM … WHERE … tail: SQLite's upsert needs the WHERE), the
 * delta's SQL aggregates count only those rows, e.g. the results still held under a lease.
 */
export const countActivity = (db: Db, now: number, delta: ActivityDelta, from?: SQL): D1PreparedStatement =>
  countActivityOfHour(db, hourOf(now), delta, from);

/** `countActivity` for an hour bucket given (`hourOf`): what a prebuilt statement binds. */
export function countActivityOfHour(db: Db, hour: number, delta: ActivityDelta, from?: SQL): D1PreparedStatement {
  const { polls = 0, upstreamErrors = 0, deliveryAttempts = 0, delivered = 0 } = delta;
  return statement(
    db,
    sql`INSERT INTO activity_hourly (hour, polls, upstream_errors, delivery_attempts, delivered)
    SELECT ${hour}, ${polls}, ${upstreamErrors}, ${deliveryAttempts}, ${delivered} ${from ?? sql`WHERE true`}
    ON CONFLICT (hour) DO UPDATE SET
      polls = polls + excluded.polls,
      upstream_errors = upstream_errors + excluded.upstream_errors,
      delivery_attempts = delivery_attempts + excluded.delivery_attempts,
      delivered = delivered + excluded.delivered`,
  );
}
