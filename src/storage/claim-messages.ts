import { sql } from "drizzle-orm";
import { asJson, type Db } from "./db";

export interface ClaimedMessage {
  id: string;
  subscriptionId: string;
  taskId: string;
  callbackUrl: string;
  body: string;
  scheduleStep: number;
}

/**
 * Claims up to `limit` due messages, exactly like tasks: one guarded statement over the
 * `messages_due` index that pushes `next_attempt_at` to the lease's end.
 */
export async function claimDueMessages(db: Db, options: { now: number; limit: number; leaseToken: string; leaseMs: number }): Promise<ClaimedMessage[]> {
  if (options.limit <= 0) return [];
  const claimed = await db.all<{ id: string; subscription_id: string; body: string; schedule_step: number }>(sql`
    UPDATE messages SET lease_token = ${options.leaseToken}, next_attempt_at = ${options.now + options.leaseMs}
    WHERE id IN (SELECT id FROM messages WHERE next_attempt_at <= ${options.now} ORDER BY next_attempt_at LIMIT ${options.limit})
    RETURNING id, subscription_id, body, schedule_step`);
  if (claimed.length === 0) return [];
  const subscriptionIds = [...new Set(claimed.map((m) => m.subscription_id))];
  const targets = await db.all<{ id: string; task_id: string; callback_url: string }>(sql`
    SELECT id, task_id, callback_url FROM subscriptions WHERE id IN (SELECT value FROM json_each(${asJson(subscriptionIds)}))`);
  const byId = new Map(targets.map((s) => [s.id, s]));
  return claimed.flatMap((m) => {
    const target = byId.get(m.subscription_id);
    // A message always has its subscription; retention deletes both together.
    if (!target) return [];
    return [{ id: m.id, subscriptionId: m.subscription_id, taskId: target.task_id, callbackUrl: target.callback_url, body: m.body, scheduleStep: m.schedule_step }];
  });
}
