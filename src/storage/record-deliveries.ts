import { sql } from "drizzle-orm";
import type { MessageUpdate } from "../domain/delivery-plan";
import { type HealthOutcome, healthChanges } from "../domain/endpoint-health";
import type { LeaseToken, TaskKey } from "../domain/ids";
import { OPEN_MESSAGE_STATES, stateAfterAttempt } from "../domain/message-states";
import { countActivityOfHour, hourOf } from "./count-activity";
import { asJson, type Db, prebuilt, runBatch, statement } from "./db";
import { type CircuitPolicy, endpointHealthStatements } from "./endpoint-health";
import { inlineAttempt, keptInline } from "./first-attempt";
import { messageIn, messageState, moveTo } from "./message-sql";
import { recordOperationEvents } from "./operation-events";
import { deliverSubscriptions, settleTasks } from "./settle";
import { writeOnceMore } from "./storage-errors";

export interface DeliveryRecord {
  messageId: string;
  subscriptionId: string;
  /** The task's `tasks.id`. */
  taskKey: TaskKey;
  /** The message announced the task's final event: the task finished (`isFinalEvent`). */
  taskFinished: boolean;
  /** The message's endpoint, whose health the attempt counts for. */
  endpointId: string;
  attemptedAt: number;
  update: MessageUpdate;
  /** What the attempt says of the endpoint (null: it was never sent). */
  health: HealthOutcome;
}

/**
 * Writes a round of delivery attempts in one D1 batch: the attempt log (a first attempt that
 * delivers its message soon is kept in the message's row instead: storage/first-attempt.ts), the
 * hour's delivery counts for the dashboard, the subscriptions that failed for good (their other
 * pending messages stop too: "no more attempts"), the message updates, the endpoints' health and
 * circuits (storage/endpoint-health.ts), then the subscriptions that are now fully delivered.
 *
 * Every statement acts only for records whose message is still leased under `leaseToken` when the
 * batch runs: a result that comes back after its message was redelivered, or claimed again once
 * the lease ran out, changes nothing (not even the counts). The message updates clear the lease,
 * so they come after every statement that checks it (a D1 batch runs its statements in order, in
 * one transaction).
 */
export async function recordDeliveries(
  db: Db,
  records: readonly DeliveryRecord[],
  leaseToken: LeaseToken,
  now: number,
  circuit: CircuitPolicy,
): Promise<void> {
  if (records.length === 0) return;
  const rows = asJson(
    records.map(({ messageId, subscriptionId, attemptedAt, update: u }) => ({
      id: messageId,
      subscription_id: subscriptionId,
      attempted_at: attemptedAt,
      status: u.status,
      state: stateAfterAttempt(u.status),
      schedule_step: u.scheduleStep,
      next_attempt_at: u.nextAttemptAt,
      status_code: u.statusCode,
      error: u.error,
      duration_ms: u.durationMs,
      response_body: u.responseBody,
      failure: u.subscriptionFailure,
    })),
  );
  const health = healthChanges(
    records.map((r) => ({ endpointId: r.endpointId, attemptedAt: r.attemptedAt, outcome: r.health, error: r.update.error })),
  );
  const failedIds = records.filter((r) => r.health === "fail").map((r) => r.messageId);
  const unique = <T>(items: T[]) => asJson([...new Set(items)]);
  const finishedSubscriptions = records.filter((r) => r.taskFinished).map((r) => r.subscriptionId);
  const goingOnTasks = records.filter((r) => !r.taskFinished).map((r) => r.taskKey);
  const values = { rows, leaseToken, now, hour: hourOf(now) };
  const statements = [
    ...attemptWrites(db, values),
    // Only a round in which a webhook failed for good ends subscriptions: the others skip those
    // statements, which would read every record to find no failure.
    ...(records.some((r) => r.update.subscriptionFailure !== null) ? failureWrites(db, values) : []),
    ...messageWrites(db, values),
    // The endpoints' health and circuits: every attempt made counts, whatever became of its lease.
    ...endpointHealthStatements(db, health, failedIds, circuit, now),
    // Settling reads the rows as they now are, whatever this round still leased: nothing to guard.
    // A finished task's webhook settles just its subscription (most webhooks: the default events
    // are the final ones); another event's settles its task's, which may stop being polled.
    ...(finishedSubscriptions.length > 0 ? settleFinishedWrites(db, { subscriptionIds: unique(finishedSubscriptions), now }) : []),
    ...(goingOnTasks.length > 0 ? settleWrites(db, { taskKeys: unique(goingOnTasks), now }) : []),
  ];
  // These webhooks were sent: left unrecorded, each would be sent again when its lease ends. When
  // D1 could not answer for now, whether the batch committed shows in the leases (its message
  // updates clear every lease of the round it still held): none left, it stands; some left, it did
  // not, and runs again once, whole (the endpoints' health, which is not guarded by the leases, is
  // then counted once).
  await writeOnceMore(
    () => runBatch(db, statements),
    async () => !(await anyStillLeased(db, rows, leaseToken)),
  );
}

