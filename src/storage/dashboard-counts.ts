import { sql } from "drizzle-orm";
import { DUE_MESSAGE_STATES } from "../domain/message-states";
import type { Db } from "./db";
import { eachLane } from "./due-lanes";
import { int, readOne, rowSchema } from "./rows";
import { isSmallTenant, TENANT_TASKS } from "./tenant-size";

const Counts = rowSchema({
  tasks_polling: int,
  subscriptions_active: int,
  subscriptions_delivered: int,
  subscriptions_failed: int,
  messages_retrying: int,
});

import { messageIn } from "./message-sql";

/**
 * Counts stop here: past it the dashboard shows "10,000+". Each count walks a partial index, so a
 * refresh reads at most this many index entries per count, whatever the tables hold.
 */
export const COUNT_CAP = 10_000;

export interface DashboardCounts {
  tasksPolling: number;
  subscriptionsActive: number;
  subscriptionsDelivered: number;
  subscriptionsFailed: number;
  messagesRetrying: number;
}

/**
 * The dashboard's counts by state, in one round trip (and, for one tenant, the size check before
 * it). Every count is over partial indexes that hold exactly the rows counted (the tasks' two due
 * lanes, `subscriptions_<status>`, `messages_due`), capped; a small tenant's over its own tasks
 * and what hangs from them instead (storage/tenant-size.ts).
 */
export async function loadDashboardCounts(db: Db, tenant?: string): Promise<DashboardCounts> {
  const cap = COUNT_CAP + 1;
  const own = tenant !== undefined && (await isSmallTenant(db, tenant));
  // A bigger tenant's counts walk the same partial indexes and skip other tenants' rows (`+` keeps
  // the term out of index selection), so one tenant's count reads at most the index's entries.
  const ofTenant = (alias: string) => (tenant === undefined ? sql`` : sql`AND +${sql.raw(alias)}.tenant_id = ${tenant}`);
  // The tenant's tasks drive each count (CROSS JOIN keeps them the outer loop): SQLite would
  // otherwise start from a status's partial index, every tenant's.
  const subscriptionsOwn = (status: "active" | "delivered" | "failed") =>
    sql`(SELECT count(*) FROM ${TENANT_TASKS} CROSS JOIN subscriptions s ON s.task_key = t.id
      WHERE t.tenant_id = ${tenant} AND s.tenant_id = ${tenant} AND s.status = ${sql.raw(`'${status}'`)})`;
  const counts = own
    ? sql`SELECT
    (SELECT count(*) FROM ${TENANT_TASKS} WHERE t.tenant_id = ${tenant} AND +t.next_poll_at IS NOT NULL) AS tasks_polling,
    ${subscriptionsOwn("active")} AS subscriptions_active,
    ${subscriptionsOwn("delivered")} AS subscriptions_delivered,
    ${subscriptionsOwn("failed")} AS subscriptions_failed,
    (SELECT count(*) FROM ${TENANT_TASKS} CROSS JOIN subscriptions s ON s.task_key = t.id CROSS JOIN messages m ON m.subscription_id = s.id
      WHERE t.tenant_id = ${tenant} AND s.tenant_id = ${tenant} AND +m.next_attempt_at IS NOT NULL AND ${messageIn("m.state", ...DUE_MESSAGE_STATES)} AND m.attempts > 0) AS messages_retrying`
    : sql`SELECT
    (SELECT count(*) FROM (${eachLane(
      sql` UNION ALL `,
      (due) => sql`SELECT * FROM (SELECT 1 FROM ${due.from} WHERE ${due.lane} AND next_poll_at IS NOT NULL ${ofTenant("t")} LIMIT ${cap})`,
      "t",
    )} LIMIT ${cap})) AS tasks_polling,
    (SELECT count(*) FROM (SELECT 1 FROM subscriptions s WHERE status = 'active' ${ofTenant("s")} LIMIT ${cap})) AS subscriptions_active,
    (SELECT count(*) FROM (SELECT 1 FROM subscriptions s WHERE status = 'delivered' ${ofTenant("s")} LIMIT ${cap})) AS subscriptions_delivered,
    (SELECT count(*) FROM (SELECT 1 FROM subscriptions s WHERE status = 'failed' ${ofTenant("s")} LIMIT ${cap})) AS subscriptions_failed,
    -- A scheduled or leased message that has been attempted is retrying. Every one has a due time,
    -- so the count walks messages_due, whose WHERE the first term names.
    (SELECT count(*) FROM (SELECT 1 FROM messages m ${tenant === undefined ? sql`` : sql`JOIN subscriptions s ON s.id = m.subscription_id`}
      WHERE m.next_attempt_at IS NOT NULL AND ${messageIn("m.state", ...DUE_MESSAGE_STATES)} AND m.attempts > 0 ${ofTenant("s")} LIMIT ${cap})) AS messages_retrying`;
  const row = await readOne(db, Counts, "the dashboard's counts", counts);
  return {
    tasksPolling: row?.tasks_polling ?? 0,
    subscriptionsActive: row?.subscriptions_active ?? 0,
    subscriptionsDelivered: row?.subscriptions_delivered ?? 0,
    subscriptionsFailed: row?.subscriptions_failed ?? 0,
    messagesRetrying: row?.messages_retrying ?? 0,
  };
}
