import { getTableName, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { type Db, statement } from "./db";
import { column, rowSchema } from "./rows";
import { archiveFiles, deliveryAttempts, inboundHints, messages, subscriptions, tasks, upstreamOwners } from "./schema";

/**
 * The rows that hang off a task, known here once: retention (storage/retention.ts) and a deleted
 * tenant's removal (storage/tenant-purge.ts) delete them with their tasks through
 * `deleteTaskDependents`. A new table that names a task (or one of these rows) goes here or in
 * `OUTLIVING_TASKS`; test/task-dependents.test.ts fails until it does.
 */

/** A table whose rows belong to a task: `by` names a row of `of` (the task, or another dependent). */
export interface TaskDependent {
  table: SQLiteTable;
  by: SQLiteColumn;
  of: SQLiteTable;
}

/** In the order they are deleted: every row before the one it names. */
export const TASK_DEPENDENTS: readonly TaskDependent[] = [
  { table: deliveryAttempts, by: deliveryAttempts.messageId, of: messages },
  { table: messages, by: messages.subscriptionId, of: subscriptions },
  { table: subscriptions, by: subscriptions.taskKey, of: tasks },
  { table: archiveFiles, by: archiveFiles.taskKey, of: tasks },
];

/** Tables that name a task by its upstream id yet outlive it, each for its reason. */
export const OUTLIVING_TASKS: readonly { table: SQLiteTable; why: string }[] = [
  { table: upstreamOwners, why: "who created an upstream task matters while upstream keeps it (UPSTREAM_OWNER_TTL_MS)" },
  { table: inboundHints, why: "a callback about a task nobody registered yet: kept HINT_TTL_MS, whatever the tasks" },
];

/** The ids of `table`'s rows that belong to the tasks of `taskSet`, as a parenthesised SQL set. */
function rowsOf(table: SQLiteTable, taskSet: SQL): SQL {
  if (table === tasks) return taskSet;
  const dependent = TASK_DEPENDENTS.find((d) => d.table === table);
  if (!dependent) throw new Error(`${getTableName(table)} is no task dependent`);
  return sql`(SELECT id FROM ${sql.raw(getTableName(table))} WHERE ${sql.raw(dependent.by.name)} IN ${rowsOf(dependent.of, taskSet)})`;
}

/**
 * The deletions of every dependent row of the tasks of `taskSet` (a parenthesised SQL set of task
 * keys, evaluated in each statement: it must still name the tasks once their rows are gone), in
 * `TASK_DEPENDENTS` order: `DELETE FROM delivery_attempts WHERE message_id IN (SELECT id FROM
 * messages WHERE subscription_id IN (SELECT id FROM subscriptions WHERE task_key IN <taskSet>))`,
 * and so on up to the task.
 */
export const taskDependentsDeletion = (taskSet: SQL): SQL[] =>
  TASK_DEPENDENTS.map((d) => sql`DELETE FROM ${sql.raw(getTableName(d.table))} WHERE ${sql.raw(d.by.name)} IN ${rowsOf(d.of, taskSet)}`);

/** `taskDependentsDeletion` as statements, for a batch. */
export const deleteTaskDependents = (db: Db, taskSet: SQL): D1PreparedStatement[] =>
  taskDependentsDeletion(taskSet).map((q) => statement(db, q));

/** Where in `deleteTaskDependents`'s statements the archive files' deletion is (its `changes`). */
export const ARCHIVE_FILES_DELETION = TASK_DEPENDENTS.findIndex((d) => d.table === archiveFiles);

/**
 * A task to delete with one of its archived files that may have an object in R2 (LEFT JOINed: both
 * null when it has none), as retention and a tenant's removal read them.
 */
export const PurgeCandidateRow = rowSchema({
  key: column(tasks.id),
  id: column(archiveFiles.id, "nullable"),
  r2Key: column(archiveFiles.r2Key, "nullable"),
});
