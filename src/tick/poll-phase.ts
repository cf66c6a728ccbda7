import { pollableProviders } from "../config";
import { type ClaimedTask, claimDueTasks } from "../storage/claim-tasks";
import { loadKindStats } from "../storage/kind-stats";
import { type PollRecord, recordPolls, releaseTasks } from "../storage/record-polls";
import { tickLeaseMs } from "../work/leases";
import { runPipeline } from "../work/pipeline";
import { pollWork } from "../work/poll-work";
import type { TickContext } from "./tick-context";

/**
 * Polls every due task the budgets allow: claims, queries upstream with at most 6 in flight,
 * records in batches. `reserve` subrequests are left for the webhooks the polls produce.
 * Returns the number of tasks claimed.
 */
export async function pollPhase(ctx: TickContext, reserve: number): Promise<number> {
  const { db, config, clock, budget, report, leaseToken } = ctx;
  const timeout = config.upstreamTimeoutMs;
  if (budget.claimable(clock.now(), timeout, 0, reserve) <= 0) return 0;
  ctx.kindStats ??= await loadKindStats(db);
  const work = pollWork(ctx, ctx.kindStats);
  return runPipeline<ClaimedTask, PollRecord>({
    claimable: (outstanding) => budget.claimable(clock.now(), timeout, outstanding, reserve),
    async claim(limit) {
      const now = clock.now();
      const leaseMs = tickLeaseMs(budget.deadline, now, timeout);
      const tasks = await claimDueTasks(db, { now, limit, leaseToken, leaseMs, providers: pollableProviders(config) });
      budget.spend(tasks.length);
      report.claimed += tasks.length;
      return tasks;
    },
    work: (task) => work.poll(task),
    async record(records) {
      report.messagesCreated += await recordPolls(db, records, leaseToken, clock.now(), work.takeLearned());
    },
    async release(tasks) {
      budget.refund(tasks.length);
      const now = clock.now();
      await releaseTasks(
        db,
        tasks.map((t) => t.key),
        leaseToken,
        now + config.pollMaxIntervalMs,
        now,
      );
    },
    // After a configuration error every other poll would fail the same way: stop spending on them.
    shouldStop: () => report.configurationError !== null,
  });
}