/** Whether any message of a round's records (`rows`, JSON) is still leased under `leaseToken`. */
async function anyStillLeased(db: Db, rows: string, leaseToken: LeaseToken): Promise<boolean> {
  const found = await db.$client
    .prepare("SELECT 1 AS found FROM json_each(?1) r JOIN messages m ON m.id = r.value ->> 'id' WHERE m.lease_token = ?2 LIMIT 1")
    .bind(rows, leaseToken)
    .first();
  return found !== null;
}

/** The values a round's record binds: its attempts as JSON, the lease it holds them under, the time and its hour. */
type AttemptValues = { rows: string; leaseToken: string; now: number; hour: number };

/** Whether record `r` (of `AttemptValues.rows`) still holds its message's lease. */
const stillLeased = (leaseToken: string) =>
  sql`EXISTS (SELECT 1 FROM messages m WHERE m.id = r.value ->> 'id' AND m.lease_token = ${leaseToken})`;

/** Stand-in values for `prebuilt` (every value distinct). */
const STAND_INS: readonly [AttemptValues, AttemptValues] = [
  { rows: "[1]", leaseToken: "a", now: -1, hour: -2 },
  { rows: "[2]", leaseToken: "b", now: -3, hour: -4 },
];

/**
 * `recordDeliveries`' first statements, built by drizzle once (`prebuilt`): the attempt log and the
 * hour's counts, for every recorded round of deliveries.
 */
const attemptWrites = prebuilt<AttemptValues>(STAND_INS, (db, { rows, leaseToken, hour }) => [
  statement(
    db,
    sql`INSERT INTO delivery_attempts (message_id, endpoint_id, attempted_at, status_code, error, duration_ms, response_body)
      SELECT m.id, m.endpoint_id, r.value ->> 'attempted_at', r.value ->> 'status_code', r.value ->> 'error', r.value ->> 'duration_ms',
        r.value ->> 'response_body'
      FROM json_each(${rows}) r JOIN messages m ON m.id = r.value ->> 'id'
      WHERE m.lease_token = ${leaseToken} AND NOT ${keptInline("m")}`,
  ),
  countActivityOfHour(
    db,
    hour,
    { deliveryAttempts: sql`count(*)`, delivered: sql`coalesce(sum(r.value ->> 'status' = 'delivered'), 0)` },
    sql`FROM json_each(${rows}) r WHERE ${stillLeased(leaseToken)}`,
  ),
]);

/**
 * The subscriptions of this round's webhooks that failed for good end `failed`, announced, and
 * their other pending webhooks stop ("no more attempts"); built once. Only for a round with such a
 * failure.
 */
