import { sql } from "drizzle-orm";
import { type Pollable, pollableTasks } from "./claim-tasks";
import type { Db } from "./db";
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
 * One MIN lookup at the start of each partial index asked for: one row read each, whatever the
 * table size (past the due tasks of a provider left out, which it skips). Claimed work is not due: a claim moves its time to the lease's end.
 */
export async function nextDueAt(db: Db, kinds: DueKinds): Promise<number | null> {
  const task =
    kinds.tasks !== null
      ? sql`(SELECT min(next_poll_at) FROM tasks WHERE next_poll_at IS NOT NULL AND ${pollableTasks(kinds.tasks)})`
      : sql`NULL`;
  const message = kinds.messages ? sql`(SELECT min(next_attempt_at) FROM messages WHERE next_attempt_at IS NOT NULL)` : sql`NULL`;
  const archive = kinds.archives ? sql`(SELECT min(next_attempt_at) FROM archive_files WHERE next_attempt_at IS NOT NULL)` : sql`NULL`;
  const row = await readOne(
    db,
    rowSchema({ task: intOrNull, message: intOrNull, archive: intOrNull }),
    "the next due times",
    sql`SELECT ${task} AS task, ${message} AS message, ${archive} AS archive`,
  );
  const times = [row?.task, row?.message, row?.archive].filter((t): t is number => typeof t === "number");
  return times.length > 0 ? Math.min(...times) : null;
}
