import { type SQL, sql } from "drizzle-orm";
import { STATUS_RANKS } from "../domain/callback-body";
import { EVENT_STAGES, TASK_STATUSES } from "../domain/kling";
import { oneOfText } from "./sql-literals";

/**
 * The order of task events (`EVENT_STAGES` in domain/kling.ts) rendered as SQL, so that the
 * statements follow the one declaration: change the order there and these change with it.
 */

/**
 * The stored status's rank, as SQL on column `status` (see `STATUS_RANKS`): 0 before any status,
 * NULL for a status without one.
 */
export const storedRankSql = (status: string): SQL =>
  sql.raw(`CASE WHEN ${status} IS NULL THEN 0 ${[...STATUS_RANKS].map(([s, r]) => `WHEN ${status} = '${s}' THEN ${r}`).join(" ")} END`);

/**
 * Whether `event` (a SQL expression) can still come for a task whose stored status is `status`:
 * the last stage always (the task has not finished), an earlier stage only while the status is
 * none or one of the stages before it. A status the relay does not know allows only the last.
 * @example stillPossibleSql("e.value", "t.task_status") // e.value IN ('task.succeeded', …) OR (e.value = 'task.processing' AND (t.task_status IS NULL OR t.task_status = 'submitted')) OR …
 */
export function stillPossibleSql(event: string, status: string): SQL {
  const last = EVENT_STAGES.length;
  const earlierStatuses = (rank: number) => TASK_STATUSES.filter((s) => STATUS_RANKS.get(s)! < rank);
  const conditions = EVENT_STAGES.map((stage, index) => {
    const rank = index + 1;
    if (rank === last) return oneOfText(event, stage);
    const before = earlierStatuses(rank);
    const statusBefore = before.length === 0 ? `${status} IS NULL` : `(${status} IS NULL OR ${oneOfText(status, before)})`;
    return `(${oneOfText(event, stage)} AND ${statusBefore})`;
  });
  // The last stage first, as the statement was written by hand.
  return sql.raw(conditions.reverse().join("\n  OR "));
}
