import { type SQL, sql } from "drizzle-orm";
import type { LeaseToken, TaskKey } from "../domain/ids";
import { isTerminal } from "../domain/kling";
import type { TaskUpdate } from "../domain/poll-plan";
import { countActivity } from "./count-activity";
import { asJson, type Db, keySet, runBatch } from "./db";
import { type BornLease, fanOutTaskEvents } from "./fan-out";
import { factOf, keyedWrites, keyList, textOnce } from "./keyed-writes";
import { type KindStatsEntry, saveKindStats } from "./kind-stats";
import { messageIn } from "./message-sql";
import { recordOperationEvents } from "./operation-events";
import { countPushedFinishes } from "./push-stats";
import { batchRows, int, readAll, rowSchema, text } from "./rows";
import { deliverFinishedTasks, deliverSubscriptions, stopUnwatchedTasks } from "./settle";
import { writeOnceMore } from "./storage-errors";

export interface PollRecord {
  /** The task's `tasks.id`. */
  taskKey: TaskKey;
  update: TaskUpdate;
  /** For a task selected without a lease (`selectDueTasks`): the due time it was selected at. */
  seenDue?: number;
  /**
   * A callback had come for the task when it was claimed (`pushed_at`): only such a task's finish
   * tells of the callbacks (push-stats.ts), and only its record reads the task again to count it.
   */
  pushed: boolean;
}

/**
 * Who holds the tasks a record writes: a lease (its token), or nobody: tasks a tick selected
 * (`selectDueTasks`), each written only while its due time is still its record's `seenDue`.
 */
export type PollHolder = LeaseToken | typeof SELECTED;
export const SELECTED = "selected";

/**
 * Writes a whole round of polls in one D1 batch (one transaction): the task updates, guarded by
 * their `holder` (the lease, or for tasks selected without one the due time they were selected at)
 * so a stale poll cannot overwrite a newer result; then the messages for the events they
 * produced; then the subscriptions and tasks that have nothing left to do; what was learned
 * of the durations of each kind and of the callbacks of each provider; and the hour's poll count
 * for the dashboard. With `born`, the messages its caller can send at once are created leased to
 * it (storage/fan-out.ts), their ids returned for it to send or release.
 */
