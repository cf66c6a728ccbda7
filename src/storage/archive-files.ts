import { sql } from "drizzle-orm";
import type { ArchiveField, ArchiveFileState } from "../domain/archive-plan";
import type { ArchiveStepStatus } from "../domain/archive-states";
import type { LeaseToken, TaskKey } from "../domain/ids";
import { archiveFileIn, archiveFileStatus, taskArchive, taskArchiveIn } from "./archive-sql";
import { asJson, type Db, keySet, runBatch, statement } from "./db";
import { messageIn, messageState } from "./message-sql";
import { archiveFileTenant, claimPastParked, parkedAt, tenantHalted } from "./parking";
import { column, int, type RowOf, readAll, readOne, rowSchema, selectList } from "./rows";
import { archiveFiles, tasks } from "./schema";
import { claimOrLook } from "./storage-errors";

/**
 * The archive's D1 side: tasks whose files are to be listed, the files claimed and copied like
 * tasks are polled (a lease, `next_attempt_at`), and tasks whose copies have all ended, which then
 * release their held `task.succeeded` messages.
 */

/** What the archive has to do now, found in one round trip (each a lookup at the start of a partial index). */
export interface ArchiveWork {
  /** Tasks whose files are to be listed. */
  toList: boolean;
  /** Tasks in `copying` (some may have no pending file left: to settle). */
  copying: boolean;
  /** Files due for a copy step. */
  due: boolean;
}

export async function archiveWorkWaiting(db: Db, now: number): Promise<ArchiveWork> {
  const row = await readOne(
    db,
    rowSchema({ toList: int, copying: int, due: int }),
    "archive work waiting",
    sql`SELECT
    EXISTS (SELECT 1 FROM tasks WHERE ${taskArchiveIn("archive", "requested")} AND last_event = 'task.succeeded') AS toList,
    EXISTS (SELECT 1 FROM tasks WHERE ${taskArchiveIn("archive", "copying")}) AS copying,
    EXISTS (SELECT 1 FROM archive_files WHERE next_attempt_at <= ${now}) AS due`,
  );
  return { toList: row?.toList === 1, copying: row?.copying === 1, due: row?.due === 1 };
}

/** A succeeded task that asked for its files to be archived and has not listed them yet. */
const TaskToArchive = rowSchema({
  key: column(tasks.id),
  tenantId: column(tasks.tenantId),
  provider: column(tasks.provider),
  taskId: column(tasks.taskId),
  data: column(tasks.data),
});
export type TaskToArchive = RowOf<typeof TaskToArchive>;

/** Up to `limit` tasks to list files for (the `tasks_archive_to_list` index: empty most of the time). */
export async function tasksToArchive(db: Db, limit: number): Promise<TaskToArchive[]> {
  return readAll(
    db,
    TaskToArchive,
    "tasks to archive",
    sql`SELECT id AS key, tenant_id AS tenantId, provider, task_id AS taskId, data FROM tasks
    WHERE ${taskArchiveIn("archive", "requested")} AND last_event = 'task.succeeded' ORDER BY updated_at LIMIT ${limit}`,
  );
}

export interface NewArchiveFile {
  id: string;
  taskKey: TaskKey;
  index: number;
  field: ArchiveField;
  url: string;
  r2Key: string;
}

/**
 * Lists tasks' files (all due at once) and moves the tasks to `copying`, in one batch. A task with
 * no file at all is settled by the next `tasksToSettle`, like any other.
 */
