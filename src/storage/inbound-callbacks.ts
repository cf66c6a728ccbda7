import { type SQL, sql } from "drizzle-orm";
import type { LeaseToken, TaskKey, TenantId } from "../domain/ids";
import { type ClaimedTask, ClaimedTaskRow, claimedTaskColumns, toClaimedTask } from "./claim-tasks";
import { type Db, keySet, runBatch, statement } from "./db";
import { storedRankSql } from "./event-order";
import type { Lease } from "./load-claimed";
import { PARKED_FROM, tenantHalted } from "./parking";
import { batchRows, column, int, readAll, rowSchema } from "./rows";
import { tasks } from "./schema";

/** A task a callback would have claimed but for the minimum interval, and when that interval ends. */
const WaitingRow = rowSchema({ id: column(tasks.id), due_at: int });

/** How long a callback about a task nobody registered is remembered (`inbound_hints`). */
export const HINT_TTL_MS = 10 * 60_000;

/**
 * Whose account a callback came from, by the URL it was sent to: null the operator's (it reaches
 * only tasks on the operator's account), or a tenant's own (only that tenant's tasks on it).
 */
export type CallbackScope = { tenantId: TenantId } | null;

/** What one callback asks of the tasks it names. */
export interface CallbackNotice {
  provider: string;
  taskId: string;
  scope: CallbackScope;
  /** The rank of the status it announces (`statusRank`): null for a status the relay does not know. */
  rank: number | null;
  /** Verified, so its body is the state: no upstream call, so no minimum interval either. */
  trusted: boolean;
  /** It announces a final status: a finish a poll sees afterwards is not a lost callback (push-stats.ts). */
  final: boolean;
  /** Whether to claim tasks at all (false: the relay cannot poll that provider, and the callback is not trusted). */
  claim: boolean;
  /**
   * The event the announced status would send (`task.processing`, ...), when confirming it matters
   * only to subscriptions that asked for it; null when it always matters (a final or unknown
   * status, or a verified callback, which costs no upstream call).
   */
  onlyFor: string | null;
  now: number;
  /** `POLL_MIN_INTERVAL_SECONDS`: the most one task is polled to confirm callbacks. */
  minIntervalMs: number;
  leaseToken: LeaseToken;
  leaseMs: number;
}

/** What a callback claimed at once, and what it would have claimed but for the minimum interval. */
export interface NotedCallback {
  claimed: (ClaimedTask & Lease)[];
  /** Due again at `dueAt` (the last poll plus the interval, or sooner if so scheduled). */
  waiting: { key: TaskKey; dueAt: number }[];
}

/** The stored status's rank, as SQL (see `STATUS_RANKS`); NULL for a status without one. */
const storedRank = storedRankSql("task_status");

/**
 * Records one upstream callback, in one D1 batch, for every task of that provider and id on the
 * account it came from (`scope`) that is still polled (a finished task ignores it):
 * - each is marked as pushed (`pushed_at`): its polls become a safety net; a final status also
 *   marks it as called back at its end (`final_pushed_at`, what push-stats.ts counts);
 * - a callback with news (a status further along than the stored one, or one either side does not
 *   know; an intermediate one only if a subscription asked for its event) claims the task for the
 *   caller to poll at once, under a lease like a tick's, unless it
 *   was polled less than `minIntervalMs` ago (then it is due by then: floods cost one poll per
 *   interval) or someone holds it now (then `repoll_at` makes it due again when that claim is
 *   recorded: that poll may have started before the change);
 * - the callback is remembered in `inbound_hints` for a registration still to come.
 * Returns the tasks claimed, with their lease, and those it would have claimed but for the
 * interval (`waiting`), with the time they fall due: the caller may claim them then
 * (`claimDueTasksByKey`) rather than leave them to the next tick.
 */
