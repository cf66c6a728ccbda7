import { sql } from "drizzle-orm";
import type { Db } from "./db";

/**
 * When the next task or message falls due (epoch ms), or null when nothing waits. Two MIN
 * lookups at the start of the partial indexes: one row read each, whatever the table size.
 */
export async function nextDueAt(db: Db): Promise<number | null> {
  const [row] = await db.all<{ task: number | null; message: number | null }>(sql`SELECT
    (SELECT min(next_poll_at) FROM tasks WHERE next_poll_at IS NOT NULL) AS task,
    (SELECT min(next_attempt_at) FROM messages WHERE next_attempt_at IS NOT NULL) AS message`);
  const times = [row?.task, row?.message].filter((t): t is number => typeof t === "number");
  return times.length > 0 ? Math.min(...times) : null;
}
