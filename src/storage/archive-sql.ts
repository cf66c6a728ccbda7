import type { SQL } from "drizzle-orm";
import type { ArchiveFileStatus, TaskArchiveState } from "../domain/archive-states";
import { literal, literalList, oneOf } from "./sql-literals";

/**
 * The archive's states in SQL, typed against domain/archive-states.ts: a state misspelled or
 * renamed there fails the type check here, where a literal in SQL text would not. Rendered as
 * literals, so a statement still names a partial index's WHERE clause word for word (the indexes
 * themselves, in schema.ts, keep their literals: they must match the migrations byte for byte).
 */

/** `column = 'copying'` or `column IN ('requested', 'copying')`, on `tasks.archive`. */
export const taskArchiveIn = (column: string, ...states: TaskArchiveState[]): SQL => oneOf(column, states);
/** `('requested', 'copying')`: states as a list, for `(SELECT archive ...) IN` it. */
export const taskArchiveList = (states: readonly TaskArchiveState[]): SQL => literalList(states);
/** `'done'`: a task archive state as a value to set. */
export const taskArchive = (state: TaskArchiveState): SQL => literal(state);

/** `column = 'pending'` or `column IN ('pending', 'copied')`, on `archive_files.status`. */
export const archiveFileIn = (column: string, ...statuses: ArchiveFileStatus[]): SQL => oneOf(column, statuses);
/** `'copied'`: a file status as a value to set or compare. */
export const archiveFileStatus = (status: ArchiveFileStatus): SQL => literal(status);
