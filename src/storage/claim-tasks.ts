import { type SQL, sql } from "drizzle-orm";
import type { LeaseToken, TaskKey, TenantId } from "../domain/ids";
import { NO_ACTION } from "../domain/kling";
import type { TaskSnapshot } from "../domain/poll-plan";
import { asJson, type Db, keySet } from "./db";
import { type DueLane, dueIndexOf, dueWalk } from "./due-lanes";
import { claimPastParked, parkedAt, tenantHalted, tenantHaltedOfMany } from "./parking";
import { column, int, type RowOf, readAll, rowSchema, selectList } from "./rows";
import { tasks } from "./schema";
import { claimOrLook } from "./storage-errors";

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

/** `isNewApiTask` as SQL (its terms kept out of index selection with `+`). */
const newApiTask = sql`(+action = ${NO_ACTION} AND +provider = 'kling')`;

/**
 * The tasks of `pollable`, as SQL: `+` keeps every term out of index selection, so a claim still
 * walks its lane's due index in order (a task it cannot poll is skipped, left due).
 */
export const pollableTasks = (pollable: Pollable) =>
  sql`(+upstream_account IS NOT NULL OR (+provider IN (SELECT value FROM json_each(${asJson(pollable.providers)}))${pollable.newApi ? sql`` : sql` AND NOT ${newApiTask}`}))`;

/** What `claimDueTasks` is asked for. */
interface ClaimOptions {
  now: number;
  limit: number;
  leaseToken: LeaseToken;
  /**
   * The lease's length. Its end (`now + leaseMs`) must differ from that of every other claim under
   * the same token: a claim D1 answered with an error is found again by it (`claimOrLook`).
   */
  leaseMs: number;
  pollable: Pollable;
  /** The lane (storage/due-lanes.ts): `batch` Kling's new API (polled many per request), `single` all the others. */
  only: DueLane;
}

/**
 * Claims up to `limit` due tasks the relay can poll (`pollable`) in one guarded statement. Claiming moves `next_poll_at` to the
 * lease's end, so an overlapping tick cannot see them as due, and a tick that dies mid-way
 * leaves them due again when the lease runs out. The subquery walks the lanes' due indexes.
 * A due task of a suspended or deleted tenant is parked instead (storage/parking.ts): no lease,
 * moved out of every claim's way until the tenant is resumed. A claim D1 answered with an error
 * is found again by its lease's end, down the same index (`claimOrLook`).
 * Raw SQL rather than drizzle's `returning()`, whose rows D1 answers without metering.
 */
export async function claimDueTasks(db: Db, options: ClaimOptions): Promise<ClaimedTask[]> {
  if (options.limit <= 0) return [];
  const halted = tenantHalted(sql`tasks.tenant_id`);
  const claim = () =>
    claimPastParked(options.limit, async (limit) => {
      const rows = await readAll(
        db,
        ClaimedTaskRow.with({ parked: int }),
        "claim due tasks",
        sql`
      UPDATE tasks SET lease_token = CASE WHEN c.halted THEN NULL ELSE ${options.leaseToken} END,
        next_poll_at = CASE WHEN c.halted THEN ${parkedAt(sql`tasks.tenant_id`)} ELSE ${options.now + options.leaseMs} END
      FROM (${dueWalk(options.only, sql`id, next_poll_at, ${halted} AS halted`, sql`next_poll_at <= ${options.now} AND ${pollableTasks(options.pollable)}`, limit)}) AS c
      WHERE tasks.id = c.id
      RETURNING ${claimedTaskColumns()}, lease_token IS NULL AS parked`,
      );
      const taken = rows.filter((r) => r.parked === 0).map(toClaimedTask);
      return { taken, parked: rows.length - taken.length };
    });
  const due = dueIndexOf(options.only);
  const look = async () =>
    (
      await readAll(
        db,
        ClaimedTaskRow,
        "tasks a claim leased",
        sql`SELECT ${claimedTaskColumns()} FROM ${due.from}
        WHERE ${due.lane} AND next_poll_at = ${options.now + options.leaseMs} AND lease_token = ${options.leaseToken}`,
      )
    ).map(toClaimedTask);
  return claimOrLook(claim, look);
}

