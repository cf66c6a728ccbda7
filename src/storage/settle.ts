import { inArray, type SQL, sql } from "drizzle-orm";
import type { TaskKey } from "../domain/ids";
import { OPEN_MESSAGE_STATES } from "../domain/message-states";
import { asJson, type Db, statement } from "./db";
import { stillPossibleSql } from "./event-order";
import { chunksOf, KEYED_CHUNK } from "./keyed-writes";
import { messageIn } from "./message-sql";
import { subscriptions } from "./schema";

/**
 * Events a task can still produce, as a SQL condition on `e.value` for task `t`: none once it
 * finished, and only those after its current status otherwise (the order: `EVENT_STAGES`).
 */
const STILL_POSSIBLE = sql`t.finished_at IS NULL AND (
  ${stillPossibleSql("e.value", "t.task_status")})`;

/** The subscription (of the UPDATE) has no webhook still to send. */
const NOTHING_OPEN = sql`NOT EXISTS (SELECT 1 FROM messages m WHERE m.subscription_id = subscriptions.id AND ${messageIn("m.state", ...OPEN_MESSAGE_STATES)})`;

/** The subscription's task can send none of the events it asked for any more. */
const NOTHING_POSSIBLE = sql`NOT EXISTS (SELECT 1 FROM tasks t, json_each(subscriptions.events) e
  WHERE t.id = subscriptions.task_key AND ${STILL_POSSIBLE})`;

/**
 * After any change to tasks, subscriptions or messages: a subscription with nothing pending and
 * nothing left that can happen becomes `delivered`; a task left with no active subscription
 * stops being polled, and is nobody's any more: its lease is dropped too, so a tick that claimed
 * it and died leaves no lease behind that nothing would end (a settled task is never due). A poll
 * still in flight then records nothing, which nobody waits for; a new subscription polls it anew
 * (`resumeTaskPolling`).
 */
export function settleTasks(db: Db, taskKeys: SQL, now: number) {
  return [deliverSubscriptions(db, sql`task_key IN ${taskKeys}`, now), stopUnwatchedTasks(db, taskKeys, now)];
}

/**
 * The first half of `settleTasks`, for the subscriptions `which` names (a condition on
 * `subscriptions`). Of a subscription whose task finished (`taskFinished`), only its webhooks are
 * looked at: a finished task can send nothing more, and its polling already stopped when it
 * finished, so the second half would find nothing to do either (`deliverFinishedSubscriptions`).
 */
export function deliverSubscriptions(db: Db, which: SQL, now: number, taskFinished = false) {
  return statement(
    db,
    sql`UPDATE subscriptions SET status = 'delivered', updated_at = ${now}
    WHERE ${which} AND status = 'active' AND ${NOTHING_OPEN}${taskFinished ? sql`` : sql` AND ${NOTHING_POSSIBLE}`}`,
  );
}

/**
 * `deliverSubscriptions` for the subscriptions (ids) of a round's webhooks of finished tasks, named
 * in the statement (KEYED_CHUNK a statement). D1 counts the rows each check reads: so, without its
 * task, a finished task's webhook settles its subscription reading 6 rows; through `json_each` it
 * read 7, and by its task's key, with the task, 12 (docs/performance.md).
 */
export const deliverFinishedSubscriptions = (db: Db, ids: readonly string[], now: number) =>
  chunksOf(ids, KEYED_CHUNK).map((chunk) => deliverSubscriptions(db, inArray(subscriptions.id, chunk), now, true));

/**
 * `deliverSubscriptions` for the subscriptions of tasks a round of polls just finished (each with
 * its final event), but those that asked for that event: its fan-out just gave each of those a
 * webhook to send (a task finishes once), so they stay active until it is sent, and the
 * webhook's record settles them. The others (asked for other events only) may be done now. D1
 * counts the rows each check reads: skipping the asking ones by their `events`, with the tasks
 * named in the statement (KEYED_CHUNK a statement), it reads 3 rows a subscription, where the
 * checks read 5. A task whose record was refused (its lease or due time moved on) is not
 * finished: the checks still find its events possible, as before.
 */
export function deliverFinishedTasks(db: Db, finished: readonly { taskKey: TaskKey; event: string | null }[], now: number) {
  return chunksOf(finished, KEYED_CHUNK).map((chunk) => {
    const finalEvents = asJson(Object.fromEntries(chunk.map((f) => [f.taskKey, f.event])));
    const asked = sql`EXISTS (SELECT 1 FROM json_each(subscriptions.events) e
      WHERE e.value = ${finalEvents} ->> ('$."' || subscriptions.task_key || '"'))`;
    const named = inArray(
      subscriptions.taskKey,
      chunk.map((f) => f.taskKey),
    );
    return deliverSubscriptions(db, sql`${named} AND NOT ${asked}`, now);
  });
}

/** The second half of `settleTasks`: a task of `taskKeys` that nobody waits for stops being polled. */
export function stopUnwatchedTasks(db: Db, taskKeys: SQL, now: number) {
  return statement(
    db,
    sql`UPDATE tasks SET next_poll_at = NULL, lease_token = NULL, settled_at = coalesce(settled_at, ${now}), updated_at = ${now}
    WHERE id IN ${taskKeys} AND next_poll_at IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.task_key = tasks.id AND s.status = 'active')`,
  );
}

/** A task that gained an active subscription is polled again at once, unless it already finished. */
export function resumeTaskPolling(db: Db, taskKeys: SQL, now: number) {
  return statement(
    db,
    sql`UPDATE tasks SET next_poll_at = ${now}, settled_at = NULL, updated_at = ${now}
    WHERE id IN ${taskKeys} AND finished_at IS NULL AND next_poll_at IS NULL
      AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.task_key = tasks.id AND s.status = 'active')`,
  );
}
