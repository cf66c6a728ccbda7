import { type SQL, sql } from "drizzle-orm";
import type { LeaseToken } from "../domain/ids";
import { type Db, statement } from "./db";

/**
 * Task leases (`task_leases`, one row per claim): who polls which tasks now.
 *
 * Why a row per claim rather than a lease in each task's row: D1 bills every row and index entry
 * written, and most polls find the same status again. A lease in the task row cost its row and its
 * `tasks_due` entry at the claim (the due time moved to the lease's end, so other claimers skip it),
 * then both again at the record: 4 rows. Here a claim writes one row for all its tasks (the table is
 * WITHOUT ROWID: its primary key is the row), the tasks stay as they are, and the record alone moves
 * the due time: 2 rows a poll, plus 2 a claim (its row, then its deletion once all is recorded), so
 * never more than before even for a claim of one task. In exchange, held tasks stay due: a claim walks past those someone
 * holds and reads the keys of every live lease to leave them out (in a tick, mostly its own earlier
 * claims not yet recorded). D1 bills a thousand rows read for one written: docs/performance.md,
 * table 2, has both.
 *
 * The rules, which make every write after a claim safe without trusting clocks:
 * - a claim first deletes every lease whose time is up (`ends_at`), then takes only tasks no
 *   remaining lease holds, in the same transaction (`endLeases`, `holdTasks`);
 * - a write on behalf of a claim checks that its task is still in one of its token's rows
 *   (`heldUnder`): a holder whose lease ran out and was taken over finds its tasks gone;
 * - a recorded or released task leaves its lease (`leaveLease`), so it can be claimed again when
 *   it is next due, and a lease with nothing left is deleted.
 */

/** The keys every live lease holds, as a SQL set for `IN` (a claim deletes the ended ones first). */
export const heldKeys: SQL = sql`(SELECT k.value FROM task_leases l, json_each(l.task_keys) k)`;

/** The keys held by leases that have not ended at `now`, for readers that delete nothing (next-due, callbacks). */
export const heldKeysAt = (now: number): SQL => sql`(SELECT k.value FROM task_leases l, json_each(l.task_keys) k WHERE l.ends_at > ${now})`;

/** The keys held under `token`, as a SQL set for `IN`: what a write after a claim checks. */
export const heldUnder = (token: LeaseToken): SQL =>
  sql`(SELECT k.value FROM task_leases l, json_each(l.task_keys) k WHERE l.token = ${token})`;

/** One claim: the holder's token, this claim's own id, and when its time is up. */
export interface ClaimLease {
  token: LeaseToken;
  claim: string;
  endsAt: number;
}

/** A fresh id for one claim of a holder. */
export const newClaimId = () => crypto.randomUUID();

/**
 * Deletes the leases whose time is up at `now`: the first statement of every claim's batch, so
 * that what it then takes (leaving out `heldKeys`) is held by no one else, and a holder that died
 * loses its tasks to it.
 */
export const endLeases = (db: Db, now: number) => statement(db, sql`DELETE FROM task_leases WHERE ends_at <= ${now}`);

/**
 * Holds the task ids `candidates` selects (a SELECT of `id` that leaves out `heldKeys`, run after
 * `endLeases` in the same batch) under `lease`; `claimedKeys(lease)` then names what it took.
 */
export const holdTasks = (db: Db, lease: ClaimLease, candidates: SQL) =>
  statement(
    db,
    sql`INSERT INTO task_leases (token, claim, ends_at, task_keys)
    SELECT ${lease.token}, ${lease.claim}, ${lease.endsAt}, json_group_array(c.id) FROM (${candidates}) AS c HAVING count(*) > 0`,
  );

/** The keys one claim took, as a SQL set for `IN`. */
export const claimedKeys = (lease: ClaimLease): SQL =>
  sql`(SELECT k.value FROM task_leases l, json_each(l.task_keys) k WHERE l.token = ${lease.token} AND l.claim = ${lease.claim})`;

/**
 * The statements that let `keys` (a JSON array of task keys) go from the leases of `token`: a row
 * left with none of its keys is deleted (one row written: most claims are recorded in one round),
 * and a row that keeps some is rewritten without the others.
 */
export function leaveLease(db: Db, token: LeaseToken, keys: string): D1PreparedStatement[] {
  const leaving = sql`(SELECT value FROM json_each(${keys}))`;
  return [
    statement(
      db,
      sql`DELETE FROM task_leases WHERE token = ${token}
        AND NOT EXISTS (SELECT 1 FROM json_each(task_leases.task_keys) k WHERE k.value NOT IN ${leaving})`,
    ),
    statement(
      db,
      sql`UPDATE task_leases SET task_keys = (SELECT json_group_array(k.value) FROM json_each(task_leases.task_keys) k WHERE k.value NOT IN ${leaving})
      WHERE token = ${token} AND EXISTS (SELECT 1 FROM json_each(task_leases.task_keys) k WHERE k.value IN ${leaving})`,
    ),
  ];
}
