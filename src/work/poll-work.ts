import { isTaskStatus } from "../domain/kling";
import { lostCallbackChecks } from "../domain/lost-callback-watch";
import { type PollOutcome, upstreamErrorKind } from "../domain/poll-outcome";
import { planNextPoll } from "../domain/poll-plan";
import { durationWindow, learnDuration } from "../domain/poll-schedule";
import type { ClaimedTask } from "../storage/claim-tasks";
import { type KindStatsEntry, kindKey } from "../storage/kind-stats";
import type { PollRecord } from "../storage/record-polls";
import { pollUpstream, pollUpstreamBatch } from "./query-upstream";
import { accountOfRow, type CredentialResolver, type Resolution } from "./upstream-credentials";
import type { WorkContext } from "./work-context";
import { countUpstreamError } from "./work-report";

export interface PollWork {
  /** Queries upstream for one claimed task and plans its next state; never throws for upstream trouble. */
  poll(task: ClaimedTask): Promise<PollRecord>;
  /** The same for tasks of Kling's new API on one account, in one request for all of them (`isNewApiTask`). */
  pollBatch(tasks: readonly ClaimedTask[]): Promise<PollRecord[]>;
  /** Plans a task's next state from an answer upstream pushed (a verified callback) instead of a poll. */
  apply(task: ClaimedTask, outcome: PollOutcome): PollRecord;
  /** The kinds whose learned durations changed since the last call, to record with the next batch. */
  takeLearned(): KindStatsEntry[];
}

/**
 * The per-task work of polling, shared by the in-tick pipeline and the queue consumer: query
 * upstream, classify the answer, count it in the report, plan the task's next state (a pushed
 * task's safety polls watch for a lost callback when its provider loses them: lost-callback-watch.ts),
 * and learn how long tasks of its kind take. `stats` is the kind statistics read from D1 for this invocation;
 * `credentials` says which account's credentials query each task.
 * @example const work = pollWork(ctx, await loadKindStats(db), credentialResolver(db, config)); const record = await work.poll(task);
 */
export function pollWork(ctx: WorkContext, stats: Map<string, KindStatsEntry>, credentials: CredentialResolver): PollWork {
  const { config, clock, report } = ctx;
  const learned = new Map<string, KindStatsEntry>();
  /**
   * What one answer means for one task: counted in the report, its next state planned, its kind
   * learned. A configuration error on a tenant's own account (or a tenant no longer lent the
   * operator's) is that tenant's alone: logged, but it stops no other poll.
   */
  function settle(task: ClaimedTask, outcome: PollOutcome, scope: Resolution["scope"] = "operator"): PollRecord {
    const polledAt = clock.now();
    report.polled += 1;
    if (outcome.kind === "status") {
      if (outcome.status !== task.taskStatus) {
        report.statusChanges += 1;
        // Once per task (when it first reports it), not once per poll: the answer is kept.
        if (!isTaskStatus(outcome.status))
          console.warn(JSON.stringify({ event: "unknown_task_status", task_id: task.taskId, task_status: outcome.status }));
      }
    } else {
      countUpstreamError(report, upstreamErrorKind(outcome));
    }
    if (outcome.kind === "configuration" && scope === "tenant")
      console.warn(JSON.stringify({ event: "tenant_upstream_configuration_error", tenant_id: task.tenantId, error: outcome.error }));
    else if (outcome.kind === "configuration" && !report.configurationError) {
      report.configurationError = outcome.error;
      // Loud on purpose: every task is stuck until an operator fixes the key or the account.
      console.error(JSON.stringify({ event: "upstream_configuration_error", error: outcome.error }));
    }
    const key = kindKey(task.action, task.action2);
    const kind = stats.get(key);
    const window = {
      ...durationWindow(task.action, kind),
      lostCallbackChecksMs: lostCallbackChecks(task.action, kind, kind?.callbacks?.[task.provider]),
    };
    const update = planNextPoll(task, outcome, polledAt, config, window, clock.random);
    if (update.learnedDurationMs !== null) {
      const entry = { ...kind, action: task.action, action2: task.action2, ...learnDuration(kind, update.learnedDurationMs) };
      stats.set(key, entry);
      learned.set(key, entry);
    }
    return { taskKey: task.key, update, pushed: task.pushedAt !== null };
  }
  const resolve = (task: ClaimedTask) =>
    credentials.resolve({ tenantId: task.tenantId, provider: task.provider, account: accountOfRow(task.upstreamAccount) });
  const unconfigured = (error: string): PollOutcome => ({ kind: "configuration", error, retryAfterMs: null });
  return {
    async poll(task) {
      const account = await resolve(task);
      if (account.kind === "unconfigured") return settle(task, unconfigured(account.error), account.scope);
      return settle(task, await pollUpstream(config, task, () => clock.now(), account.credentials), account.scope);
    },
    apply: settle,
    async pollBatch(tasks) {
      // `batchChunks` grouped them by account (`accountKey`): the first task's is every task's.
      const account = await resolve(tasks[0]!);
      if (account.kind === "unconfigured") return tasks.map((task) => settle(task, unconfigured(account.error), account.scope));
      const outcomes = await pollUpstreamBatch(config, [...new Set(tasks.map((t) => t.taskId))], () => clock.now(), account.credentials);
      return tasks.map((task) => settle(task, outcomes.get(task.taskId)!, account.scope));
    },
    takeLearned() {
      const entries = [...learned.values()];
      learned.clear();
      return entries;
    },
  };
}