export async function startArchives(db: Db, taskKeys: readonly TaskKey[], files: readonly NewArchiveFile[], now: number): Promise<void> {
  if (taskKeys.length === 0) return;
  const rows = asJson(files.map((f) => ({ id: f.id, task_key: f.taskKey, idx: f.index, field: f.field, url: f.url, r2_key: f.r2Key })));
  await runBatch(db, [
    statement(
      db,
      sql`INSERT INTO archive_files (id, task_key, output_index, field, source_url, r2_key, status, attempts, next_attempt_at, copied_bytes, created_at, updated_at)
      SELECT f.value ->> 'id', f.value ->> 'task_key', f.value ->> 'idx', f.value ->> 'field', f.value ->> 'url', f.value ->> 'r2_key',
        ${archiveFileStatus("pending")}, 0, ${now}, 0, ${now}, ${now}
      FROM json_each(${rows}) f JOIN tasks t ON t.id = f.value ->> 'task_key'
      WHERE ${taskArchiveIn("t.archive", "requested")}
      ON CONFLICT DO NOTHING`,
    ),
    statement(
      db,
      sql`UPDATE tasks SET archive = ${taskArchive("copying")}, updated_at = ${now} WHERE id IN ${keySet(taskKeys)} AND ${taskArchiveIn("archive", "requested")}`,
    ),
  ]);
}

/** A file claimed to copy (a step of it), as its columns are read. */
export const ClaimedArchiveFileRow = rowSchema({
  id: column(archiveFiles.id),
  taskKey: column(archiveFiles.taskKey),
  sourceUrl: column(archiveFiles.sourceUrl),
  r2Key: column(archiveFiles.r2Key),
  copiedBytes: column(archiveFiles.copiedBytes),
  /** The upload under way, as JSON (archive/copy-file.ts `CopyResume`), or null. */
  resume: column(archiveFiles.resume),
  attempts: column(archiveFiles.attempts),
});
export type ClaimedArchiveFile = RowOf<typeof ClaimedArchiveFileRow>;

/** The columns of a `ClaimedArchiveFile`, optionally qualified (`a.`): `task_key AS taskKey`, ... */
export const claimedArchiveColumns = (prefix: "" | "a." = "") => selectList(ClaimedArchiveFileRow, prefix);

interface ClaimOptions {
  now: number;
  limit: number;
  leaseToken: LeaseToken;
  /**
   * The lease's length. Its end (`now + leaseMs`) must differ from that of every other claim under
   * the same token: a claim D1 answered with an error is found again by it (`claimOrLook`).
   */
  leaseMs: number;
}

/**
 * Claims up to `limit` due files (oldest due first), moving their due time to the lease's end. A
 * due file of a suspended or deleted tenant is parked instead (storage/parking.ts). A claim D1
 * answered with an error is found again by its lease's end, down `archive_files_due` (`claimOrLook`).
 */
export async function claimDueArchiveFiles(db: Db, o: ClaimOptions): Promise<ClaimedArchiveFile[]> {
  if (o.limit <= 0) return [];
  const halted = tenantHalted(archiveFileTenant);
  const claim = () =>
    claimPastParked(o.limit, async (limit) => {
      const rows = await readAll(
        db,
        ClaimedArchiveFileRow.with({ parked: int }),
        "claim due archive files",
        sql`
      UPDATE archive_files SET lease_token = CASE WHEN c.halted THEN NULL ELSE ${o.leaseToken} END,
        next_attempt_at = CASE WHEN c.halted THEN ${parkedAt(archiveFileTenant)} ELSE ${o.now + o.leaseMs} END
      FROM (SELECT id, ${halted} AS halted FROM archive_files WHERE next_attempt_at <= ${o.now} ORDER BY next_attempt_at LIMIT ${limit}) AS c
      WHERE archive_files.id = c.id
      RETURNING ${claimedArchiveColumns()}, lease_token IS NULL AS parked`,
      );
      const taken = rows.filter((r) => r.parked === 0).map(({ parked: _, ...file }) => file);
      return { taken, parked: rows.length - taken.length };
    });
  const look = () =>
    readAll(
      db,
      ClaimedArchiveFileRow,
      "archive files a claim leased",
      sql`SELECT ${claimedArchiveColumns()} FROM archive_files WHERE next_attempt_at = ${o.now + o.leaseMs} AND lease_token = ${o.leaseToken}`,
    );
  return claimOrLook(claim, look);
}

