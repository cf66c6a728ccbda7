import { pollableProviders } from "../config";
import { loadKindStats } from "../storage/kind-stats";
import { type LeasedIds, loadClaimedTasks } from "../storage/load-claimed";
import { recordPolls, releaseTasks } from "../storage/record-polls";
import { pollWork } from "../work/poll-work";
import { consumeLeased, countIds } from "./consume-leased";
import type { ConsumerContext } from "./consumer-context";

/**
 * Polls the tasks that poll messages name: loads those still held under each message's lease,
 * queries upstream with the same per-task work as the tick, records the batch. Without an upstream
 * key, or after a configuration error, the tasks are handed back for a later poll instead.
 */
export async function consumePolls(ctx: ConsumerContext, claims: readonly LeasedIds[]): Promise<void> {
  if (claims.length === 0) return;
  const { db, config, clock, report } = ctx;
  const tasks = await loadClaimedTasks(db, claims);
  report.skipped += countIds(claims) - tasks.length;
  if (tasks.length === 0) return;
  const canPoll = pollableProviders(config).length > 0;
  const work = pollWork(ctx, canPoll ? await loadKindStats(db) : new Map());
  await consumeLeased(ctx, tasks, {
    timeoutMs: config.upstreamTimeoutMs,
    work: (task) => work.poll(task),
    async record(leaseToken, records) {
      report.messagesCreated += await recordPolls(db, records, leaseToken, clock.now(), work.takeLearned());
    },
    async release(leaseToken, unstarted) {
      const now = clock.now();
      // Work left over for lack of budget is due at once, for the next consumer; after a
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
