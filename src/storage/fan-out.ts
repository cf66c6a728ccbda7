import { type SQL, sql } from "drizzle-orm";
import { ARCHIVE_HOLDING_STATES } from "../domain/archive-states";
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
 * `scheduled`, due now.
 */
const HOLDING = sql`t.last_event = 'task.succeeded' AND ${taskArchiveIn("t.archive", ...ARCHIVE_HOLDING_STATES)}`;
const HELD_OR_SCHEDULED = sql`CASE WHEN ${HOLDING} THEN ${messageState("held")} ELSE ${messageState("scheduled")} END`;
const DUE_TIME = (now: number) => sql`CASE WHEN ${HOLDING} THEN NULL ELSE ${now} END`;

function fanOut(db: Db, scope: SQL, now: number) {
  return statement(
    db,
    sql`INSERT INTO messages (id, subscription_id, tenant_id, endpoint_id, event_type, event_at, metadata, reason, data, archive, status, state, attempts, schedule_step, next_attempt_at, created_at, updated_at)
    SELECT 'msg_' || lower(hex(randomblob(12))), s.id, s.tenant_id, s.endpoint_id, t.last_event, t.last_event_at, s.metadata, t.finish_reason, t.data, t.archive_outputs,
      'pending', ${HELD_OR_SCHEDULED}, 0, 0, ${DUE_TIME(now)}, ${now}, ${now}
    FROM tasks t JOIN subscriptions s ON s.task_key = t.id
    WHERE ${scope} AND t.last_event IS NOT NULL AND s.status = 'active'
      AND EXISTS (SELECT 1 FROM json_each(s.events) e WHERE e.value = t.last_event)
    ON CONFLICT (subscription_id, event_type) DO UPDATE SET
      event_at = excluded.event_at, metadata = excluded.metadata, reason = excluded.reason, data = excluded.data, body = NULL,
      archive = excluded.archive, status = 'pending', state = excluded.state, schedule_step = 0, next_attempt_at = excluded.next_attempt_at, lease_token = NULL,
      updated_at = ${now}
    WHERE ${messageIn("messages.state", "cancelled")}
    RETURNING id`,
  );
}

/** Fan-out after polls: the last event of each task in `taskKeys` (a SQL set) to all its subscribers. */
export const fanOutTaskEvents = (db: Db, taskKeys: SQL, now: number) => fanOut(db, sql`t.id IN ${taskKeys}`, now);

/** Catch-up for one subscription: the event its task already reached. */
export const fanOutToSubscription = (db: Db, taskKeys: SQL, callbackUrl: string, now: number) =>
  fanOut(db, sql`t.id IN ${taskKeys} AND s.callback_url = ${callbackUrl}`, now);

/** Catch-up for some subscriptions (a SQL set of ids) of tasks in `taskKeys`: the event each task already reached. */
export const fanOutToSubscriptions = (db: Db, taskKeys: SQL, subscriptionIds: SQL, now: number) =>
  fanOut(db, sql`t.id IN ${taskKeys} AND s.id IN ${subscriptionIds}`, now);