/** What a step leaves of a file: its new state, written only while the lease still holds. */
export interface ArchiveFileRecord {
  id: string;
  taskKey: TaskKey;
  status: ArchiveStepStatus;
  attempts: number;
  nextAttemptAt: number | null;
  copiedBytes: number;
  sizeBytes: number | null;
  contentType: string | null;
  resume: string | null;
  lastError: string | null;
}

/** Records steps in one statement (guarded by the lease), then returns nothing: settle next. */
export async function recordArchiveSteps(
  db: Db,
  records: readonly ArchiveFileRecord[],
  leaseToken: LeaseToken,
  now: number,
): Promise<void> {
  if (records.length === 0) return;
  const rows = asJson(records);
  await db.run(sql`UPDATE archive_files SET
      status = r.value ->> 'status', attempts = r.value ->> 'attempts', next_attempt_at = r.value ->> 'nextAttemptAt',
      copied_bytes = r.value ->> 'copiedBytes', size_bytes = coalesce(r.value ->> 'sizeBytes', archive_files.size_bytes),
      content_type = coalesce(r.value ->> 'contentType', archive_files.content_type), resume = r.value ->> 'resume',
      last_error = r.value ->> 'lastError', lease_token = NULL,
      copied_at = CASE WHEN r.value ->> 'status' = ${archiveFileStatus("copied")} THEN ${now} END, updated_at = ${now}
    FROM json_each(${rows}) r
    WHERE archive_files.id = r.value ->> 'id' AND archive_files.lease_token = ${leaseToken}`);
}

/**
 * Notes the multipart upload a copy step just started, before any part of it, while the lease
 * still holds: a step that dies mid-part (a crash, the platform cutting the invocation) leaves its
 * id where the next step finds it, to abort, instead of an upload nobody knows of. False when the
 * lease is lost (the step must abort its upload itself).
 */
export async function noteArchiveUpload(db: Db, id: string, resume: string, leaseToken: LeaseToken, now: number): Promise<boolean> {
  const result = await db.run(sql`UPDATE archive_files SET resume = ${resume}, copied_bytes = 0, updated_at = ${now}
    WHERE id = ${id} AND lease_token = ${leaseToken}`);
  return (result.meta.changes ?? 0) === 1;
}

/** Gives claimed files back untouched, due at `at` (work a tick or consumer could not start). */
export async function releaseArchiveFiles(db: Db, ids: readonly string[], leaseToken: LeaseToken, at: number): Promise<void> {
  if (ids.length === 0) return;
  await db.run(sql`UPDATE archive_files SET lease_token = NULL, next_attempt_at = ${at}, updated_at = ${at}
    WHERE id IN ${keySet(ids)} AND lease_token = ${leaseToken}`);
}

/** One file of a task whose copies have all ended. */
const EndedArchiveFileRow = rowSchema({
  taskKey: column(archiveFiles.taskKey),
  index: column(archiveFiles.outputIndex),
  field: column(archiveFiles.field),
  /** Never `pending` (the task has no such file), though the statement cannot say so. */
  status: column(archiveFiles.status),
  r2Key: column(archiveFiles.r2Key),
  lastError: column(archiveFiles.lastError),
});
export type EndedArchiveFile = RowOf<typeof EndedArchiveFileRow>;

/**
 * The files of up to `limit` tasks in `copying` with no file pending any more (of `taskKeys` only,
 * when given), in output order: the tasks to settle. A task without files has none listed here and
 * is returned by key alone.
 */
