import { and, desc, eq, sql } from "drizzle-orm";
import type { EventType, Provider } from "../domain/kling";
import { type Db, keySet, runBatch, statement, taskKeyOf } from "./db";
import { fanOutToSubscription } from "./fan-out";
import { endpoints, messages, type SubscriptionRow, subscriptions, type TaskRow, tasks } from "./schema";
import { resumeTaskPolling, settleTasks } from "./settle";

export interface Registration {
  id: string;
  tenantId: string;
  provider: Provider;
  taskId: string;
  action: string;
  action2: string;
  callbackUrl: string;
  events: EventType[];
  /** The metadata's JSON text exactly as the app sent it (numbers untouched), or null. */
  metadata: string | null;
  /** The key a task created by this registration gets (unused when the tenant has the task). */
  newTaskKey: string;
  /** Id and secret of the endpoint created if the tenant has none for this URL yet. */
  newEndpoint: { id: string; secret: string };
}

export type RegistrationResult =
  | { kind: "created" | "existing"; subscription: SubscriptionRow; task: TaskRow }
  | { kind: "action_pair_conflict"; task: TaskRow };

/**
 * Registers one callback for one tenant's task in a single D1 batch, so concurrent registrations
 * and ticks never interleave: the task is created if the tenant has none by that id (due at once);
 * so is the tenant's endpoint for the URL, with its own secret; the subscription is inserted only
 * if the task has the same action pair; a task left idle resumes polling; the event the task
 * already reached is sent at once.
 *
 * Registering the same (task, URL) again makes the registration's `events` and `metadata` the
 * subscription's own (a registration says the whole of what it wants, as a first one does):
 * - a cancelled subscription becomes active again; a delivered one too, and settles back to
 *   delivered in the same batch unless it now asks for an event still to come; a failed one stays
 *   failed (redeliver revives it); an identical registration changes nothing, not even updated_at;
 * - messages created from now on carry the new metadata, and so does a pending message no attempt
 *   was made of yet (none recorded, none under way); a message already attempted keeps its bytes,
 *   so every retry of a `webhook-id` sends the same body. Messages created for events the new
 *   list leaves out go on: events decide what is created, not what was.
 */
