import { type SQL, sql } from "drizzle-orm";
import { ARCHIVE_HOLDING_STATES } from "../domain/archive-states";
import type { LeaseToken } from "../domain/ids";
import { taskArchiveIn } from "./archive-sql";
import { type Db, statement } from "./db";
import { messageIn, messageState } from "./message-sql";

/**
 * Creates the webhook message for each task's last event, for every active subscription that asked
 * for it. It runs inside the caller's D1 batch and reads the task's last event and the active
 * subscriptions as they are then, so a registration racing a poll is met by one of the two
 * fan-outs. A message stores its body's facts, copied column for column from the task and the
 * subscription as they are now: the event's time, the metadata, the finish reason and the task's
 * data. The body is built from them when the message is sent (domain/webhook-body.ts), and they
 * do not change once an attempt was made: every attempt signs and sends the same bytes.
 * Idempotent by the unique (subscription, event type) index, so a status seen twice, a retried
 * tick or a late subscriber never produces a second message; a message cancelled earlier comes
 * back to life for a subscription that is active again.
 *
 * A revived message keeps its id (its `webhook-id`, so its earlier attempts stay listed under it)
 * and gets its facts copied again, from the subscription as it is now: re-registering a cancelled
 * subscription with new metadata must send the new metadata. "Same webhook-id, same bytes" holds
 * within one cycle of attempts; a cancelled message was never acknowledged (only pending ones are
 * cancelled), and its revival starts a fresh cycle, like a redelivery does. (A body kept from
 * before migration 0004 is dropped then too.) The task's archive facts (`archive_outputs`: links
 * to its archived files) are copied the same way.
 */
/**
 * A `task.succeeded` message of a task whose files are being archived is `held` (no due time) until
 * the copies end and storage/archive-files.ts releases it with the links. Any other message is
 * `scheduled`, due now, or, when the caller will send it itself (`BornLease`), `leased` to it.
 */
const HOLDING = sql`t.last_event = 'task.succeeded' AND ${taskArchiveIn("t.archive", ...ARCHIVE_HOLDING_STATES)}`;

/**
 * The lease a fan-out gives the messages it creates, for a caller about to send them itself (the
 * tick that recorded the polls): they need no claim, whose statement costs 2 rows written and 7
 * read a message. Only a message the claim would send goes so: its tenant live, its endpoint's
 * circuit closed and the endpoint enabled (the claim's parking, storage/parking.ts and
 * endpoint-health.ts, decides every other, as before). Whoever holds such a lease sends the
 * message or releases it (`releaseMessages`); dying, it leaves it due when the lease ends.
 */
export interface BornLease {
  token: LeaseToken;
  until: number;
}

/** Whether a new message may be born leased: what the claim checks before it sends one. */
const SENDABLE = sql`EXISTS (SELECT 1 FROM tenants h WHERE h.id = s.tenant_id AND h.suspended_at IS NULL AND h.deleted_at IS NULL)
  AND NOT EXISTS (SELECT 1 FROM endpoints e INDEXED BY endpoints_holding
    WHERE e.id = s.endpoint_id AND (e.circuit_opened_at IS NOT NULL OR e.disabled_at IS NOT NULL))`;

function fanOut(db: Db, scope: SQL, now: number, lease?: BornLease) {
  // Each row's placement is decided once, in the CTE: held, born leased to `lease`, or scheduled
  // now. With a lease it is materialized, so that the tenant's and the endpoint's rows are read
  // once, not once per column that depends on them (a row read more a message, as D1 counts the
  // CTE's own); without one nothing in it costs a read, and SQLite folds it into the INSERT.
  // (HOLDING is NULL for a task with no archive: a CASE, not a NOT, reads that as not holding.)
  const born = lease ? sql`CASE WHEN ${HOLDING} THEN 0 ELSE ${SENDABLE} END` : sql`0`;
  return statement(
    db,
    sql`WITH f AS ${sql.raw(lease ? "MATERIALIZED" : "NOT MATERIALIZED")} (
      SELECT s.id, s.tenant_id, s.endpoint_id, s.metadata, t.last_event, t.last_event_at, t.finish_reason, t.data, t.archive_outputs,
        ${HOLDING} AS holding, ${born} AS born
      FROM tasks t JOIN subscriptions s ON s.task_key = t.id
      WHERE ${scope} AND t.last_event IS NOT NULL AND s.status = 'active'
        AND EXISTS (SELECT 1 FROM json_each(s.events) e WHERE e.value = t.last_event))
    INSERT INTO messages (id, subscription_id, tenant_id, endpoint_id, event_type, event_at, metadata, reason, data, archive, status, state, attempts, schedule_step, next_attempt_at, lease_token, created_at, updated_at)
    SELECT 'msg_' || lower(hex(randomblob(12))), f.id, f.tenant_id, f.endpoint_id, f.last_event, f.last_event_at, f.metadata, f.finish_reason, f.data, f.archive_outputs,
      'pending',
      CASE WHEN f.born THEN ${messageState("leased")} WHEN f.holding THEN ${messageState("held")} ELSE ${messageState("scheduled")} END,
      0, 0,
      CASE WHEN f.born THEN ${lease?.until ?? null} WHEN f.holding THEN NULL ELSE ${now} END,
      CASE WHEN f.born THEN ${lease?.token ?? null} END,
      ${now}, ${now}
    FROM f WHERE true
    ON CONFLICT (subscription_id, event_type) DO UPDATE SET
      event_at = excluded.event_at, metadata = excluded.metadata, reason = excluded.reason, data = excluded.data, body = NULL,
      archive = excluded.archive, status = 'pending', state = excluded.state, schedule_step = 0, next_attempt_at = excluded.next_attempt_at,
      lease_token = excluded.lease_token, updated_at = ${now}
    WHERE ${messageIn("messages.state", "cancelled")}
    RETURNING id, lease_token IS NOT NULL AS born`,
  );
}

/** Fan-out after polls: the last event of each task in `taskKeys` (a SQL set) to all its subscribers. */
export const fanOutTaskEvents = (db: Db, taskKeys: SQL, now: number, lease?: BornLease) => fanOut(db, sql`t.id IN ${taskKeys}`, now, lease);

/** Catch-up for one subscription: the event its task already reached. */
export const fanOutToSubscription = (db: Db, taskKeys: SQL, callbackUrl: string, now: number) =>
  fanOut(db, sql`t.id IN ${taskKeys} AND s.callback_url = ${callbackUrl}`, now);

/** Catch-up for some subscriptions (a SQL set of ids) of tasks in `taskKeys`: the event each task already reached. */
export const fanOutToSubscriptions = (db: Db, taskKeys: SQL, subscriptionIds: SQL, now: number) =>
  fanOut(db, sql`t.id IN ${taskKeys} AND s.id IN ${subscriptionIds}`, now);
