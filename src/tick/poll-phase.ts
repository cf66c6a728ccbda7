import { classifyPoll, upstreamErrorKind } from "../domain/poll-outcome";
import { planNextPoll } from "../domain/poll-plan";
import { durationWindow, learnDuration } from "../domain/poll-schedule";
import { claimDueTasks, type ClaimedTask } from "../storage/claim-tasks";
import { kindKey, loadKindStats, type KindStatsEntry } from "../storage/kind-stats";
import { recordPolls, releaseTasks, type PollRecord } from "../storage/record-polls";
import { queryKlingTask } from "../upstream/query-task";
import { runPipeline } from "./pipeline";
import type { TickContext } from "./tick-context";
import { countUpstreamError } from "./tick-report";

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
  const stats = ctx.kindStats;
  const learned = new Map<string, KindStatsEntry>();
  return runPipeline<ClaimedTask, PollRecord>({
    claimable: (outstanding) => budget.claimable(clock.now(), timeout, outstanding, reserve),
    async claim(limit) {
      const now = clock.now();
      const tasks = await claimDueTasks(db, { now, limit, leaseToken, leaseMs: budget.leaseMs(now, timeout) });
      budget.spend(tasks.length);
      report.claimed += tasks.length;
      return tasks;
    },
    async work(task) {
      const exchange = await queryKlingTask({
        baseUrl: config.upstreamBaseUrl,
        apiKey: config.upstreamKey,
        action: task.action,
        action2: task.action2,
        taskId: task.taskId,
        timeoutMs: timeout,
      });
      const polledAt = clock.now();
      const outcome = classifyPoll(exchange, polledAt);
      report.polled += 1;
      if (outcome.kind === "status") {
        if (outcome.status !== task.taskStatus) report.statusChanges += 1;
      } else {
        countUpstreamError(report, upstreamErrorKind(outcome));
      }
      if (outcome.kind === "configuration" && !report.configurationError) {
        report.configurationError = outcome.error;
        // Loud on purpose: every task is stuck until an operator fixes the key or the account.
        console.error(JSON.stringify({ event: "upstream_configuration_error", error: outcome.error }));
      }
      const key = kindKey(task.action, task.action2);
      const update = planNextPoll(task, outcome, polledAt, config, durationWindow(task.action, stats.get(key)), clock.random);
      if (update.learnedDurationMs !== null) {
        const entry = { action: task.action, action2: task.action2, ...learnDuration(stats.get(key), update.learnedDurationMs) };
        stats.set(key, entry);
        learned.set(key, entry);
      }
      return { taskId: task.taskId, update };
    },
    async record(records) {
      const newlyLearned = [...learned.values()];
      learned.clear();
      report.messagesCreated += await recordPolls(db, records, leaseToken, clock.now(), newlyLearned);
    },
    async release(tasks) {
      budget.refund(tasks.length);
      const now = clock.now();
      await releaseTasks(db, tasks.map((t) => t.taskId), leaseToken, now + config.pollMaxIntervalMs, now);
    },
    // After a configuration error every other poll would fail the same way: stop spending on them.
    shouldStop: () => report.configurationError !== null,
  });
}
