import { type SQL, sql } from "drizzle-orm";
import type { LeaseToken, TaskKey, TenantId } from "../domain/ids";
import { NO_ACTION } from "../domain/kling";
import type { TaskSnapshot } from "../domain/poll-plan";
import { asJson, type Db, runBatch, statement } from "./db";
import { claimPastParked, parkedAt } from "./parking";
import { batchRows, column, type RowOf, rowSchema, selectList } from "./rows";
import { tasks } from "./schema";
import { type ClaimLease, claimedKeys, endLeases, heldKeys, holdTasks, newClaimId } from "./task-leases";

/** A claimed task: what the poll plan needs, and what the upstream query needs. */
export interface ClaimedTask extends TaskSnapshot {
  /** The relay's key (`tasks.id`): what leases and records name. */
  key: TaskKey;
  provider: string;
  /** Kling's task id, as queried upstream. */
  taskId: string;
  action: string;
  action2: string;
  tenantId: TenantId;
  /** Whose account it is polled on: null the operator's (lent), `own` its tenant's. */
  upstreamAccount: "own" | null;
}

/** The columns a claimed task is read with, declared once for every statement that returns them. */
export const ClaimedTaskRow = rowSchema({
  id: column(tasks.id),
  tenant_id: column(tasks.tenantId),
  upstream_account: column(tasks.upstreamAccount),
  provider: column(tasks.provider),
  task_id: column(tasks.taskId),
  action: column(tasks.action),
  action2: column(tasks.action2),
  task_status: column(tasks.taskStatus),
  polls: column(tasks.polls),
  error_streak: column(tasks.errorStreak),
  not_found_streak: column(tasks.notFoundStreak),
  created_at: column(tasks.createdAt),
  upstream_created_at: column(tasks.upstreamCreatedAt),
  pushed_at: column(tasks.pushedAt),
});
/** One row of `claimedTaskColumns`. */
export type ClaimedTaskRow = RowOf<typeof ClaimedTaskRow>;

/** The columns of `ClaimedTaskRow` as a select list (`prefix` is a table alias such as "t."). */
export const claimedTaskColumns = (prefix = "") => selectList(ClaimedTaskRow, prefix);

export const toClaimedTask = (r: ClaimedTaskRow): ClaimedTask => ({
  key: r.id,
  provider: r.provider,
  taskId: r.task_id,
  action: r.action,
  action2: r.action2,
  tenantId: r.tenant_id,
  upstreamAccount: r.upstream_account === "own" ? "own" : null,
  taskStatus: r.task_status,
  polls: r.polls,
  errorStreak: r.error_streak,
  notFoundStreak: r.not_found_streak,
  createdAt: r.created_at,
  upstreamCreatedAt: r.upstream_created_at,
  pushedAt: r.pushed_at,
});

/**
 * What the relay can poll: every task on its tenant's own account (its credentials are the
 * tenant's: a missing or broken one is that task's configuration error, never a pause for others),
 * and on the operator's account the tasks of `providers` (those the operator has credentials for),
 * of Kling's new API only with `newApi` (its query takes an API key, not the JWT).
 */
export interface Pollable {
  providers: readonly string[];
  newApi: boolean;
}

/** `isNewApiTask` as SQL. */
const newApiTask = sql`(+action = ${NO_ACTION} AND +provider = 'kling')`;

/**
 * The tasks of `pollable`, as SQL: `+` keeps every term out of index selection, so a claim still
 * walks `tasks_due` in order (a task it cannot poll is skipped, left due).
 */
export const pollableTasks = (pollable: Pollable) =>
  sql`(+upstream_account IS NOT NULL OR (+provider IN (SELECT value FROM json_each(${asJson(pollable.providers)}))${pollable.newApi ? sql`` : sql` AND NOT ${newApiTask}`}))`;

/**
 * The statements of a claim, for one batch: the leases whose time is up end, the task ids
 * `candidates` selects (a SELECT of `id` that must leave out `heldKeys`) are held under `lease`,
 * and the last statement reads them back (`ClaimedTaskRow`s, in due order).
 */
export const claimStatements = (db: Db, lease: ClaimLease, now: number, candidates: SQL): D1PreparedStatement[] => [
  endLeases(db, now),
  holdTasks(db, lease, candidates),
  statement(db, sql`SELECT ${claimedTaskColumns()} FROM tasks WHERE id IN ${claimedKeys(lease)} ORDER BY +next_poll_at`),
];

/** The tenants whose work goes on (neither suspended nor deleted), read whole once per statement: a relay has few. */
export const liveTenants = sql`(SELECT id FROM tenants WHERE suspended_at IS NULL AND deleted_at IS NULL)`;

/**
 * Claims up to `limit` due tasks the relay can poll (`pollable`) in one D1 batch: they are held in
 * one `task_leases` row (storage/task-leases.ts) until recorded, released, or `leaseMs` from now,
 * and their own rows are not written. A due task of a suspended or deleted tenant is parked
 * instead (storage/parking.ts): moved out of every claim's way until the tenant is resumed. The
 * walk follows the `tasks_due` index, past tasks someone else holds.
 */
export async function claimDueTasks(
  db: Db,
  options: {
    now: number;
    limit: number;
    leaseToken: LeaseToken;
    leaseMs: number;
    pollable: Pollable;
    /** `batch`: only tasks of Kling's new API (polled many per request); `single`: all the others. */
    only?: "batch" | "single";
  },
): Promise<ClaimedTask[]> {
  if (options.limit <= 0) return [];
  const { now } = options;
  const only = options.only === undefined ? sql`1 = 1` : options.only === "batch" ? newApiTask : sql`NOT ${newApiTask}`;
  const due = (limit: number, tenants: SQL) =>
    sql`SELECT id FROM tasks WHERE next_poll_at <= ${now} AND ${pollableTasks(options.pollable)} AND ${only}
      AND id NOT IN ${heldKeys} AND ${tenants} ORDER BY next_poll_at LIMIT ${limit}`;
  return claimPastParked(options.limit, async (limit) => {
    const lease = { token: options.leaseToken, claim: newClaimId(), endsAt: now + options.leaseMs };
    const results = await runBatch(db, [
      // Only while some tenant is halted (a constant test, made once before the walk): the first
      // `limit` due tasks that are a halted tenant's are parked, and the claim then takes from those after them.
      statement(
        db,
        sql`UPDATE tasks SET next_poll_at = ${parkedAt(sql`tasks.tenant_id`)}
        WHERE id IN (${due(limit, sql`EXISTS (SELECT 1 FROM tenants WHERE suspended_at IS NOT NULL OR deleted_at IS NOT NULL)`)})
          AND tenant_id NOT IN ${liveTenants}`,
      ),
      ...claimStatements(db, lease, now, due(limit, sql`+tenant_id IN ${liveTenants}`)),
    ]);
    const taken = batchRows(ClaimedTaskRow, "claim due tasks", results[3]).map(toClaimedTask);
    return { taken, parked: results[0]?.meta.changes ?? 0 };
  });
}