export async function tasksToSettle(
  db: Db,
  limit: number,
  taskKeys?: readonly TaskKey[],
): Promise<{ taskKeys: TaskKey[]; files: EndedArchiveFile[] }> {
  const only = taskKeys === undefined ? sql`` : sql`AND t.id IN ${keySet(taskKeys)}`;
  const due = await readAll(
    db,
    rowSchema({ id: column(tasks.id) }),
    "tasks to settle",
    sql`SELECT t.id FROM tasks t
    WHERE ${taskArchiveIn("t.archive", "copying")} ${only}
      AND NOT EXISTS (SELECT 1 FROM archive_files a WHERE a.task_key = t.id AND ${archiveFileIn("a.status", "pending")})
    ORDER BY t.updated_at LIMIT ${limit}`,
  );
  if (due.length === 0) return { taskKeys: [], files: [] };
  const keys = due.map((t) => t.id);
  const files = await readAll(
    db,
    EndedArchiveFileRow,
    "the files of tasks to settle",
    sql`SELECT task_key AS taskKey, output_index AS "index", field, status, r2_key AS r2Key,
      last_error AS lastError
    FROM archive_files WHERE task_key IN ${keySet(keys)} ORDER BY task_key, output_index, field`,
  );
  return { taskKeys: keys, files };
}

/**
 * Marks tasks `done` with what became of their files (`archive_outputs`, the webhook's JSON), and
 * releases their held `task.succeeded` messages with it, in one batch. A file still pending (a
 * copy listed since) keeps its task in `copying`.
 */
export async function settleArchives(db: Db, settled: readonly { taskKey: TaskKey; archiveOutputs: string }[], now: number): Promise<void> {
  if (settled.length === 0) return;
  const rows = asJson(settled);
  const keys = keySet(settled.map((s) => s.taskKey));
  await runBatch(db, [
    statement(
      db,
      sql`UPDATE tasks SET archive = ${taskArchive("done")}, archive_outputs = r.value ->> 'archiveOutputs', updated_at = ${now}
      FROM json_each(${rows}) r
      WHERE tasks.id = r.value ->> 'taskKey' AND ${taskArchiveIn("tasks.archive", "copying")}
        AND NOT EXISTS (SELECT 1 FROM archive_files a WHERE a.task_key = tasks.id AND ${archiveFileIn("a.status", "pending")})`,
    ),
    statement(db, releaseHeldMessages(keys, now)),
  ]);
}

/**
 * The `held` messages of tasks in `taskKeys` that are `done`: `scheduled` now, with the task's
 * archive facts.
 */
const releaseHeldMessages = (taskKeys: ReturnType<typeof keySet>, now: number) =>
  sql`UPDATE messages SET state = ${messageState("scheduled")}, next_attempt_at = ${now}, updated_at = ${now},
    archive = (SELECT t.archive_outputs FROM subscriptions s JOIN tasks t ON t.id = s.task_key WHERE s.id = messages.subscription_id)
  WHERE ${messageIn("state", "held")}
    AND subscription_id IN (SELECT s.id FROM subscriptions s JOIN tasks t ON t.id = s.task_key
      WHERE t.id IN ${taskKeys} AND ${taskArchiveIn("t.archive", "done")})`;

/** One file of a task, as `GET /v1/tasks/{task_id}/outputs` and the dashboard's task page tell it. */
export interface TaskArchiveFile extends ArchiveFileState {
  r2Key: string;
  /** Failed attempts so far. */
  attempts: number;
  copiedBytes: number;
  sizeBytes: number | null;
}

const TaskArchiveFileRow = rowSchema({
  index: column(archiveFiles.outputIndex),
  field: column(archiveFiles.field),
  status: column(archiveFiles.status),
  r2Key: column(archiveFiles.r2Key),
  lastError: column(archiveFiles.lastError),
  attempts: column(archiveFiles.attempts),
  copiedBytes: column(archiveFiles.copiedBytes),
  sizeBytes: column(archiveFiles.sizeBytes),
});

/** Every file listed for a task (by its key), in the order the webhook reads them: output, then field. */
export async function archiveFilesOfTask(db: Db, taskKey: TaskKey): Promise<TaskArchiveFile[]> {
  return readAll(
    db,
    TaskArchiveFileRow,
    "the archive files of a task",
    sql`SELECT output_index AS "index", field, status, r2_key AS r2Key, last_error AS lastError,
      attempts, copied_bytes AS copiedBytes, size_bytes AS sizeBytes
    FROM archive_files WHERE task_key = ${taskKey} ORDER BY output_index, field`,
  );
}