export async function noteCallback(db: Db, n: CallbackNotice): Promise<NotedCallback> {
  const account = n.scope === null ? sql`upstream_account IS NULL` : sql`tenant_id = ${n.scope.tenantId} AND upstream_account = 'own'`;
  const named = sql`provider = ${n.provider} AND task_id = ${n.taskId} AND ${account} AND next_poll_at IS NOT NULL`;
  const leased = sql`(lease_token IS NOT NULL AND next_poll_at > ${n.now})`;
  const further: SQL = n.rank === null ? sql`1` : sql`coalesce(${storedRank} < ${n.rank}, 1)`;
  // An intermediate status nobody subscribed to is not worth an upstream call: the final one is.
  const wanted: SQL =
    n.onlyFor === null
      ? sql`1`
      : sql`EXISTS (SELECT 1 FROM subscriptions s WHERE s.task_key = tasks.id AND s.status = 'active'
          AND EXISTS (SELECT 1 FROM json_each(s.events) WHERE value = ${n.onlyFor}))`;
  const news = sql`(${further} AND ${wanted})`;
  const recent: SQL = n.trusted ? sql`0` : sql`coalesce(last_polled_at > ${n.now - n.minIntervalMs}, 0)`;
  // A suspended or deleted tenant's task is not polled for a callback either: its next poll is not
  // brought forward (a parked one stays parked) and it is not claimed. The callback is still noted.
  const halted = tenantHalted(sql`tasks.tenant_id`);
  const postponed = sql`NOT ${leased} AND ${news} AND ${recent} AND next_poll_at < ${PARKED_FROM} AND NOT ${halted}`;
  /** When a postponed task falls due: at the interval's end, or sooner if so scheduled. */
  const postponedTo = sql`min(next_poll_at, last_polled_at + ${n.minIntervalMs})`;
  const results = await runBatch(db, [
    // Read before the UPDATE below moves next_poll_at (one batch: one transaction).
    statement(
      db,
      sql`SELECT id, ${postponedTo} AS due_at FROM tasks
      WHERE ${named} AND ${n.claim ? sql`1` : sql`0`} AND ${postponed}`,
    ),
    statement(
      db,
      sql`INSERT INTO inbound_hints (provider, task_id, received_at) VALUES (${n.provider}, ${n.taskId}, ${n.now})
      ON CONFLICT (provider, task_id) DO UPDATE SET received_at = excluded.received_at`,
    ),
    statement(
      db,
      sql`UPDATE tasks SET pushed_at = ${n.now},
        final_pushed_at = ${n.final ? sql`coalesce(final_pushed_at, ${n.now})` : sql`final_pushed_at`},
        repoll_at = CASE WHEN ${leased} AND ${news} THEN coalesce(repoll_at, ${n.now}) ELSE repoll_at END,
        next_poll_at = CASE WHEN ${postponed} THEN ${postponedTo} ELSE next_poll_at END,
        updated_at = ${n.now}
      WHERE ${named}`,
    ),
    statement(
      db,
      sql`UPDATE tasks SET lease_token = ${n.leaseToken}, next_poll_at = ${n.now + n.leaseMs}
      WHERE ${named} AND ${n.claim ? sql`1` : sql`0`} AND NOT ${leased} AND ${news} AND NOT ${recent} AND NOT ${halted}
      RETURNING ${claimedTaskColumns()}, next_poll_at`,
    ),
  ]);
  const waiting = batchRows(WaitingRow, "tasks a callback waits for", results[0]);
  const rows = batchRows(ClaimedTaskRow.with({ next_poll_at: int }), "claim a task called back about", results[3]);
  return {
    claimed: rows.map((r) => ({ ...toClaimedTask(r), leaseToken: n.leaseToken, leaseEndsAt: r.next_poll_at })),
    waiting: waiting.map((r) => ({ key: r.id, dueAt: r.due_at })),
  };
}

/**
 * Claims these tasks if they are due (a registration just made them so), under a lease, for the
 * caller to poll at once.
 */
export async function claimDueTasksByKey(
  db: Db,
  o: { taskKeys: readonly TaskKey[]; now: number; leaseToken: LeaseToken; leaseMs: number },
): Promise<(ClaimedTask & Lease)[]> {
  if (o.taskKeys.length === 0) return [];
  const rows = await readAll(
    db,
    ClaimedTaskRow.with({ next_poll_at: int }),
    "claim registered tasks due",
    sql`
    UPDATE tasks SET lease_token = ${o.leaseToken}, next_poll_at = ${o.now + o.leaseMs}
    WHERE id IN ${keySet(o.taskKeys)} AND next_poll_at <= ${o.now} AND NOT ${tenantHalted(sql`tasks.tenant_id`)}
    RETURNING ${claimedTaskColumns()}, next_poll_at`,
  );
  return rows.map((r) => ({ ...toClaimedTask(r), leaseToken: o.leaseToken, leaseEndsAt: r.next_poll_at }));
}
