import { and, asc, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { TaskKey, TenantId } from "../domain/ids";
import { archiveFilesOfTask } from "./archive-files";
import { asJson, type Db } from "./db";
import {
  type MessageAttemptRow,
  type MessageRow,
  messageAttempts,
  messages,
  type SubscriptionRow,
  subscriptions,
  type TaskRow,
  tasks,
} from "./schema";

export interface MessageWithAttempts {
  message: MessageRow;
  attempts: MessageAttemptRow[];
}

export interface SubscriptionWithDeliveries {
  subscription: SubscriptionRow;
  deliveries: MessageWithAttempts[];
}

/** An id list as one bound parameter: D1 allows only 100 per statement. */
const jsonList = (ids: string[]) => sql`(SELECT value FROM json_each(${asJson(ids)}))`;

async function deliveriesOf(db: Db, subscriptionIds: string[]): Promise<Map<string, MessageWithAttempts[]>> {
  const bySubscription = new Map<string, MessageWithAttempts[]>(subscriptionIds.map((id) => [id, []]));
  if (subscriptionIds.length === 0) return bySubscription;
  const messageRows = await db
    .select()
    .from(messages)
    .where(inArray(messages.subscriptionId, jsonList(subscriptionIds)))
    .orderBy(asc(messages.createdAt));
  const attemptRows = messageRows.length
    ? await db
        .select()
        .from(messageAttempts)
        .where(inArray(messageAttempts.messageId, jsonList(messageRows.map((m) => m.id))))
        .orderBy(asc(messageAttempts.seq))
    : [];
  const byMessage = new Map<string, MessageAttemptRow[]>();
  for (const attempt of attemptRows) byMessage.set(attempt.messageId, [...(byMessage.get(attempt.messageId) ?? []), attempt]);
  for (const message of messageRows)
    bySubscription.get(message.subscriptionId)?.push({ message, attempts: byMessage.get(message.id) ?? [] });
  return bySubscription;
}

/**
 * Whose rows a read may see: one tenant's (every API caller, a tenant's dashboard session), or
 * every tenant's (`null`: only the admin's dashboard). Another tenant's row reads as missing.
 */
export type TenantScope = TenantId | null;

const inScope = (column: { tenantId: unknown }, scope: TenantScope): SQL | undefined =>
  scope === null ? undefined : eq(column.tenantId as typeof tasks.tenantId, scope);

/** A tenant's task by provider and Kling's id (with scope `null`, the admin's: the oldest of any tenant's). */
export const findTask = async (db: Db, scope: TenantScope, provider: string, taskId: string): Promise<TaskRow | undefined> =>
  (
    await db
      .select()
      .from(tasks)
      .where(and(eq(tasks.taskId, taskId), eq(tasks.provider, provider), inScope(tasks, scope)))
      .orderBy(asc(tasks.createdAt))
      .limit(1)
  )[0];

export const findTaskByKey = async (db: Db, key: TaskKey): Promise<TaskRow | undefined> =>
  (await db.select().from(tasks).where(eq(tasks.id, key)))[0];

export const findSubscription = async (db: Db, scope: TenantScope, id: string): Promise<SubscriptionRow | undefined> =>
  (
    await db
      .select()
      .from(subscriptions)
      .where(and(eq(subscriptions.id, id), inScope(subscriptions, scope)))
  )[0];

/** A task with every subscription and every delivery attempt, for `GET /v1/tasks/{id}`. */
export async function loadTaskView(db: Db, scope: TenantScope, provider: string, taskId: string) {
  const task = await findTask(db, scope, provider, taskId);
  if (!task) return undefined;
  const subs = await db.select().from(subscriptions).where(eq(subscriptions.taskKey, task.id)).orderBy(asc(subscriptions.createdAt));
  const deliveries = await deliveriesOf(
    db,
    subs.map((s) => s.id),
  );
  // What became of its archived files, for a task that asked (the dashboard's task page).
  const archiveFiles = task.archive !== null ? await archiveFilesOfTask(db, task.id) : [];
  return {
    task,
    subscriptions: subs.map((subscription) => ({ subscription, deliveries: deliveries.get(subscription.id) ?? [] })),
    archiveFiles,
  };
}

/** One subscription with its task and deliveries, for `GET /v1/subscriptions/{id}`. */
export async function loadSubscriptionView(db: Db, scope: TenantScope, id: string) {
  const subscription = await findSubscription(db, scope, id);
  if (!subscription) return undefined;
  const task = await findTaskByKey(db, subscription.taskKey);
  const deliveries = await deliveriesOf(db, [id]);
  return { subscription, task, deliveries: deliveries.get(id) ?? [] };
}