/** `archiveFilesOfTask` for many tasks in one statement (a recovery's), by task key. */
export async function archiveFilesOfTasks(db: Db, taskKeys: readonly TaskKey[]): Promise<Map<TaskKey, TaskArchiveFile[]>> {
  const byTask = new Map<TaskKey, TaskArchiveFile[]>();
  if (taskKeys.length === 0) return byTask;
  const rows = await readAll(
    db,
    TaskArchiveFileRow.with({ taskKey: column(archiveFiles.taskKey) }),
    "the archive files of some tasks",
    sql`SELECT task_key AS taskKey, output_index AS "index", field, status, r2_key AS r2Key, last_error AS lastError,
      attempts, copied_bytes AS copiedBytes, size_bytes AS sizeBytes
    FROM archive_files WHERE task_key IN ${keySet(taskKeys)} ORDER BY task_key, output_index, field`,
  );
  for (const { taskKey, ...file } of rows) byTask.set(taskKey, [...(byTask.get(taskKey) ?? []), file]);
  return byTask;
}

/** A file whose object in R2 retention is about to delete. */
export const ArchivedObjectRow = rowSchema({
  id: column(archiveFiles.id),
  taskKey: column(archiveFiles.taskKey),
  r2Key: column(archiveFiles.r2Key),
});
export type ArchivedObject = RowOf<typeof ArchivedObjectRow>;

/**
 * Up to `limit` files copied before `cutoff`, oldest first: those ARCHIVE_RETENTION_DAYS deletes on
 * their own (`ArchivedObject` rows). The partial index `archive_files_copied` makes this one short
 * index search, reading nothing when nothing is due.
 */
export const expiredArchiveFiles = (cutoff: number, limit: number) =>
  sql`SELECT id, task_key AS taskKey, r2_key AS r2Key FROM archive_files
    WHERE ${archiveFileIn("status", "copied")} AND copied_at < ${cutoff} ORDER BY copied_at LIMIT ${limit}`;

/**
 * Files whose objects were just deleted from R2 (`ids`, of any task still there): the statements
 * that say so, for a batch. A copied file becomes `deleted` (the row stays, to tell what became of
 * it). Its task, if settled, goes back to `copying`: the next settling writes its `archive_outputs`
 * again (the file then `deleted by retention`, no link), and the task's `task.succeeded` messages
 * not attempted yet (nor claimed) are held again, to be released with that instead of a link to
 * nothing. The first statement's `changes` is the number of files marked.
 */
export function forgetArchivedObjects(db: Db, ids: readonly string[], now: number): D1PreparedStatement[] {
  const files = sql`(SELECT a.task_key FROM json_each(${asJson(ids)}) f JOIN archive_files a ON a.id = f.value WHERE ${archiveFileIn("a.status", "deleted")})`;
  return [
    statement(
      db,
      sql`UPDATE archive_files SET status = ${archiveFileStatus("deleted")}, updated_at = ${now} WHERE id IN ${keySet(ids)} AND ${archiveFileIn("status", "copied")}`,
    ),
    statement(
      db,
      sql`UPDATE tasks SET archive = ${taskArchive("copying")}, updated_at = ${now} WHERE id IN ${files} AND ${taskArchiveIn("archive", "done")}`,
    ),
    statement(
      db,
      sql`UPDATE messages SET next_attempt_at = NULL, state = ${messageState("held")}, updated_at = ${now}
      WHERE ${messageIn("state", "scheduled")} AND event_type = 'task.succeeded' AND attempts = 0
        AND subscription_id IN (SELECT s.id FROM subscriptions s JOIN tasks t ON t.id = s.task_key
          WHERE t.id IN ${files} AND ${taskArchiveIn("t.archive", "copying")})`,
    ),
  ];
}