export async function recordPolls(
  db: Db,
  records: readonly PollRecord[],
  holder: PollHolder,
  now: number,
  learned: readonly KindStatsEntry[] = [],
  born?: BornLease,
): Promise<RecordedPolls> {
  if (records.length === 0) return { messagesCreated: 0, born: [] };
  const row = ({ taskKey, update: u, seenDue }: PollRecord) => ({
    id: taskKey,
    task_status: u.taskStatus,
    data: u.data,
    polls: u.polls,
    upstream_created_at: u.upstreamCreatedAt,
    error_streak: u.errorStreak,
    not_found_streak: u.notFoundStreak,
    last_error: u.lastError,
    last_polled_at: u.lastPolledAt,
    next_poll_at: u.nextPollAt,
    event: u.event,
    finish_reason: u.finishReason,
    seen_due: seenDue ?? null,
  });
  const rows = asJson(records.map(row));
  // A task polled again (most polls) and a task that finished are written by two statement texts:
  // only the second names settled_at, so only a finish rewrites the index entry over it
  // (`tasks_tenant_unsettled`, which it leaves): SQLite rewrites a row's entry in every index whose
  // columns its SET names, changed or not, and D1 bills each as a row written.
  const goingOn = records.filter((r) => r.update.nextPollAt !== null);
  const finished = records.filter((r) => r.update.nextPollAt === null);
  const withEvents = records.filter((r) => r.update.event !== null).map((r) => r.taskKey);
  // Only a new event or a finish can complete a subscription or leave a task with nobody waiting:
  // a poll that saw nothing new costs just its own update. A finished task's polling stopped with
  // its record: only its subscriptions can settle (`deliverFinishedTasks`).
  const pushedFinishes = finished.filter((r) => r.pushed && isTerminal(r.update.taskStatus));
  const goingOnChanged = goingOn.filter((r) => r.update.event !== null).map((r) => r.taskKey);
  const update = (of: readonly PollRecord[], finishing: boolean) =>
    keyedWrites(
      db,
      of,
      (r) => r.taskKey,
      row,
      (count) => recordText(finishing, holder === SELECTED, count),
      [now, ...(holder === SELECTED ? [] : [holder])],
    );
  const updates = [...update(goingOn, false), ...update(finished, true)];
  const statements = [
    ...updates,
    ...(withEvents.length > 0 ? [fanOutTaskEvents(db, keySet(withEvents), now, born)] : []),
    ...(goingOnChanged.length > 0
      ? [deliverSubscriptions(db, sql`task_key IN ${keySet(goingOnChanged)}`, now), stopUnwatchedTasks(db, keySet(goingOnChanged), now)]
      : []),
    ...deliverFinishedTasks(
      db,
      finished.map((r) => ({ taskKey: r.taskKey, event: r.update.event })),
      now,
    ),
    ...saveKindStats(db, learned, now),
    // What the finishes of pushed tasks tell of the callbacks (push-stats.ts): only when a poll saw one.
    ...(pushedFinishes.length > 0 ? [countPushedFinishes(db, asJson(pushedFinishes.map(row)), now)] : []),
    // Every poll that got no status (transient, missing, rejected, configuration) set lastError.
    countActivity(db, now, { polls: records.length, upstreamErrors: records.filter((r) => r.update.lastError !== null).length }),
    // The `task.expired` operational events of the tasks this round expired (last: the results above are read by index).
    ...(records.some((r) => r.update.event === "task.expired")
      ? [
          recordOperationEvents(
            db,
            "task.expired",
            sql`SELECT t.tenant_id, t.id AS occurrence,
              json_object('task_id', t.task_id, 'provider', t.provider, 'reason', t.finish_reason, 'last_error', t.last_error,
                'registered_at', strftime('%Y-%m-%dT%H:%M:%fZ', t.created_at / 1000.0, 'unixepoch')) AS data
            FROM json_each(${rows}) r JOIN tasks t ON t.id = r.value ->> 'id'
            -- Expired by this batch's update (which checked the lease): its event time is now.
            WHERE r.value ->> 'event' = 'task.expired' AND t.last_event = 'task.expired' AND t.last_event_at = ${now}`,
            now,
          ),
        ]
      : []),
  ];
  // Tried again at once when D1 could not answer, unless it committed after all (no task of it is
  // still held as the record found it): its guarded updates would then write nothing, but the
  // counts after them (the hour's polls, the pushed finishes) would count twice. A record that
  // stood that way answered nothing: the webhooks it created leased to the caller are read back,
  // for it to send now rather than a lease later (that read failing too, they wait for the lease).
  const results = await writeOnceMore(
    () => runBatch(db, statements),
    async () => !(await anyStillHeld(db, rows, holder)),
  );
  if (withEvents.length === 0) return { messagesCreated: 0, born: [] };
  if (results === undefined)
    return { messagesCreated: 0, born: born ? await bornTo(db, keySet(withEvents), born.token, now).catch(() => []) : [] };
  const created = batchRows(CreatedRow, "messages created by a round's polls", results[updates.length]);
  return { messagesCreated: created.length, born: created.filter((m) => m.born === 1).map((m) => m.id) };
}

const CreatedRow = rowSchema({ id: text, born: int });

/**
 * The messages a record that stood (at `now`) created or revived leased to `token` for these tasks'
 * subscriptions: its fan-out wrote them at `now`, which keeps out any other of the caller's.
 */
async function bornTo(db: Db, taskKeys: SQL, token: LeaseToken, now: number): Promise<string[]> {
  const rows = await readAll(
    db,
    rowSchema({ id: text }),
    "webhooks born to a record that stood",
    sql`SELECT m.id FROM subscriptions s JOIN messages m ON m.subscription_id = s.id
    WHERE s.task_key IN ${taskKeys} AND m.lease_token = ${token} AND m.updated_at = ${now} AND ${messageIn("m.state", "leased")}`,
  );
  return rows.map((r) => r.id);
}

/**
 * Whether any task of a round's records (`rows`, JSON) is still held as the record found it: under
 * the lease `holder`, or (selected) still due at the time it was selected at. A record that
 * committed leaves none so.
 */