/** A task a tick selected to poll without leasing it (`selectDueTasks`), with the due time it was selected at. */
export interface SelectedTask extends ClaimedTask {
  /** Its `next_poll_at` when selected: its record (and release) happen only while it is unchanged. */
  seenDue: number;
}

/**
 * Where a walk of the due index goes on from: the due time it reached, and the keys it took at
 * that time (tasks registered together share one). Each selection starts there, so it never
 * reads again what the walk took before (those tasks are still due until their record).
 */
export interface DueCursor {
  due: number;
  keys: Set<TaskKey>;
}

export const dueCursor = (): DueCursor => ({ due: 0, keys: new Set() });

interface SelectOptions {
  now: number;
  limit: number;
  pollable: Pollable;
  /** The lane walked (storage/due-lanes.ts): a cursor goes on along one index. */
  only: DueLane;
  from: DueCursor;
}

/**
 * Selects up to `limit` due tasks the relay can poll, as `claimDueTasks` does, but writes nothing
 * for them: a tick polling alone holds no lease (tick/poll-phase.ts). A same-status poll then costs
 * D1 only its record (the row and its due entry: 2 rows written, where a lease in the row
 * costs 2 more), and the record is written only while the task's due time is still the one seen
 * here (`recordPolls`' `SELECTED` guard): a task that a callback, a consumer or a tick that began
 * meanwhile took moved it, and this poll's result is dropped for theirs. What that costs is a
 * second poll of the same task in that window, never a lost or doubled event: the task's events
 * are written by one record only.
 *
 * `from`: where this walk goes on from, moved past what it selects. A due task of a halted tenant
 * is parked (one UPDATE, only when there is one), as a claim parks it. `unless`: a condition (SQL)
 * read in the same statement; when it holds, nothing is taken (`"refused"`): a tick that finds
 * another polling leases what it polls instead (storage/polling-ticks.ts).
 */
export async function selectDueTasks(db: Db, options: SelectOptions & { unless: SQL }): Promise<SelectedTask[] | "refused">;
export async function selectDueTasks(db: Db, options: SelectOptions): Promise<SelectedTask[]>;
export async function selectDueTasks(db: Db, options: SelectOptions & { unless?: SQL }): Promise<SelectedTask[] | "refused"> {
  if (options.limit <= 0) return [];
  const from = options.from;
  let refused = false;
  const taken = await claimPastParked(options.limit, async (limit) => {
    // The keys taken at `from.due` come first among its ties (the index's order): ask for as many more.
    const rows = await readAll(
      db,
      ClaimedTaskRow.with({ next_poll_at: int, halted: int, refused: int }),
      "select due tasks",
      dueWalk(
        options.only,
        sql`${claimedTaskColumns()}, next_poll_at, ${tenantHaltedOfMany(sql`tenant_id`)} AS halted, ${options.unless ?? sql`0`} AS refused`,
        sql`next_poll_at <= ${options.now} AND next_poll_at >= ${from.due} AND ${pollableTasks(options.pollable)}`,
        limit + from.keys.size,
      ),
    );
    if (rows.some((r) => r.refused === 1)) {
      refused = true;
      return { taken: [], parked: 0 };
    }
    const fresh = rows.filter((r) => !from.keys.has(r.id)).slice(0, limit);
    for (const r of fresh) {
      if (r.next_poll_at > from.due) {
        from.due = r.next_poll_at;
        from.keys = new Set();
      }
      from.keys.add(r.id);
    }
    const halted = fresh.filter((r) => r.halted === 1).map((r) => r.id);
    if (halted.length > 0)
      await db.run(sql`UPDATE tasks SET lease_token = NULL, next_poll_at = ${parkedAt(sql`tasks.tenant_id`)}
        WHERE id IN ${keySet(halted)} AND next_poll_at <= ${options.now}`);
    const taken = fresh.filter((r) => r.halted === 0).map((r) => ({ ...toClaimedTask(r), seenDue: r.next_poll_at }));
    return { taken, parked: halted.length };
  });
  return refused ? "refused" : taken;
}
