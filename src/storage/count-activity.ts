import { sql } from "drizzle-orm";
import { type Db, statement } from "./db";

export const HOUR_MS = 3_600_000;

/** The hour bucket of an epoch-ms instant: the `activity_hourly` key. */
export const hourOf = (ms: number) => Math.floor(ms / HOUR_MS);

/** What a batch adds to its hour, counted by its caller from the batch's own results. */
export interface ActivityDelta {
  polls?: number;
  upstreamErrors?: number;
  deliveryAttempts?: number;
  delivered?: number;
}

/**
 * Adds a record batch's work to its hour, as one more statement of that batch (same transaction):
 * a primary-key upsert, one row read and written per batch of up to 50, so the chart costs a poll
 * about 1/50 of a row. The counts come from the batch's caller: a statement that counted rows of
 * the batch (say, those still leased) would read each of them again. (`WHERE true`: an upsert's
 * SELECT needs a WHERE, or SQLite reads its ON CONFLICT as a join's.)
 */
export const countActivity = (db: Db, now: number, delta: ActivityDelta): D1PreparedStatement =>
  countActivityOfHour(db, hourOf(now), delta);

/** `countActivity` for an hour bucket given (`hourOf`): what a prebuilt statement binds. */
export function countActivityOfHour(db: Db, hour: number, delta: ActivityDelta): D1PreparedStatement {
  const { polls = 0, upstreamErrors = 0, deliveryAttempts = 0, delivered = 0 } = delta;
  return statement(
    db,
    sql`INSERT INTO activity_hourly (hour, polls, upstream_errors, delivery_attempts, delivered)
    SELECT ${hour}, ${polls}, ${upstreamErrors}, ${deliveryAttempts}, ${delivered} WHERE true
    ON CONFLICT (hour) DO UPDATE SET
      polls = polls + excluded.polls,
      upstream_errors = upstream_errors + excluded.upstream_errors,
      delivery_attempts = delivery_attempts + excluded.delivery_attempts,
      delivered = delivered + excluded.delivered`,
  );
}
