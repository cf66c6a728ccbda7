import { type SQL, sql } from "drizzle-orm";
import type { LeaseToken } from "../domain/ids";
import { type Db, statement } from "./db";

/**
 * Which ticks poll by themselves (`polling_ticks`). A tick alone selects its due tasks without
 * leasing them (2 rows written a same-status poll: its record); a tick that overlaps another leases
 * what it polls (4), so that the two never poll a task twice. Ticks overlap at the minute's turn
 * (the last polls of one, the first of the next), or when the cron is fired more often than a
 * tick lasts; alone is the rule.
 */

/**
 * This tick polls, by itself, until `until` (its lease horizon): one row, written once a tick, in
 * the batch that loads what the poll phase needs (`loadKindStats`' `alongside`).
 */
export function announcePolling(db: Db, token: LeaseToken, until: number): D1PreparedStatement {
  return statement(
    db,
    sql`INSERT INTO polling_ticks (token, until) VALUES (${token}, ${until})
    ON CONFLICT (token) DO UPDATE SET until = excluded.until`,
  );
}

/** This tick polls no more; rows of ticks that died (past their `until`) go too. */
export async function endPolling(db: Db, token: LeaseToken, now: number): Promise<void> {
  await db.run(sql`DELETE FROM polling_ticks WHERE token = ${token} OR until < ${now}`);
}

/** Whether a tick other than `token` polls at `now` (SQL, 1 or 0): a table of a few rows, read once a statement. */
export const othersPolling = (token: LeaseToken, now: number): SQL =>
  sql`EXISTS (SELECT 1 FROM polling_ticks WHERE until > ${now} AND token <> ${token})`;
