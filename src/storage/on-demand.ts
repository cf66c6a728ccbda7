import { sql } from "drizzle-orm";
import type { LeaseToken, TaskKey, TenantId } from "../domain/ids";
import type { UpstreamAccount } from "../domain/upstream-access";
import { type ClaimedTask, ClaimedTaskRow, claimedTaskColumns, toClaimedTask } from "./claim-tasks";
import type { Db } from "./db";
import type { Lease } from "./load-claimed";
import { column, readOne } from "./rows";
import { tasks } from "./schema";

/**
 * Knows a task nobody subscribed to (created through the CometAPI drop-in path without a
 * `callback_url`): not polled on a schedule (`next_poll_at` NULL), settled at once so retention
 * deletes it in time; its queries through the relay answer from what it last saw. A registration
 * later makes it poll like any other.
 */
export async function rememberTask(
  db: Db,
  t: {
    key: TaskKey;
    tenantId: TenantId;
    provider: string;
    taskId: string;
    upstreamAccount: UpstreamAccount;
    action: string;
    action2: string;
    now: number;
  },
): Promise<void> {
  const account = t.upstreamAccount === "own" ? "own" : null;
  await db.run(sql`INSERT INTO tasks (id, tenant_id, provider, task_id, upstream_account, action, action2, next_poll_at, settled_at, created_at, updated_at)
    VALUES (${t.key}, ${t.tenantId}, ${t.provider}, ${t.taskId}, ${account}, ${t.action}, ${t.action2}, NULL, ${t.now}, ${t.now}, ${t.now})
    ON CONFLICT DO NOTHING`);
}

/**
 * Claims one task to poll it on an app's query, whether or not it is due: unless someone holds
 * it now (a tick polling it), and unless it finished. A task with no schedule keeps none (its
 * lease is only its token); a scheduled one is pushed to the lease's end, as a tick's claim does.
 */
export async function claimForQuery(
  db: Db,
  o: { key: TaskKey; now: number; leaseToken: LeaseToken; leaseMs: number },
): Promise<(ClaimedTask & Lease) | null> {
  const row = await readOne(
    db,
    ClaimedTaskRow.with({ next_poll_at: column(tasks.nextPollAt) }),
    "claim a task for a query",
    sql`
    UPDATE tasks SET lease_token = ${o.leaseToken},
      next_poll_at = CASE WHEN next_poll_at IS NULL THEN NULL ELSE ${o.now + o.leaseMs} END
    WHERE id = ${o.key} AND finished_at IS NULL
      AND (lease_token IS NULL OR next_poll_at IS NULL OR next_poll_at <= ${o.now})
    RETURNING ${claimedTaskColumns()}, next_poll_at`,
  );
  if (!row) return null;
  return { ...toClaimedTask(row), leaseToken: o.leaseToken, leaseEndsAt: row.next_poll_at ?? o.now + o.leaseMs };
}
