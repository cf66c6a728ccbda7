import { pollableProviders } from "../config";
import type { LeaseToken } from "../domain/ids";
import type { ClaimedTask } from "../storage/claim-tasks";
import { type KindStatsEntry, loadKindStats } from "../storage/kind-stats";
import type { Lease } from "../storage/load-claimed";
import { type PollRecord, recordPolls, releaseTasks } from "../storage/record-polls";
import { type LeasedWorkContext, runLeased } from "./leased-work";
import { type PollUnit, pollUnit, pollUnits } from "./poll-units";
import { pollWork } from "./poll-work";
import { credentialResolver } from "./upstream-credentials";

type LeasedTask = ClaimedTask & Lease;

/**
 * Polls tasks already claimed (named by queue messages, or claimed for a callback) with the same
 * work as the tick, each with its account's credentials (work/upstream-credentials.ts), and
 * records them under their leases. Tasks of Kling's new API go as the tick sends them: up to
 * `KLING_BATCH_SIZE` of one account (and one lease, which records them) per `GET /tasks?task_ids=`,
 * one subrequest of the budget each (`pollUnits`); the others one request each. Without an
 * upstream key, or after a configuration error, the tasks are handed back for a later poll instead.
 */
export async function pollLeased(ctx: LeasedWorkContext, tasks: LeasedTask[]): Promise<void> {
  if (tasks.length === 0) return;
  const { db, config, clock, report } = ctx;
  // Tasks on tenants' own accounts are polled whatever credentials the operator has.
  const canPoll = pollableProviders(config).length > 0 || tasks.some((t) => t.upstreamAccount !== null);
  const credentials = credentialResolver(db, config);
  // Every task's account in one D1 round trip, before the polls.
  await credentials.prepare(tasks);
  const work = pollWork(ctx, canPoll ? await loadKindStats(db) : new Map(), credentials);
  const units: (PollUnit<LeasedTask> & Lease)[] = [];
  // A unit starts only while every one of its tasks' leases has room for the request.
  for (const [leaseToken, held] of byLease(tasks))
    for (const unit of await pollUnits(config, credentials, held))
      units.push({ ...unit, leaseToken, leaseEndsAt: Math.min(...unit.tasks.map((t) => t.leaseEndsAt)) });
  await runLeased(ctx, units, {
    timeoutMs: config.upstreamTimeoutMs,
    work: (unit) => pollUnit(work, unit),
    size: (unit) => unit.tasks.length,
    record: (leaseToken, records) => recordLeasedPolls(ctx, records.flat(), leaseToken, work.takeLearned()),
    async release(leaseToken, unstarted) {
      const now = clock.now();
      // Work left over for lack of budget is due at once, for the next consumer or tick; after a
      // configuration error it waits like the tick's, since every poll would fail the same way.
      const next = canPoll && report.configurationError === null ? now : now + config.pollMaxIntervalMs;
      await releaseTasks(
        db,
        unstarted.flatMap((u) => u.tasks.map((t) => t.key)),
        leaseToken,
        next,
        now,
      );
    },
    shouldStop: () => !canPoll || report.configurationError !== null,
  });
}

/**
 * Records polls held under `leaseToken` in one D1 batch; with `ctx.born`, the webhooks they
 * produce are created leased to that lease for `ctx.born.leaseMs`, their ids added there for the
 * caller to send.
 */
export async function recordLeasedPolls(
  ctx: LeasedWorkContext,
  records: readonly PollRecord[],
  leaseToken: LeaseToken,
  learned: readonly KindStatsEntry[],
): Promise<void> {
  const now = ctx.clock.now();
  const born = ctx.born && { token: leaseToken, until: now + ctx.born.leaseMs };
  const recorded = await recordPolls(ctx.db, records, leaseToken, now, learned, born);
  ctx.report.messagesCreated += recorded.messagesCreated;
  ctx.born?.ids.push(...recorded.born);
}

/** Tasks by the lease that holds them: each lease's results are recorded under its own token. */
function byLease(tasks: readonly LeasedTask[]): Map<LeaseToken, LeasedTask[]> {
  const groups = new Map<LeaseToken, LeasedTask[]>();
  for (const task of tasks) {
    const group = groups.get(task.leaseToken);
    if (group) group.push(task);
    else groups.set(task.leaseToken, [task]);
  }
  return groups;
}
