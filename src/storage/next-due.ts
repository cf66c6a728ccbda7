import { sql } from "drizzle-orm";
import { type Pollable, pollableTasks } from "./claim-tasks";
import type { Db } from "./db";
import { type DueLane, dueIndexOf } from "./due-lanes";
import { intOrNull, readOne, rowSchema } from "./rows";

/** Which kinds of work the asking tick may still act on: the tasks it can poll (null: none), messages. */
export interface DueKinds {
  tasks: Pollable | null;
  messages: boolean;
  /** Archive copies (a failed one's retry falls due later). */
  archives?: boolean;
}

/**
 * When the next task or message of the given kinds falls due (epoch ms), or null when none waits.
 * One MIN lookup at the start of each partial index asked for (for tasks, one a due lane): one row
 * read each, whatever the table size (past the due tasks of a provider left out, which it skips).
 * Claimed work is not due: a claim moves its time to the lease's end.
 */
export async function nextDueAt(db: Db, kinds: DueKinds): Promise<number | null> {
  const pollable = kinds.tasks;
  // One lookup a lane's due index (storage/due-lanes.ts).
  const task = (lane: DueLane) => {
    if (pollable === null) return sql`NULL`;
    const due = dueIndexOf(lane);
    return sql`(SELECT min(next_poll_at) FROM ${due.from} WHERE ${due.lane} AND next_poll_at IS NOT NULL AND ${pollableTasks(pollable)})`;
  };
  const message = kinds.messages ? sql`(SELECT min(next_attempt_at) FROM messages WHERE next_attempt_at IS NOT NULL)` : sql`NULL`;
  const archive = kinds.archives ? sql`(SELECT min(next_attempt_at) FROM archive_files WHERE next_attempt_at IS NOT NULL)` : sql`NULL`;
  const row = await readOne(
    db,
    rowSchema({ batch: intOrNull, single: intOrNull, message: intOrNull, archive: intOrNull }),
    "the next due times",
    sql`SELECT ${task("batch")} AS batch, ${task("single")} AS single, ${message} AS message, ${archive} AS archive`,
  );
  const times = [row?.batch, row?.single, row?.message, row?.archive].filter((t): t is number => typeof t === "number");
  return times.length > 0 ? Math.min(...times) : null;
}
