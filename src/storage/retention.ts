import { sql } from "drizzle-orm";
import { ARCHIVE_STORED_STATUSES } from "../domain/archive-states";
import type { TaskKey } from "../domain/ids";
import { OPEN_MESSAGE_STATES } from "../domain/message-states";
import { type ArchivedObject, ArchivedObjectRow, expiredArchiveFiles, forgetArchivedObjects } from "./archive-files";
import { archiveFileIn, archiveFileStatus } from "./archive-sql";
import { hourOf } from "./count-activity";
import { asJson, type Db, runBatch, statement } from "./db";
import { IDEMPOTENCY_TTL_MS } from "./idempotency";
import { HINT_TTL_MS } from "./inbound-callbacks";
import { messageIn } from "./message-sql";
import { batchRows } from "./rows";
import { ARCHIVE_FILES_DELETION, deleteTaskDependents, PurgeCandidateRow } from "./task-dependents";

/**
 * Old callback hints, and old idempotency keys, deleted per purge: a tick runs every minute, so
 * this drains 600,000 of each an hour, far more than arrive.
 */
const HINTS_PER_PURGE = 10_000;

/**
 * A task old enough to delete, as a SQL condition on `tasks`: it stopped polling before `cutoff`,
 * nothing is pending for it, and no subscription of it was registered or changed since `cutoff`
 * (a late subscriber of a finished task keeps it for a full retention period too).
 *
 * With the `ARCHIVE` bucket (`withBucket`), none of its archived files is still being copied (a
 * copy under way could put its object after retention deleted the others) or still `copied`: the
 * archive outlives the task's own retention, so `GET /v1/tasks/{id}/outputs` answers for as long
 * as a file is kept. A copied file is deleted on its own after ARCHIVE_RETENTION_DAYS (its row
 * `deleted`), and only then may its task go, with what is left: rows `deleted`, and `failed` ones
 * (whose objects, if a copy left any, are deleted with the task). Without the bucket to delete
 * objects from, none of its files may still have an object at all: only files `deleted` by
 * retention, or none. Such a task waits for the bucket rather than leave objects nobody can find.
 */
const purgeable = (cutoff: number, withBucket: boolean) => sql`tasks.settled_at < ${cutoff} AND tasks.next_poll_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM subscriptions s JOIN messages m ON m.subscription_id = s.id
    WHERE s.task_key = tasks.id AND ${messageIn("m.state", ...OPEN_MESSAGE_STATES)})
  AND NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.task_key = tasks.id AND s.updated_at >= ${cutoff})
  AND NOT EXISTS (SELECT 1 FROM archive_files a WHERE a.task_key = tasks.id
    AND ${withBucket ? archiveFileIn("a.status", ...ARCHIVE_STORED_STATUSES) : sql`a.status <> ${archiveFileStatus("deleted")}`})`;

/** A task retention may delete, with the archived files whose objects must go first. */
export interface PurgeCandidate {
  key: TaskKey;
  /** Files `failed` (a failed copy may have left an object; a candidate has none `copied`); none without the bucket. */
  files: ArchivedObject[];
}

/** What one purge reads: tasks to delete, and (with the bucket) files due on their own. */
export interface RetentionReads {
  candidates: PurgeCandidate[];
  /** Files copied before `archive.filesCutoff`, oldest first; empty without the bucket. */
  expired: ArchivedObject[];
}

interface CandidatesOptions {
  /** Tasks that stopped polling before this may go. */
  cutoff: number;
  limit: number;
  now: number;
  /** With the ARCHIVE bucket: files copied before `filesCutoff` (at most `filesLimit`) are read too. */
  archive?: { filesCutoff: number; filesLimit: number };
}

/**
 * How long the tenant that created a task on the operator's account is remembered: Kling keeps a
 * task's results 30 days; past that nobody can reach the id upstream, so nobody need be kept from it.
 */
export const UPSTREAM_OWNER_TTL_MS = 35 * 86_400_000;

/**
 * Deletes what ages out on its own (the dashboard's hourly counters, old idempotency keys,
 * callback hints and task owners) in one batch, which also reads the archived files due on their own (with the
 * bucket); then reads up to `limit` tasks that stopped polling before `cutoff` and may be deleted
 * (`purgeable`), oldest registered first, each with its files that may have objects in R2 (with the bucket;
 * without it such tasks are not candidates). Two D1 round trips, whatever is due.
 */
