import { type SQL, sql } from "drizzle-orm";
import { asJson, type Db } from "./db";
import { bodyColumns, messageBody, type StoredBody } from "./message-body";

export interface ClaimedMessage {
  id: string;
  subscriptionId: string;
  taskId: string;
  callbackUrl: string;
  /** The exact bytes to sign and send (see `messageBody`). */
  body: string;
  scheduleStep: number;
}

interface ClaimOptions {
  now: number;
  limit: number;
  leaseToken: string;
  leaseMs: number;
}

/** The guarded claim statement, returning `columns` of each message it claimed. */
const claim = <T>(db: Db, o: ClaimOptions, columns: SQL) =>
  db.all<T>(sql`
    UPDATE messages SET lease_token = ${o.leaseToken}, next_attempt_at = ${o.now + o.leaseMs}
    WHERE id IN (SELECT id FROM messages WHERE next_attempt_at <= ${o.now} ORDER BY next_attempt_at LIMIT ${o.limit})
    RETURNING ${columns}`);

/**
 * The same claim returning only the ids. In queue mode the tick hands ids to consumers, which
 * load and build the bodies themselves: a thousand bodies of a few KiB each would cost the tick
 * CPU time for nothing.
 */
export async function claimDueMessageIds(db: Db, options: ClaimOptions): Promise<string[]> {
  if (options.limit <= 0) return [];
  return (await claim<{ id: string }>(db, options, sql`id`)).map((m) => m.id);
}

/**
 * Claims up to `limit` due messages, exactly like tasks: one guarded statement over the
 * `messages_due` index that pushes `next_attempt_at` to the lease's end.
 */
export async function claimDueMessages(db: Db, options: ClaimOptions): Promise<ClaimedMessage[]> {
  if (options.limit <= 0) return [];
  const claimed = await claim<Omit<StoredBody, "task_id"> & { id: string; schedule_step: number }>(
    db,
    options,
    sql`id, subscription_id, schedule_step, ${bodyColumns()}`,
  );
  if (claimed.length === 0) return [];
  const subscriptionIds = [...new Set(claimed.map((m) => m.subscription_id))];
  const targets = await db.all<{ id: string; task_id: string; callback_url: string }>(sql`
    SELECT id, task_id, callback_url FROM subscriptions WHERE id IN (SELECT value FROM json_each(${asJson(subscriptionIds)}))`);
  const byId = new Map(targets.map((s) => [s.id, s]));
  return claimed.flatMap((m) => {
    const target = byId.get(m.subscription_id);
    // A message always has its subscription; retention deletes both together.
    if (!target) return [];
    const body = messageBody({ ...m, task_id: target.task_id });
    return [
      {
        id: m.id,
        subscriptionId: m.subscription_id,
        taskId: target.task_id,
        callbackUrl: target.callback_url,
        body,
        scheduleStep: m.schedule_step,
      },
    ];
  });
}
