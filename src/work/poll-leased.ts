import { pollableProviders } from "../config";
import type { ClaimedTask } from "../storage/claim-tasks";
import { loadKindStats } from "../storage/kind-stats";
import type { Lease } from "../storage/load-claimed";
import { recordPolls, releaseTasks } from "../storage/record-polls";
import { type LeasedWorkContext, runLeased } from "./leased-work";
import { pollWork } from "./poll-work";
import { credentialResolver } from "./upstream-credentials";

/**
 * Polls tasks already claimed (named by queue messages, or claimed for a callback) with the same
 * per-task work as the tick, each with its account's credentials (work/upstream-credentials.ts),
 * and records them under their leases. Without an upstream key, or
 * after a configuration error, the tasks are handed back for a later poll instead.
 */
export async function pollLeased(ctx: LeasedWorkContext, tasks: (ClaimedTask & Lease)[]): Promise<void> {
  if (tasks.length === 0) return;
  const { db, config, clock, report } = ctx;
  // Tasks on tenants' own accounts are polled whatever credentials the operator has.
  const canPoll = pollableProviders(config).length > 0 || tasks.some((t) => t.upstreamAccount !== null);
  const credentials = credentialResolver(db, config);
  // Every task's account in one D1 round trip, before the polls.
  await credentials.prepare(tasks);
  const work = pollWork(ctx, canPoll ? await loadKindStats(db) : new Map(), credentials);
  await runLeased(ctx, tasks, {
    timeoutMs: config.upstreamTimeoutMs,
    work: (task) => work.poll(task),
    async record(leaseToken, records) {
      report.messagesCreated += await recordPolls(db, records, leaseToken, clock.now(), work.takeLearned());
    },
    async release(leaseToken, unstarted) {
      const now = clock.now();
      // Work left over for lack of budget is due at once, for the next consumer or tick; after a
      // configuration error it waits like the tick's, since every poll would fail the same way.
      const next = canPoll && report.configurationError === null ? now : now + config.pollMaxIntervalMs;
      await releaseTasks(
        db,
        unstarted.map((t) => t.key),
        leaseToken,
        next,
        now,
      );
    },
    shouldStop: () => !canPoll || report.configurationError !== null,
  });
}
