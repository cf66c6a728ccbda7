import { pollableOf } from "../config";
import { claimDueTasks } from "../storage/claim-tasks";
import { loadKindStats } from "../storage/kind-stats";
import { type PollRecord, recordPolls, releaseTasks } from "../storage/record-polls";
import { tickLeaseMs } from "../work/leases";
import { runPipeline } from "../work/pipeline";
import { batchChunks, type PollUnit, pollUnit } from "../work/poll-units";
import { pollWork } from "../work/poll-work";
import { credentialResolver } from "../work/upstream-credentials";
import type { TickContext } from "./tick-context";

/**
 * Polls every due task the budgets allow: claims, queries upstream with at most 6 requests in
 * flight, records in batches. Tasks of Kling's new API are claimed first, `KLING_BATCH_SIZE` per
 * request the budget allows, and polled a batch per request; the requests left are for the others.
 * `reserve` subrequests are left for the webhooks the polls produce. Returns the number of
 * requests (pipeline items) claimed.
 */
export async function pollPhase(ctx: TickContext, reserve: number): Promise<number> {
  const { db, config, clock, budget, report, leaseToken } = ctx;
  const timeout = config.upstreamTimeoutMs;
  if (budget.claimable(clock.now(), timeout, 0, reserve) <= 0) return 0;
  ctx.kindStats ??= await loadKindStats(db);
  ctx.credentials ??= credentialResolver(db, config);
  const credentials = ctx.credentials;
  const work = pollWork(ctx, ctx.kindStats, credentials);
  const pollable = pollableOf(config);
  // Once a batch claim finds none due, this phase stops asking (one round trip saved per claim);
  // tasks of the new API registered meanwhile are claimed by the tick's next round.
  let batching = true;
  return runPipeline<PollUnit, PollRecord[]>({
    claimable: (outstanding) => budget.claimable(clock.now(), timeout, outstanding, reserve),
    async claim(limit) {
      const now = clock.now();
      const claim = { now, leaseToken, leaseMs: tickLeaseMs(budget.deadline, now, timeout), pollable };
      const units: PollUnit[] = [];
      if (batching) {
        const tasks = await claimDueTasks(db, { ...claim, limit: limit * config.klingBatchSize, only: "batch" });
        const chunks = await batchChunks(config, credentials, tasks);
        // Long ids or many accounts can need more requests than the budget gave: those tasks go back, due at once.
        const spare = chunks.splice(limit).flat();
        if (spare.length > 0)
          await releaseTasks(
            db,
            spare.map((t) => t.key),
            leaseToken,
            now,
            now,
          );
        for (const chunk of chunks) units.push({ batch: true, tasks: chunk });
        report.claimed += tasks.length - spare.length;
        if (tasks.length === 0) batching = false;
      }
      if (units.length < limit) {
        // Never Kling's new API here: batched above.
        const tasks = await claimDueTasks(db, { ...claim, limit: limit - units.length, only: "single" });
        // Their tenants' accounts in one round trip, before the pipeline polls them.
        await credentials.prepare(tasks);
        for (const task of tasks) units.push({ batch: false, tasks: [task] });
        report.claimed += tasks.length;
      }
      budget.spend(units.length);
      return units;
    },
    work: (unit) => pollUnit(work, unit),
    async record(done) {
      report.messagesCreated += await recordPolls(db, done.flat(), leaseToken, clock.now(), work.takeLearned());
    },
    async release(units) {
      budget.refund(units.length);
      const now = clock.now();
      await releaseTasks(
        db,
        units.flatMap((u) => u.tasks.map((t) => t.key)),
        leaseToken,
        now + config.pollMaxIntervalMs,
        now,
      );
    },
    // After a configuration error every other poll would fail the same way: stop spending on them.
    shouldStop: () => report.configurationError !== null,
  });
}