const failureWrites = prebuilt<AttemptValues>(STAND_INS, (db, { rows, leaseToken, now }) => [
  statement(
    db,
    sql`UPDATE subscriptions SET status = 'failed', status_reason = r.value ->> 'failure', updated_at = ${now}
      FROM json_each(${rows}) r
      WHERE subscriptions.id = r.value ->> 'subscription_id' AND r.value ->> 'failure' IS NOT NULL AND subscriptions.status = 'active'
        AND ${stillLeased(leaseToken)}`,
  ),
  // Their `subscription.failed` operational events, one per subscription failed just now.
  recordOperationEvents(
    db,
    "subscription.failed",
    sql`SELECT s.tenant_id, s.id || ':' || ${now} AS occurrence,
        json_object('subscription_id', s.id, 'task_id', t.task_id, 'provider', t.provider, 'endpoint_id', s.endpoint_id,
          'callback_url', s.callback_url, 'reason', s.status_reason, 'last_error', r.value ->> 'error', 'metadata', json(s.metadata)) AS data
      FROM json_each(${rows}) r JOIN subscriptions s ON s.id = r.value ->> 'subscription_id' JOIN tasks t ON t.id = s.task_key
      WHERE r.value ->> 'failure' IS NOT NULL AND s.status = 'failed' AND s.updated_at = ${now} AND ${stillLeased(leaseToken)}`,
    now,
  ),
  // The messages of this round that are still leased are left to the update below, which records
  // their own outcome.
  statement(
    db,
    sql`UPDATE messages SET ${moveTo("cancelled")}, next_attempt_at = NULL, lease_token = NULL, updated_at = ${now}
      WHERE ${messageIn("state", ...OPEN_MESSAGE_STATES)}
        AND subscription_id IN (SELECT r.value ->> 'subscription_id' FROM json_each(${rows}) r WHERE r.value ->> 'failure' IS NOT NULL AND ${stillLeased(leaseToken)})
        AND (lease_token IS NOT ${leaseToken} OR id NOT IN (SELECT r.value ->> 'id' FROM json_each(${rows}) r))`,
  ),
]);

/** Each message's own outcome, clearing its lease (so after every statement that checks it); built once. */
const messageWrites = prebuilt<AttemptValues>(STAND_INS, (db, { rows, leaseToken, now }) => [
  statement(
    db,
    sql`UPDATE messages SET
        status = r.value ->> 'status',
        state = r.value ->> 'state',
        attempts = attempts + 1,
        schedule_step = r.value ->> 'schedule_step',
        next_attempt_at = r.value ->> 'next_attempt_at',
        lease_token = NULL,
        last_status_code = r.value ->> 'status_code',
        last_error = r.value ->> 'error',
        delivered_at = CASE WHEN r.value ->> 'status' = 'delivered' THEN ${now} ELSE delivered_at END,
        first_attempt = CASE WHEN ${keptInline("messages")} THEN ${inlineAttempt} ELSE first_attempt END,
        updated_at = ${now}
      FROM json_each(${rows}) r
      WHERE messages.id = r.value ->> 'id' AND messages.lease_token = ${leaseToken}`,
  ),
]);

/** `settleTasks` of a round's tasks (JSON), built once. */
const settleWrites = prebuilt(
  [
    { taskKeys: "[1]", now: -1 },
    { taskKeys: "[2]", now: -2 },
  ],
  (db, { taskKeys, now }) => settleTasks(db, sql`(SELECT value FROM json_each(${taskKeys}))`, now),
);

/** `deliverSubscriptions` of the subscriptions (JSON ids) of a round's webhooks of finished tasks, built once. */
const settleFinishedWrites = prebuilt(
  [
    { subscriptionIds: "[1]", now: -1 },
    { subscriptionIds: "[2]", now: -2 },
  ],
  (db, { subscriptionIds, now }) => [deliverSubscriptions(db, sql`id IN (SELECT value FROM json_each(${subscriptionIds}))`, now, true)],
);

/** Gives claimed messages back untouched, `scheduled` at once (for work a tick claimed but did not start). */
export async function releaseMessages(db: Db, messageIds: readonly string[], leaseToken: LeaseToken, now: number): Promise<void> {
  if (messageIds.length === 0) return;
  await db.run(sql`UPDATE messages SET state = ${messageState("scheduled")}, lease_token = NULL, next_attempt_at = ${now}, updated_at = ${now}
    WHERE id IN (SELECT value FROM json_each(${asJson(messageIds)})) AND lease_token = ${leaseToken}`);
}
