import { sql } from "drizzle-orm";
import { hourOf } from "./count-activity";
import { asJson, runBatch, statement, type Db } from "./db";

/**
 * Deletes up to `limit` tasks that stopped polling before `cutoff` (and have no message still
 * pending), with their subscriptions, messages and attempts. Bounded so one tick stays cheap;
 * a backlog drains over the following ticks. Returns the number of tasks deleted.
 */
export async function purgeSettledTasks(db: Db, cutoff: number, limit: number): Promise<number> {
  // The dashboard's hourly counters age out with the rest (one row an hour: a primary-key range).
  await db.run(sql`DELETE FROM activity_hourly WHERE hour < ${hourOf(cutoff)}`);
  const rows = await db.all<{ task_id: string }>(sql`SELECT task_id FROM tasks
    WHERE settled_at < ${cutoff} AND next_poll_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM subscriptions s JOIN messages m ON m.subscription_id = s.id
        WHERE s.task_id = tasks.task_id AND m.status = 'pending')
    ORDER BY settled_at LIMIT ${limit}`);
  if (rows.length === 0) return 0;
  const ids = asJson(rows.map((r) => r.task_id));
  const subscriptionsOfTasks = sql`SELECT id FROM subscriptions WHERE task_id IN (SELECT value FROM json_each(${ids}))`;
  await runBatch(db, [
    statement(db, sql`DELETE FROM delivery_attempts WHERE message_id IN (SELECT id FROM messages WHERE subscription_id IN (${subscriptionsOfTasks}))`),
    statement(db, sql`DELETE FROM messages WHERE subscription_id IN (${subscriptionsOfTasks})`),
    statement(db, sql`DELETE FROM subscriptions WHERE task_id IN (SELECT value FROM json_each(${ids}))`),
    statement(db, sql`DELETE FROM tasks WHERE task_id IN (SELECT value FROM json_each(${ids}))`),
  ]);
  return rows.length;
}
