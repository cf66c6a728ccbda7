import { sql } from "drizzle-orm";
import { hourOf } from "./count-activity";
import { asJson, type Db, runBatch, statement } from "./db";
import { IDEMPOTENCY_TTL_MS } from "./idempotency";
import { HINT_TTL_MS } from "./inbound-callbacks";

/**
 * Old callback hints, and old idempotency keys, deleted per purge: a tick runs every minute, so
 * this drains 600,000 of each an hour, far more than arrive.
 */
const HINTS_PER_PURGE = 10_000;

/**
 * A task old enough to delete, as a SQL condition on `tasks`: it stopped polling before `cutoff`,
 * nothing is pending for it, and no subscription of it was registered or changed since `cutoff`
 * (a late subscriber of a finished task keeps it for a full retention period too).
 */
const purgeable = (cutoff: number) => sql`tasks.settled_at < ${cutoff} AND tasks.next_poll_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM subscriptions s JOIN messages m ON m.subscription_id = s.id
    WHERE s.task_key = tasks.id AND m.status = 'pending')
  AND NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.task_key = tasks.id AND s.updated_at >= ${cutoff})`;

/**
 * Deletes up to `limit` tasks that stopped polling before `cutoff` (and have no message still
 * pending), with their subscriptions, messages and attempts. Bounded so one tick stays cheap;
 * a backlog drains over the following ticks. Returns the number of tasks deleted.
 *
 * The candidates are read first, then deleted in one batch whose first statement checks the
 * condition again: a registration or redelivery that lands in between (and makes the task poll
 * again, or gives it a pending message or a new subscription) keeps the task. The other
 * statements only delete what belongs to the tasks that statement actually deleted.
 */
export async function purgeSettledTasks(db: Db, cutoff: number, limit: number, now: number): Promise<number> {
  await runBatch(db, [
    // The dashboard's hourly counters age out with the rest (one row an hour: a primary-key range).
    statement(db, sql`DELETE FROM activity_hourly WHERE hour < ${hourOf(cutoff)}`),
    statement(
      db,
      sql`DELETE FROM idempotency_keys WHERE rowid IN
        (SELECT rowid FROM idempotency_keys WHERE created_at <= ${now - IDEMPOTENCY_TTL_MS} ORDER BY created_at LIMIT ${HINTS_PER_PURGE})`,
    ),
    // Callbacks about tasks nobody registered are remembered for HINT_TTL_MS only.
    statement(
      db,
      sql`DELETE FROM inbound_hints WHERE rowid IN
        (SELECT rowid FROM inbound_hints WHERE received_at < ${now - HINT_TTL_MS} ORDER BY received_at LIMIT ${HINTS_PER_PURGE})`,
    ),
  ]);
  const rows = await db.all<{ id: string }>(sql`SELECT id FROM tasks
    WHERE ${purgeable(cutoff)}
    ORDER BY settled_at LIMIT ${limit}`);
  if (rows.length === 0) return 0;
  const ids = asJson(rows.map((r) => r.id));
  const deleted = sql`SELECT value FROM json_each(${ids}) WHERE NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = value)`;
  const subscriptionsOfTasks = sql`SELECT id FROM subscriptions WHERE task_key IN (${deleted})`;
  const [tasksDeleted] = await runBatch(db, [
    statement(db, sql`DELETE FROM tasks WHERE id IN (SELECT value FROM json_each(${ids})) AND ${purgeable(cutoff)}`),
    statement(
      db,
      sql`DELETE FROM delivery_attempts WHERE message_id IN (SELECT id FROM messages WHERE subscription_id IN (${subscriptionsOfTasks}))`,
    ),
    statement(db, sql`DELETE FROM messages WHERE subscription_id IN (${subscriptionsOfTasks})`),
    statement(db, sql`DELETE FROM subscriptions WHERE task_key IN (${deleted})`),
  ]);
  return tasksDeleted?.meta.changes ?? 0;
}
