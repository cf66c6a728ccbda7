import { asc, inArray, lte } from "drizzle-orm";
import type { TaskSnapshot } from "../domain/poll-plan";
import type { Db } from "./db";
import { tasks } from "./schema";

/** A claimed task: what the poll plan needs, and what the upstream query needs. */
export interface ClaimedTask extends TaskSnapshot {
  taskId: string;
  action: string;
  action2: string;
}

/**
 * Claims up to `limit` due tasks in one guarded statement. Claiming moves `next_poll_at` to the
 * lease's end, so an overlapping tick cannot see them as due, and a tick that dies mid-way
 * leaves them due again when the lease runs out. The subquery walks the `tasks_due` index.
 */
export async function claimDueTasks(db: Db, options: { now: number; limit: number; leaseToken: string; leaseMs: number }): Promise<ClaimedTask[]> {
  if (options.limit <= 0) return [];
  const due = db
    .select({ taskId: tasks.taskId })
    .from(tasks)
    .where(lte(tasks.nextPollAt, options.now))
    .orderBy(asc(tasks.nextPollAt))
    .limit(options.limit);
  const rows = await db
    .update(tasks)
    .set({ leaseToken: options.leaseToken, nextPollAt: options.now + options.leaseMs })
    .where(inArray(tasks.taskId, due))
    .returning({
      taskId: tasks.taskId,
      action: tasks.action,
      action2: tasks.action2,
      taskStatus: tasks.taskStatus,
      polls: tasks.polls,
      errorStreak: tasks.errorStreak,
      notFoundStreak: tasks.notFoundStreak,
      createdAt: tasks.createdAt,
      upstreamCreatedAt: tasks.upstreamCreatedAt,
    });
  return rows;
}
