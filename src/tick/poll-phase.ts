import { pollableOf } from "../config";
import type { TaskKey } from "../domain/ids";
import { dueCursor, type SelectedTask, selectDueTasks } from "../storage/claim-tasks";
import { loadKindStats } from "../storage/kind-stats";
import { type PollRecord, putOffSelected, recordPolls, SELECTED } from "../storage/record-polls";
import { runPipeline } from "../work/pipeline";
import { batchChunks, type PollUnit, pollUnit } from "../work/poll-units";
import { pollWork } from "../work/poll-work";
import { credentialResolver } from "../work/upstream-credentials";
import type { TickContext } from "./tick-context";

/**
 * Polls every due task the budgets allow: selects, queries upstream with at most 6 requests in
 * flight, records in batches. Tasks of Kling's new API are selected first, `KLING_BATCH_SIZE` per
 * request the budget allows, and polled a batch per request; the requests left are for the others.
 * `reserve` subrequests are left for the webhooks the polls produce. Returns the number of
 * requests (pipeline items) taken.
 *
 * No lease: the tick's polls are written only while each task's due time is still the one it was
 * selected at (`selectDueTasks`), and each selection goes on where the last one ended (`walks`), so
 * the tasks selected and not recorded yet are not taken again. A tick that dies leaves them due,
 * for the next; a record that fails leaves them to the tick's next round. Two ticks that
 * overlap may both poll such a task (a poll of the first whose record is not written when the
 * next cron begins: its last selection, at TICK_WALL_BUDGET_SECONDS, leaves 2 s for that): the
 * first record wins, the other finds its due time moved and is dropped, so its events are written
 * and sent once. That costs upstream a second call only for polls slower than those 2 s, where a
 * lease per task cost D1 two rows written on every poll.
 */
export async function pollPhase(ctx: TickContext, reserve: number): Promise<number> {
  const { db, config, clock, budget, report } = ctx;
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
  /** Where each walk of the due index goes on from: what it took before is not read again. */
  const walks = { batch: dueCursor(), single: dueCursor() };
  /** Selected and not recorded yet, with the due time each was selected at. */
  const held = new Map<TaskKey, number>();
  const hold = (tasks: readonly SelectedTask[]) => {
    for (const task of tasks) held.set(task.key, task.seenDue);
  };
  const letGo = (keys: readonly TaskKey[]) => {
    for (const key of keys) held.delete(key);
  };
  return runPipeline<PollUnit<SelectedTask>, PollRecord[]>({
    claimable: (outstanding) => budget.claimable(clock.now(), timeout, outstanding, reserve),
    async claim(limit) {
      const select = { now: clock.now(), pollable };
      const units: PollUnit<SelectedTask>[] = [];
      if (batching) {
        const tasks = await selectDueTasks(db, { ...select, limit: limit * config.klingBatchSize, only: "batch", from: walks.batch });
        const chunks = await batchChunks(config, credentials, tasks);
        // Long ids or many accounts can need more requests than the budget gave: those tasks are
        // not held, due as they were, for the tick's next round.
        const spare = chunks.splice(limit).flat();
        for (const chunk of chunks) {
          units.push({ batch: true, tasks: chunk });
          hold(chunk);
        }
        report.claimed += tasks.length - spare.length;
        if (tasks.length === 0) batching = false;
      }
      if (units.length < limit) {
        // Never Kling's new API here: batched above.
        const tasks = await selectDueTasks(db, { ...select, limit: limit - units.length, only: "single", from: walks.single });
        // Their tenants' accounts in one round trip, before the pipeline polls them.
        await credentials.prepare(tasks);
        for (const task of tasks) units.push({ batch: false, tasks: [task] });
        hold(tasks);
        report.claimed += tasks.length;
      }
      budget.spend(units.length);
      return units;
    },
    work: (unit) => pollUnit(work, unit),
    async record(done) {
      const records = done.flat().map((r) => ({ ...r, seenDue: held.get(r.taskKey) }));
      try {
        report.messagesCreated += await recordPolls(db, records, SELECTED, clock.now(), work.takeLearned());
      } finally {
        // Recorded (due later now), or lost with a failed write (due as before): either way not this tick's.
        letGo(records.map((r) => r.taskKey));
      }
    },
    async release(units) {
      budget.refund(units.length);
      const now = clock.now();
      const tasks = units.flatMap((u) => u.tasks);
      letGo(tasks.map((t) => t.key));
      // Not polled: put off like a lease that ran out, so that the next round does not take them again at once.
      await putOffSelected(db, tasks, now + config.pollMaxIntervalMs, now);
    },
    // After a configuration error every other poll would fail the same way: stop spending on them.
    shouldStop: () => report.configurationError !== null,
  });
}
