/**
 * The archive's states, each set declared once: the schema's column types, the API's enums, the
 * code's comparisons and (through storage/archive-sql.ts) its SQL all name these.
 */

/**
 * `tasks.archive` (null: not asked). A registration with `archive: true` sets `requested`; once the
 * task succeeded its files are listed and it moves to `copying`; when none is pending any more it is
 * `done` and its held `task.succeeded` messages go out. Retention deleting a copied file moves a
 * `done` task back to `copying`, so that the next settling tells the file's fate instead of a link.
 */
export const TASK_ARCHIVE_STATES = ["requested", "copying", "done"] as const;
export type TaskArchiveState = (typeof TASK_ARCHIVE_STATES)[number];

/** The states in which a task's `task.succeeded` messages are held (pending, never due) for the copies. */
export const ARCHIVE_HOLDING_STATES: readonly TaskArchiveState[] = ["requested", "copying"];
/** The states in which a task's files are listed in `archive_files`. */
export const ARCHIVE_LISTED_STATES: readonly TaskArchiveState[] = ["copying", "done"];
export const filesListed = (state: TaskArchiveState | null): boolean => state !== null && ARCHIVE_LISTED_STATES.includes(state);

/**
 * `archive_files.status`: a file is listed `pending`, and each copy step leaves it `pending`,
 * `copied` or (given up) `failed`; retention turns a `copied` file `deleted` (the row stays, to tell
 * what became of it). `copied`, `failed` and `deleted` are ended: a task with none pending settles.
 */
export const ARCHIVE_FILE_STATUSES = ["pending", "copied", "failed", "deleted"] as const;
export type ArchiveFileStatus = (typeof ARCHIVE_FILE_STATUSES)[number];
/** What a copy step can leave a file as (retention alone deletes). */
export type ArchiveStepStatus = Exclude<ArchiveFileStatus, "deleted">;
/** A file no copy will touch again. */
export type EndedArchiveFileStatus = Exclude<ArchiveFileStatus, "pending">;
/** The files that may have an object in R2 (or will have, once copied). */
export const ARCHIVE_STORED_STATUSES: readonly ArchiveFileStatus[] = ["pending", "copied"];
