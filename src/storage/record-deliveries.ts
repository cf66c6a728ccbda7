import { sql } from "drizzle-orm";
import type { MessageUpdate } from "../domain/delivery-plan";
import { type HealthOutcome, healthChanges } from "../domain/endpoint-health";
import type { LeaseToken, TaskKey } from "../domain/ids";
import { OPEN_MESSAGE_STATES, stateAfterAttempt } from "../domain/message-states";
import { countActivityOfHour, hourOf } from "./count-activity";
import { asJson, type Db, prebuilt, runBatch, statement } from "./db";
import { type CircuitPolicy, endpointHealthStatements } from "./endpoint-health";
import { inlineAttempt, keptInline } from "./first-attempt";
import { factOf, keyedWrites, keyList, textOnce } from "./keyed-writes";
import { messageIn, messageState, moveTo } from "./message-sql";
import { recordOperationEvents } from "./operation-events";
import { deliverFinishedSubscriptions, settleTasks } from "./settle";
import { writeOnceMore } from "./storage-errors";

export interface DeliveryRecord {
  messageId: string;
  subscriptionId: string;
  /** The task's `tasks.id`. */
  taskKey: TaskKey;
  /** The message announced the task's final event: the task finished (`isFinalEvent`). */
  taskFinished: boolean;
  /** Until when the message's first attempt is kept in its row, from its claim (`ClaimedMessage`). */
  firstAttemptKeptUntil: number | null;
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
 * Every statement about a message acts only for records whose message is still leased under
 * `leaseToken` when the batch runs: a result that comes back after its message was redelivered, or
 * claimed again once the lease ran out, changes none of it. What counts attempts sent (the hour's
 * counts, the endpoints' health) counts it all the same: it was sent. The message updates clear the
 * lease, so they come after every statement that checks it (a D1 batch runs its statements in
 * order, in one transaction).
 */
export async function recordDeliveries(
  db: Db,
  records: readonly DeliveryRecord[],
  leaseToken: LeaseToken,
  now: number,
  circuit: CircuitPolicy,
): Promise<void> {
  if (records.length === 0) return;
  const kept = records.map(keptInline);
  const facts = records.map(({ messageId, subscriptionId, attemptedAt, update: u }, i) => ({
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
    first_attempt: kept[i] ? inlineAttempt(records[i]!) : null,
  }));
  const rows = asJson(facts);
  const health = healthChanges(
    records.map((r) => ({ endpointId: r.endpointId, attemptedAt: r.attemptedAt, outcome: r.health, error: r.update.error })),
  );
  const failedIds = records.filter((r) => r.health === "fail").map((r) => r.messageId);
  const unique = <T>(items: T[]) => asJson([...new Set(items)]);
  const finishedSubscriptions = records.filter((r) => r.taskFinished).map((r) => r.subscriptionId);
  const goingOnTasks = records.filter((r) => !r.taskFinished).map((r) => r.taskKey);
  const values = { rows, leaseToken, now };
  const statements = [
    // A round whose attempts are all kept in their messages (most: first attempts that delivered)
    // skips the attempt log, which would read every message to find nothing to log.
    ...(kept.includes(false) ? attemptLogWrites(db, values) : []),
    // Every attempt made counts in its hour, whatever became of its lease (as in its endpoint's
    // health below): the hour's webhooks sent, counted from the round, reading no message.
    ...hourWrites(db, {
      hour: hourOf(now),
      attempts: records.length,
      delivered: records.filter((r) => r.update.status === "delivered").length,
    }),
    // Only a round in which a webhook failed for good ends subscriptions: the others skip those
    // statements, which would read every record to find no failure.
    ...(records.some((r) => r.update.subscriptionFailure !== null) ? failureWrites(db, values) : []),
    ...keyedWrites(
      db,
      facts,
      (f) => f.id,
      (f) => f,
      messageUpdateText,
      [now, leaseToken],
    ),
    // The endpoints' health and circuits: every attempt made counts, whatever became of its lease.
    ...endpointHealthStatements(db, health, failedIds, circuit, now),
    // Settling reads the rows as they now are, whatever this round still leased: nothing to guard.
    // A finished task's webhook settles just its subscription (most webhooks: the default events
    // are the final ones); another event's settles its task's, which may stop being polled.
    ...deliverFinishedSubscriptions(db, [...new Set(finishedSubscriptions)], now),
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

/** The values a round's record binds: its attempts as JSON, the lease it holds them under, and the time. */
type AttemptValues = { rows: string; leaseToken: string; now: number };

/** Whether record `r` (of `AttemptValues.rows`) still holds its message's lease. */
const stillLeased = (leaseToken: string) =>
  sql`EXISTS (SELECT 1 FROM messages m WHERE m.id = r.value ->> 'id' AND m.lease_token = ${leaseToken})`;

/** Stand-in values for `prebuilt` (every value distinct). */
const STAND_INS: readonly [AttemptValues, AttemptValues] = [
  { rows: "[1]", leaseToken: "a", now: -1 },
  { rows: "[2]", leaseToken: "b", now: -3 },
];

/** The attempts not kept in their messages (storage/first-attempt.ts), logged; built by drizzle once (`prebuilt`). */
const attemptLogWrites = prebuilt<AttemptValues>(STAND_INS, (db, { rows, leaseToken }) => [
  statement(
    db,
    sql`INSERT INTO delivery_attempts (message_id, endpoint_id, attempted_at, status_code, error, duration_ms, response_body)
      SELECT m.id, m.endpoint_id, r.value ->> 'attempted_at', r.value ->> 'status_code', r.value ->> 'error', r.value ->> 'duration_ms',
        r.value ->> 'response_body'
      FROM json_each(${rows}) r JOIN messages m ON m.id = r.value ->> 'id'
      WHERE m.lease_token = ${leaseToken} AND r.value ->> 'first_attempt' IS NULL`,
  ),
]);

/** The hour's webhooks sent and delivered, for the dashboard; built once. */
const hourWrites = prebuilt(
  [
    { hour: -1, attempts: -2, delivered: -3 },
    { hour: -4, attempts: -5, delivered: -6 },
  ],
  (db, { hour, attempts, delivered }) => [countActivityOfHour(db, hour, { deliveryAttempts: attempts, delivered })],
);

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

/**
 * Each message's own outcome, clearing its lease (so after every statement that checks it), for
 * `count` messages by key (`keyedWrites`): ?1 their facts by id, ?2 now, ?3 the lease token.
 */
function messageUpdateText(count: number): string {
  const r = factOf("messages");
  const now = sql.raw("?2");
  return textOnce(
    `messages/${count}`,
    () => sql`UPDATE messages SET
    status = ${r("status")},
    state = ${r("state")},
    attempts = attempts + 1,
    schedule_step = ${r("schedule_step")},
    next_attempt_at = ${r("next_attempt_at")},
    lease_token = NULL,
    last_status_code = ${r("status_code")},
    last_error = ${r("error")},
    delivered_at = CASE WHEN ${r("status")} = 'delivered' THEN ${now} ELSE delivered_at END,
    first_attempt = coalesce(${r("first_attempt")}, first_attempt),
    updated_at = ${now}
  WHERE messages.id IN (${keyList(4, count)}) AND messages.lease_token = ?3`,
  );
}

/** `settleTasks` of a round's tasks (JSON), built once. */
const settleWrites = prebuilt(
  [
    { taskKeys: "[1]", now: -1 },
    { taskKeys: "[2]", now: -2 },
  ],
  (db, { taskKeys, now }) => settleTasks(db, sql`(SELECT value FROM json_each(${taskKeys}))`, now),
);

/** Gives claimed messages back untouched, `scheduled` at once (for work a tick claimed but did not start). */
export async function releaseMessages(db: Db, messageIds: readonly string[], leaseToken: LeaseToken, now: number): Promise<void> {
  if (messageIds.length === 0) return;
  await db.run(sql`UPDATE messages SET state = ${messageState("scheduled")}, lease_token = NULL, next_attempt_at = ${now}, updated_at = ${now}
    WHERE id IN (SELECT value FROM json_each(${asJson(messageIds)})) AND lease_token = ${leaseToken}`);
}
