import { type SQL, sql } from "drizzle-orm";
import { PARKED_FROM } from "../domain/parked-time";
import { type Db, statement } from "./db";
import { eachLane } from "./due-lanes";

export { PARKED_FROM };

/**
 * Work of a tenant that is suspended or deleted waits ("parked") instead of being done.
 *
 * Why parking at claim time, far away, rather than filtering every claim or moving rows on
 * suspend: a claim walks the due indexes (the tasks' two lanes, `messages_due`,
 * `archive_files_due`) in order, so a filter would walk over the same suspended rows at every
 * claim of every tick. A suspend that moved its rows at once would need an index per tenant over due times (written on
 * every poll). Instead, a claim that meets a halted tenant's due row moves it out of the way, once:
 * to `parkedAt(tenant)`, past any real time (PARKED_FROM, in domain/parked-time.ts, is year 144,683) and the same for every
 * row of that tenant, so the row drops out of every claim and every next-due lookup and costs
 * nothing more while the suspension lasts. Attempts are not spent: a parked row was not worked on.
 * On resume, `unparkResumed` (each tick, bounded) finds them again by that one value, an equality
 * search of the same due indexes, and makes them due at once: they were due when parked.
 *
 * The value is PARKED_FROM + the tenant's `created_at`: stable across suspensions (a row parked by
 * an earlier suspension is found by the next resume too) and well apart per tenant; two tenants made
 * in the same millisecond share it, which costs only a row unparked and parked again.
 */

/** How many times one claim call goes on past rows it only parked, to fill its `limit` (see parking.ts). */
export const CLAIM_ROUNDS = 4;

/**
 * Runs `claimOnce` until it filled `limit` or found nothing more due: a round that met a halted
 * tenant's rows parked them (they are not work) and took fewer than it asked. Bounded by
 * CLAIM_ROUNDS, so a claim parks at most that many limits' worth of rows.
 */
export async function claimPastParked<T>(limit: number, claimOnce: (limit: number) => Promise<{ taken: T[]; parked: number }>) {
  const taken: T[] = [];
  for (let round = 0; round < CLAIM_ROUNDS && taken.length < limit; round++) {
    const once = await claimOnce(limit - taken.length);
    taken.push(...once.taken);
    if (once.parked === 0) break;
  }
  return taken;
}

/**
 * Whether the tenant `tenantId` (a SQL expression) is suspended, deleted or gone: its work waits.
 * Each use reads the tenant's row (and the message's subscription for `messageTenant`): a claim
 * computes it once per row, in its FROM, rather than in each column's CASE.
 */
export const tenantHalted = (tenantId: SQL): SQL =>
  sql`NOT EXISTS (SELECT 1 FROM tenants h WHERE h.id = ${tenantId} AND h.suspended_at IS NULL AND h.deleted_at IS NULL)`;

/**
 * The same as `tenantHalted`, for a statement over many rows: the live tenants are listed once per
 * statement, where `tenantHalted` reads each row's tenant (a row read more a row, as D1 counts).
 */
export const tenantHaltedOfMany = (tenantId: SQL): SQL =>
  sql`${tenantId} NOT IN (SELECT id FROM tenants WHERE suspended_at IS NULL AND deleted_at IS NULL)`;

/** Where a halted tenant's due rows are parked (see above); PARKED_FROM when the tenant row is gone. */
export const parkedAt = (tenantId: SQL): SQL =>
  sql`coalesce((SELECT ${PARKED_FROM} + p.created_at FROM tenants p WHERE p.id = ${tenantId}), ${PARKED_FROM})`;

/** The tenant of a message (`messages` row in scope as `messages`). */
export const messageTenant = sql`(SELECT s.tenant_id FROM subscriptions s WHERE s.id = messages.subscription_id)`;
/** The tenant of an archive file (`archive_files` row in scope as `archive_files`). */
export const archiveFileTenant = sql`(SELECT t.tenant_id FROM tasks t WHERE t.id = archive_files.task_key)`;

/**
 * Rows unparked per table per tick: three short batches of equality searches. A resumed tenant
 * with a large backlog goes on over a few ticks, in due order.
 */
export const UNPARK_BATCH = 1_000;

/**
 * The statements that make due at `now` up to UNPARK_BATCH parked tasks (of each due lane),
 * messages and archive files of each tenant that is neither suspended nor deleted (a resumed one),
 * one per table: one index lookup per tenant and index when nothing is parked (the relay has few
 * tenants). Run in the tick's upkeep batch (storage/tenant-upkeep.ts); their changes are the rows
 * unparked.
 */
export function unparkStatements(db: Db, now: number): D1PreparedStatement[] {
  const live = sql`(SELECT ${PARKED_FROM} + created_at FROM tenants WHERE suspended_at IS NULL AND deleted_at IS NULL)`;
  return [
    statement(
      db,
      sql`UPDATE tasks SET next_poll_at = ${now} WHERE id IN (${eachLane(
        sql` UNION ALL `,
        (due) =>
          sql`SELECT id FROM (SELECT id FROM ${due.from} WHERE ${due.lane} AND next_poll_at IN ${live} AND NOT ${tenantHalted(sql`tasks.tenant_id`)} LIMIT ${UNPARK_BATCH})`,
      )})`,
    ),
    statement(
      db,
      sql`UPDATE messages SET next_attempt_at = ${now} WHERE id IN
        (SELECT id FROM messages WHERE next_attempt_at IN ${live} AND NOT ${tenantHalted(messageTenant)} LIMIT ${UNPARK_BATCH})`,
    ),
    statement(
      db,
      sql`UPDATE archive_files SET next_attempt_at = ${now} WHERE id IN
        (SELECT id FROM archive_files WHERE next_attempt_at IN ${live} AND NOT ${tenantHalted(archiveFileTenant)} LIMIT ${UNPARK_BATCH})`,
    ),
  ];
}
