import { classifyPoll, upstreamErrorKind } from "../domain/poll-outcome";
import { planNextPoll } from "../domain/poll-plan";
import { claimDueTasks, type ClaimedTask } from "../storage/claim-tasks";
import { newLeaseToken } from "../storage/db";
import { recordPolls, releaseTasks, type PollRecord } from "../storage/record-polls";
import { queryKlingTask } from "../upstream/query-task";
import { runPool } from "./run-pool";
import { MAX_IN_FLIGHT } from "./tick-budget";
import type { TickContext } from "./tick-context";
import { countUpstreamError } from "./tick-report";

/**
 * One round of polling: claim what is due (within budget), query upstream with at most 6 in
 * flight, then record every result in one batch. Returns the number of tasks claimed.
 */
export async function pollRound(ctx: TickContext, cap: number): Promise<number> {
  const { db, config, clock, budget, report } = ctx;
  const now = clock.now();
  const limit = budget.claimable(now, config.upstreamTimeoutMs, cap);
  if (limit === 0 || report.configurationError) return 0;
  const leaseToken = newLeaseToken();
  const claimed = await claimDueTasks(db, { now, limit, leaseToken, leaseMs: budget.leaseMs(now, config.upstreamTimeoutMs) });
  report.claimed += claimed.length;
  const records: PollRecord[] = [];

  const pollOne = async (task: ClaimedTask) => {
    budget.spend(1);
    const exchange = await queryKlingTask({
      baseUrl: config.upstreamBaseUrl,
      apiKey: config.upstreamKey,
      action: task.action,
      action2: task.action2,
      taskId: task.taskId,
      timeoutMs: config.upstreamTimeoutMs,
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
    records.push({ taskId: task.taskId, update: planNextPoll(task, outcome, polledAt, config, clock.random) });
  };

  // After a configuration error every other poll would fail the same way: stop spending on them.
  const unstarted = await runPool(claimed, MAX_IN_FLIGHT, pollOne, () => report.configurationError !== null);
  const recordedAt = clock.now();
  report.messagesCreated += await recordPolls(db, records, leaseToken, recordedAt);
  await releaseTasks(db, unstarted.map((t) => t.taskId), leaseToken, recordedAt + config.pollMaxIntervalMs, recordedAt);
  return claimed.length;
}

