import { asc, eq, inArray, sql } from "drizzle-orm";
import { asJson, type Db } from "./db";
import {
  type DeliveryAttemptRow,
  deliveryAttempts,
  type MessageRow,
  messages,
  type SubscriptionRow,
  subscriptions,
  type TaskRow,
  tasks,
} from "./schema";

export interface MessageWithAttempts {
  message: MessageRow;
  attempts: DeliveryAttemptRow[];
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
        .from(deliveryAttempts)
        .where(inArray(deliveryAttempts.messageId, jsonList(messageRows.map((m) => m.id))))
        .orderBy(asc(deliveryAttempts.id))
    : [];
  const byMessage = new Map<string, DeliveryAttemptRow[]>();
  for (const attempt of attemptRows) byMessage.set(attempt.messageId, [...(byMessage.get(attempt.messageId) ?? []), attempt]);
  for (const message of messageRows)
    bySubscription.get(message.subscriptionId)?.push({ message, attempts: byMessage.get(message.id) ?? [] });
  return bySubscription;
}

export const findTask = async (db: Db, taskId: string): Promise<TaskRow | undefined> =>
  (await db.select().from(tasks).where(eq(tasks.taskId, taskId)))[0];

export const findSubscription = async (db: Db, id: string): Promise<SubscriptionRow | undefined> =>
  (await db.select().from(subscriptions).where(eq(subscriptions.id, id)))[0];

/** A task with every subscription and every delivery attempt, for `GET /v1/tasks/{id}`. */
export async function loadTaskView(db: Db, taskId: string) {
  const task = await findTask(db, taskId);
  if (!task) return undefined;
  const subs = await db.select().from(subscriptions).where(eq(subscriptions.taskId, taskId)).orderBy(asc(subscriptions.createdAt));
  const deliveries = await deliveriesOf(
    db,
    subs.map((s) => s.id),
  );
  return { task, subscriptions: subs.map((subscription) => ({ subscription, deliveries: deliveries.get(subscription.id) ?? [] })) };
}

/** One subscription with its task and deliveries, for `GET /v1/subscriptions/{id}`. */
export async function loadSubscriptionView(db: Db, id: string) {
  const subscription = await findSubscription(db, id);
  if (!subscription) return undefined;
  const task = await findTask(db, subscription.taskId);
  const deliveries = await deliveriesOf(db, [id]);
  return { subscription, task, deliveries: deliveries.get(id) ?? [] };
}