export async function purgeCandidates(db: Db, o: CandidatesOptions): Promise<RetentionReads> {
  const { cutoff, limit, now, archive } = o;
  // The candidates first (a CTE: its LIMIT counts tasks), then their files beside them.
  const files = archive
    ? sql`a.id, a.r2_key AS r2Key FROM c LEFT JOIN archive_files a ON a.task_key = c.id AND ${archiveFileIn("a.status", "failed")}`
    : sql`NULL AS id, NULL AS r2Key FROM c`;
  // One round trip: the tables that only age out, and what retention may delete (read last; the
  // deletes before it touch no task).
  const results = await runBatch(db, [
    // The dashboard's hourly counters age out with the rest (one row an hour: a primary-key range).
    statement(db, sql`DELETE FROM activity_hourly WHERE hour < ${hourOf(cutoff)}`),
    statement(
      db,
      sql`DELETE FROM idempotency_keys WHERE rowid IN
        (SELECT rowid FROM idempotency_keys WHERE created_at <= ${now - IDEMPOTENCY_TTL_MS} ORDER BY created_at LIMIT ${HINTS_PER_PURGE})`,
    ),
    // Callbacks about tasks nobody registered are remembered for HINT_TTL_MS only.
    statement(
      db,
      sql`DELETE FROM inbound_hints WHERE rowid IN
        (SELECT rowid FROM inbound_hints WHERE received_at < ${now - HINT_TTL_MS} ORDER BY received_at LIMIT ${HINTS_PER_PURGE})`,
    ),
    // Who created a task on the operator's account matters while upstream keeps the task.
    statement(
      db,
      sql`DELETE FROM upstream_owners WHERE rowid IN
        (SELECT rowid FROM upstream_owners WHERE created_at < ${now - UPSTREAM_OWNER_TTL_MS} ORDER BY created_at LIMIT ${HINTS_PER_PURGE})`,
    ),
    ...(archive ? [statement(db, expiredArchiveFiles(archive.filesCutoff, archive.filesLimit))] : []),
    // Oldest registered first, down `tasks_created`: a task settles after it was created, so every
    // task settled before the cutoff was created before it too (no index on settled_at: its entry
    // would cost each finishing task a row written).
    statement(
      db,
      sql`WITH c AS (SELECT id, created_at FROM tasks
      WHERE tasks.created_at < ${cutoff} AND ${purgeable(cutoff, archive !== undefined)}
      ORDER BY created_at LIMIT ${limit})
    SELECT c.id AS key, ${files} ORDER BY c.created_at`,
    ),
  ]);
  const expired = archive ? batchRows(ArchivedObjectRow, "archive files expired", results[4]) : [];
  const rows = batchRows(PurgeCandidateRow, "tasks retention may delete", results[results.length - 1]);
  const candidates = new Map<TaskKey, PurgeCandidate>();
  for (const row of rows) {
    const candidate = candidates.get(row.key) ?? { key: row.key, files: [] };
    candidates.set(row.key, candidate);
    if (row.id !== null && row.r2Key !== null) candidate.files.push({ id: row.id, taskKey: row.key, r2Key: row.r2Key });
  }
  return { candidates: [...candidates.values()], expired };
}

/** What `deleteSettledTasks` did. */
export interface PurgeResult {
  /** Tasks deleted, with their subscriptions, messages and attempts. */
  tasks: number;
  /** Archive files deleted with their tasks. */
  archiveFiles: number;
  /** Copied files expired on their own whose objects were deleted: now `deleted`. */
  archiveFilesMarked: number;
}

/**
 * Deletes the tasks of `taskKeys` (from `purgeCandidates`) in one batch whose first statement
 * checks `purgeable` again: a registration or redelivery that landed since (and makes the task poll
 * again, or gives it a pending message or a new subscription) keeps the task. The other statements
 * only delete what belongs to the tasks that statement actually deleted: subscriptions, messages,
 * attempts and archive files.
 *
 * `removedFiles`: the files whose objects were deleted from R2 before this batch: every `failed`
 * file of each task in `taskKeys` (with the bucket), and files expired on their own. The expired
 * ones (all `copied`) are marked `deleted` in the same batch (storage/archive-files.ts
 * `forgetArchivedObjects`), so no row says `copied` of an object that is gone; a `failed` file of a
 * task kept after all stays `failed`.
 */
export async function deleteSettledTasks(
  db: Db,
  taskKeys: readonly TaskKey[],
  cutoff: number,
  now: number,
  archive: { withBucket: boolean; removedFiles: readonly string[] },
): Promise<PurgeResult> {
  const none = { tasks: 0, archiveFiles: 0, archiveFilesMarked: 0 };
  const forget = archive.removedFiles.length > 0 ? forgetArchivedObjects(db, archive.removedFiles, now) : [];
  if (taskKeys.length === 0) {
    if (forget.length === 0) return none;
    const [marked] = await runBatch(db, forget);
    return { ...none, archiveFilesMarked: marked?.meta.changes ?? 0 };
  }
  const ids = asJson(taskKeys);
  const deleted = sql`(SELECT value FROM json_each(${ids}) WHERE NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = value))`;
  const dependents = deleteTaskDependents(db, deleted);
  const results = await runBatch(db, [
    statement(db, sql`DELETE FROM tasks WHERE id IN (SELECT value FROM json_each(${ids})) AND ${purgeable(cutoff, archive.withBucket)}`),
    ...dependents,
    // What is left of the removed files belongs to tasks that stay.
    ...forget,
  ]);
  const changes = (i: number) => results[i]?.meta.changes ?? 0;
  return {
    tasks: changes(0),
    archiveFiles: changes(1 + ARCHIVE_FILES_DELETION),
    archiveFilesMarked: forget.length > 0 ? changes(1 + dependents.length) : 0,
  };
}

/**
 * Deletes up to `limit` tasks that stopped polling before `cutoff` (and have no message still
 * pending), with their subscriptions, messages and attempts, where no archived object is at stake
 * (no `ARCHIVE` bucket: tasks with files that may have objects are left for when there is one; with
 * the bucket, src/archive/archive-retention.ts deletes the objects first). Bounded so one tick stays
 * cheap; a backlog drains over the following ticks. Returns the number of tasks deleted.
 */
export async function purgeSettledTasks(db: Db, cutoff: number, limit: number, now: number): Promise<number> {
  const { candidates } = await purgeCandidates(db, { cutoff, limit, now });
  const result = await deleteSettledTasks(
    db,
    candidates.map((c) => c.key),
    cutoff,
    now,
    { withBucket: false, removedFiles: [] },
  );
  return result.tasks;
}