export async function registerSubscription(db: Db, r: Registration, now: number): Promise<RegistrationResult> {
  const events = JSON.stringify(r.events);
  const taskKey = taskKeyOf(r.tenantId, r.provider, r.taskId);
  await runBatch(db, [
    statement(
      db,
      db
        .insert(tasks)
        .values({
          id: r.newTaskKey,
          tenantId: r.tenantId,
          provider: r.provider,
          taskId: r.taskId,
          action: r.action,
          action2: r.action2,
          nextPollAt: now,
          createdAt: now,
          updatedAt: now,
        })
        .onConflictDoNothing(),
    ),
    statement(
      db,
      db
        .insert(endpoints)
        .values({ ...r.newEndpoint, tenantId: r.tenantId, url: r.callbackUrl, createdAt: now, updatedAt: now })
        .onConflictDoNothing(),
    ),
    statement(
      db,
      sql`INSERT INTO subscriptions (id, tenant_id, task_key, endpoint_id, callback_url, events, metadata, status, created_at, updated_at)
      SELECT ${r.id}, ${r.tenantId}, t.id, e.id, ${r.callbackUrl}, ${events}, ${r.metadata}, 'active', ${now}, ${now}
      FROM tasks t, endpoints e
      WHERE t.tenant_id = ${r.tenantId} AND t.provider = ${r.provider} AND t.task_id = ${r.taskId}
        AND t.action = ${r.action} AND t.action2 = ${r.action2}
        AND e.tenant_id = ${r.tenantId} AND e.url = ${r.callbackUrl}
      ON CONFLICT (task_key, callback_url) DO UPDATE SET
        status = CASE WHEN subscriptions.status = 'failed' THEN 'failed' ELSE 'active' END,
        status_reason = CASE WHEN subscriptions.status = 'failed' THEN subscriptions.status_reason END,
        events = excluded.events, metadata = excluded.metadata, updated_at = ${now}
      WHERE subscriptions.status = 'cancelled' OR subscriptions.events IS NOT excluded.events OR subscriptions.metadata IS NOT excluded.metadata`,
    ),
    // The metadata fact of a message nobody attempted yet, which the fan-out would copy now.
    statement(
      db,
      sql`UPDATE messages SET metadata = s.metadata, updated_at = ${now}
      FROM subscriptions s
      WHERE s.task_key IN ${taskKey} AND s.callback_url = ${r.callbackUrl} AND messages.subscription_id = s.id
        AND messages.status = 'pending' AND messages.attempts = 0 AND messages.lease_token IS NULL
        AND messages.metadata IS NOT s.metadata`,
    ),
    resumeTaskPolling(db, taskKey, now),
    fanOutToSubscription(db, taskKey, r.callbackUrl, now),
    ...settleTasks(db, taskKey, now),
  ]);
  const [taskRows, subRows] = await db.batch([
    db
      .select()
      .from(tasks)
      .where(and(eq(tasks.tenantId, r.tenantId), eq(tasks.provider, r.provider), eq(tasks.taskId, r.taskId))),
    db
      .select()
      .from(subscriptions)
      .where(and(sql`${subscriptions.taskKey} IN ${taskKey}`, eq(subscriptions.callbackUrl, r.callbackUrl))),
  ]);
  const task = taskRows[0];
  const subscription = subRows[0];
  if (!task) throw new Error("registration batch left no task row");
  // Checked on the task, not on the subscription: an existing subscription for the same URL must
  // not hide that this registration names another action pair.
  if (!subscription || task.action !== r.action || task.action2 !== r.action2) return { kind: "action_pair_conflict", task };
  return { kind: subscription.id === r.id ? "created" : "existing", subscription, task };
}

/** Cancels a subscription and its pending messages; its task stops polling if nobody else waits. */
export async function cancelSubscription(db: Db, subscription: SubscriptionRow, now: number): Promise<void> {
  await runBatch(db, [
    statement(db, db.update(subscriptions).set({ status: "cancelled", updatedAt: now }).where(eq(subscriptions.id, subscription.id))),
    statement(
      db,
      sql`UPDATE messages SET status = 'cancelled', next_attempt_at = NULL, lease_token = NULL, updated_at = ${now}
      WHERE subscription_id = ${subscription.id} AND status = 'pending'`,
    ),
    ...settleTasks(db, keySet([subscription.taskKey]), now),
  ]);
}

/**
 * Sends the subscription's latest message again, as a new attempt of the same message (same
 * `webhook-id`) with a fresh retry schedule. The subscription becomes active again, catches up
 * with the event its task reached meanwhile, and its task resumes polling if it had stopped.
 * Returns false when no message exists yet.
 */
export async function redeliverLatest(db: Db, subscription: SubscriptionRow, now: number): Promise<boolean> {
  const [latest] = await db
    .select({ id: messages.id })
    .from(messages)
    .where(eq(messages.subscriptionId, subscription.id))
    .orderBy(desc(messages.createdAt), desc(sql`rowid`))
    .limit(1);
  if (!latest) return false;
  await runBatch(db, [
    statement(
      db,
      db.update(subscriptions).set({ status: "active", statusReason: null, updatedAt: now }).where(eq(subscriptions.id, subscription.id)),
    ),
    statement(
      db,
      db
        .update(messages)
        .set({ status: "pending", scheduleStep: 0, nextAttemptAt: now, leaseToken: null, updatedAt: now })
        .where(eq(messages.id, latest.id)),
    ),
    fanOutToSubscription(db, keySet([subscription.taskKey]), subscription.callbackUrl, now),
    resumeTaskPolling(db, keySet([subscription.taskKey]), now),
  ]);
  return true;
}