async function anyStillHeld(db: Db, rows: string, holder: PollHolder): Promise<boolean> {
  const held = holder === SELECTED ? "t.next_poll_at = r.value ->> 'seen_due'" : "t.lease_token = ?2";
  const found = await db.$client
    .prepare(`SELECT 1 AS found FROM json_each(?1) r JOIN tasks t ON t.id = r.value ->> 'id' WHERE ${held} LIMIT 1`)
    .bind(rows, ...(holder === SELECTED ? [] : [holder]))
    .first();
  return found !== null;
}

/** What a round's record did: the messages it created, and those of them born leased to the caller. */
export interface RecordedPolls {
  messagesCreated: number;
  /** Ids of messages leased to the caller's `born` lease: its to send, or to release. */
  born: string[];
}

/**
 * The record statement for `count` tasks: ?1 their facts (a JSON object by task key), ?2 now,
 * ?3 the lease token unless `selected`, then the keys (`keyedWrites`).
 */
function recordText(finishing: boolean, selected: boolean, count: number): string {
  const r = factOf("tasks");
  const now = sql.raw("?2");
  const keys = keyList(selected ? 3 : 4, count);
  return textOnce(
    `tasks/${finishing}/${selected}/${count}`,
    () => sql`UPDATE tasks SET
    task_status = ${r("task_status")},
    data = coalesce(${r("data")}, tasks.data),
    polls = ${r("polls")},
    upstream_created_at = ${r("upstream_created_at")},
    error_streak = ${r("error_streak")},
    not_found_streak = ${r("not_found_streak")},
    last_error = ${r("last_error")},
    last_polled_at = ${r("last_polled_at")},
    ${
      finishing
        ? sql`next_poll_at = NULL, finished_at = ${now}, settled_at = ${now},`
        : // Cancelling the last subscription pauses a task (next_poll_at NULL) even while it is
          // being polled: keep it paused rather than scheduling its next poll.
          // A callback that came during this claim (repoll_at) may announce what this poll missed:
          // the task is due again by then, to confirm it.
          sql`next_poll_at = CASE WHEN tasks.next_poll_at IS NULL THEN NULL
      WHEN tasks.repoll_at IS NOT NULL THEN min(${r("next_poll_at")}, tasks.repoll_at)
      ELSE ${r("next_poll_at")} END,
    finished_at = NULL,`
    }
    repoll_at = NULL,
    lease_token = NULL,
    last_event = coalesce(${r("event")}, tasks.last_event),
    last_event_at = CASE WHEN ${r("event")} IS NULL THEN tasks.last_event_at ELSE ${now} END,
    finish_reason = coalesce(${r("finish_reason")}, tasks.finish_reason),
    updated_at = ${now}
  WHERE tasks.id IN (${keys}) AND ${
    // Written only while it is still this tick's: the due time it was selected at, or its lease.
    selected ? sql`tasks.next_poll_at = ${r("seen_due")}` : sql`tasks.lease_token = ?3`
  }`,
  );
}

/**
 * Puts selected tasks (`selectDueTasks`) that were never polled off until `nextPollAt`, each only
 * while its due time is still the one it was selected at.
 */
export async function putOffSelected(
  db: Db,
  tasks: readonly { key: TaskKey; seenDue: number }[],
  nextPollAt: number,
  now: number,
): Promise<void> {
  if (tasks.length === 0) return;
  await db.run(sql`UPDATE tasks SET next_poll_at = ${nextPollAt}, updated_at = ${now}
    FROM json_each(${asJson(tasks.map((t) => ({ id: t.key, seen_due: t.seenDue })))}) r
    WHERE tasks.id = r.value ->> 'id' AND tasks.next_poll_at = r.value ->> 'seen_due'`);
}

/** Gives claimed tasks back untouched (for work a tick claimed but could not start). */
export async function releaseTasks(
  db: Db,
  taskKeys: readonly TaskKey[],
  leaseToken: LeaseToken,
  nextPollAt: number,
  now: number,
): Promise<void> {
  if (taskKeys.length === 0) return;
  await db.run(sql`UPDATE tasks SET lease_token = NULL, next_poll_at = ${nextPollAt}, updated_at = ${now}
    WHERE id IN ${keySet(taskKeys)} AND lease_token = ${leaseToken}`);
}
