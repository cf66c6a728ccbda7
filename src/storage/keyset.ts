import { type SQL, sql } from "drizzle-orm";

/**
 * Where a page ends: the sort key and rowid of its last row. Pages continue from here instead of
 * using OFFSET, which would read every skipped row again.
 */
export interface Cursor {
  key: number;
  rowid: number;
}

export interface Page<T> {
  rows: T[];
  /** The cursor of the next page, or null on the last page. */
  next: Cursor | null;
}

/**
 * The condition "after `cursor`" on an index over `column` (rowid is every index's last column,
 * so the order is total). Written as a range on the column plus a tie-break, so that SQLite
 * searches the index rather than filtering all of it.
 */
export function afterCursor(column: SQL, direction: "asc" | "desc", cursor: Cursor | undefined, rowid: SQL): SQL {
  if (!cursor) return sql`1 = 1`;
  return direction === "desc"
    ? sql`${column} <= ${cursor.key} AND (${column} < ${cursor.key} OR ${rowid} < ${cursor.rowid})`
    : sql`${column} >= ${cursor.key} AND (${column} > ${cursor.key} OR ${rowid} > ${cursor.rowid})`;
}

/** Splits `limit + 1` fetched rows into a page and the cursor of the next one. */
export function toPage<T extends { sortKey: number; rowid: number }>(rows: T[], limit: number): Page<T> {
  const pageRows = rows.slice(0, limit);
  const last = pageRows[pageRows.length - 1];
  return { rows: pageRows, next: rows.length > limit && last ? { key: last.sortKey, rowid: last.rowid } : null };
}
