import { sql } from "drizzle-orm";
import type { Db } from "./db";

/**
 * The claim of `claimDueMessages` (the same guarded statement over the `messages_due` index),
 * returning only the ids. In queue mode the tick hands ids to consumers, which load the bodies
 * themselves: a thousand bodies of a few KiB each would cost the tick CPU time for nothing.
 */
export async function claimDueMessageIds(db: Db, options: { now: number; limit: number; leaseToken: string; leaseMs: number }): Promise<string[]> {
  if (options.limit <= 0) return [];
  const claimed = await db.all<{ id: string }>(sql`
    UPDATE messages SET lease_token = ${options.leaseToken}, next_attempt_at = ${options.now + options.leaseMs}
    WHERE id IN (SELECT id FROM messages WHERE next_attempt_at <= ${options.now} ORDER BY next_attempt_at LIMIT ${options.limit})
    RETURNING id`);
  return claimed.map((m) => m.id);
}
