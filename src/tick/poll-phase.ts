import { pollableOf } from "../config";
import type { TaskKey } from "../domain/ids";
import { type ClaimedTask, claimDueTasks, type DueCursor, dueCursor, type Pollable, selectDueTasks } from "../storage/claim-tasks";
import type { Db } from "../storage/db";
import { loadKindStats } from "../storage/kind-stats";
import { announcePolling, othersPolling } from "../storage/polling-ticks";
import { type PollRecord, putOffSelected, type RecordedPolls, recordPolls, releaseTasks, SELECTED } from "../storage/record-polls";
import { tickLeaseMs } from "../work/leases";
import { runPipeline } from "../work/pipeline";
import { batchChunks, type PollUnit, pollUnit } from "../work/poll-units";
import { pollWork } from "../work/poll-work";
import { credentialResolver } from "../work/upstream-credentials";
import { claimLeaseMs, type TickContext } from "./tick-context";

/**
 * Polls every due task the budgets allow: takes them, queries upstream with at most 6 requests in
 * flight, records in batches. Tasks of Kling's new API are taken first, `KLING_BATCH_SIZE` per
 * request the budget allows, and polled a batch per request; the requests left are for the others.
 * `reserve` subrequests are left for the webhooks the polls produce. Returns the number of
 * requests (pipeline items) taken.
 *
 * A tick that polls alone (storage/polling-ticks.ts) holds no lease: it selects its due tasks
 * (`selectDueTasks`) and writes each only when it records it, guarded by the due time it saw, so
 * a same-status poll writes 2 rows, not 4; each selection goes on where the last one ended
 * (`walks`), so it never takes a task twice. A task that a callback or a consumer took meanwhile
 * moved its due time: that record is dropped, and its events are written once. A tick that finds
 * another polling claims under its lease, as every tick once did, so the two never poll a task
 * twice (but for the polls in flight when the second began). A tick that dies leaves what it
 * selected due at once, and what it leased due when the lease ends.
 */
export async function pollPhase(ctx: TickContext, reserve: number): Promise<number> {
  const { db, config, clock, budget, report, leaseToken } = ctx;
  const timeout = config.upstreamTimeoutMs;
  if (budget.claimable(clock.now(), timeout, 0, reserve) <= 0) return 0;
  if (ctx.kindStats === undefined) {
    // The tick's first poll phase: the learned figures and its announcement, in one round trip.
    const now = clock.now();
    const until = now + tickLeaseMs(budget.deadline, now, timeout);
    ctx.kindStats = await loadKindStats(db, [announcePolling(db, leaseToken, until)]);
    ctx.pollingUntil = until;
  }
  ctx.credentials ??= credentialResolver(db, config);
  const credentials = ctx.credentials;
  const work = pollWork(ctx, ctx.kindStats, credentials);
  const pollable = pollableOf(config);
  // Once a batch claim finds none due, this phase stops asking (one round trip saved per claim);
  // tasks of the new API registered meanwhile are claimed by the tick's next round.
  let batching = true;
  /** Where each walk of the due index goes on from: what it took before is not read again. */
  const walks = { batch: dueCursor(), single: dueCursor() };
  /** Taken and not recorded yet: the due time each was selected at, or LEASED. */
  const held = new Map<TaskKey, number | typeof LEASED>();
  const take = (only: "batch" | "single", limit: number) => {
    // One reading of the clock: a claim's lease ends at now + leaseMs, which must be its own.
    const now = clock.now();
    return takeDueTasks(
      db,
      { now, limit, pollable, only, from: walks[only], leaseToken, leaseMs: claimLeaseMs(ctx, tickLeaseMs(budget.deadline, now, timeout)) },
      held,
    );
  };
  return runPipeline<PollUnit, PollRecord[]>({
    claimable: (outstanding) => budget.claimable(clock.now(), timeout, outstanding, reserve),
    async claim(limit) {
      const units: PollUnit[] = [];
      if (batching) {
        const tasks = await take("batch", limit * config.klingBatchSize);
        const chunks = await batchChunks(config, credentials, tasks);
        // Long ids or many accounts can need more requests than the budget gave: those tasks go
        // back, due at once (a selected one was never written: it is due as it was).
        const spare = chunks.splice(limit).flat();
        const now = clock.now();
        await letGo(db, spare, held, now, leaseToken, now);
        for (const chunk of chunks) units.push({ batch: true, tasks: chunk });
        report.claimed += tasks.length - spare.length;
        if (tasks.length === 0) batching = false;
      }
      if (units.length < limit) {
        // Never Kling's new API here: batched above.
        const tasks = await take("single", limit - units.length);
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
      const records = done.flat();
      const taken = byHolder(records, (r) => r.taskKey, held);
      const selected = taken.selected.map(({ item, seenDue }) => ({ ...item, seenDue }));
      const leased = taken.leased;
      const learned = work.takeLearned();
      const now = clock.now();
      // The webhooks these polls produce, leased to this tick, which sends them next: no claim.
      const born = ctx.born && { token: leaseToken, until: now + tickLeaseMs(budget.deadline, now, config.deliveryTimeoutMs) };
      const noteRecorded = (recorded: RecordedPolls) => {
        report.messagesCreated += recorded.messagesCreated;
        ctx.born?.push(...recorded.born);
      };
      try {
        if (selected.length > 0) noteRecorded(await recordPolls(db, selected, SELECTED, clock.now(), learned, born));
        if (leased.length > 0)
          noteRecorded(await recordPolls(db, leased, leaseToken, clock.now(), selected.length > 0 ? [] : learned, born));
      } finally {
        // Recorded, or lost with a failed write (a selected task due as before, a leased one when
        // its lease ends): either way no longer this tick's.
        for (const r of records) held.delete(r.taskKey);
      }
    },
    async release(units) {
      budget.refund(units.length);
      const now = clock.now();
      // Never polled. A configuration error stopped the round: they would fail the same way, and
      // wait as its own task does (the longest interval). A failed D1 round trip stopped it: they
      // are due again at once, for the tick's next round or the next tick (a minute's wait each
      // time was what D1 faults cost most, in the soak).
      await letGo(
        db,
        units.flatMap((u) => u.tasks),
        held,
        report.configurationError !== null ? now + config.pollMaxIntervalMs : now,
        leaseToken,
        now,
      );
    },
    // After a configuration error every other poll would fail the same way: stop spending on them.
    shouldStop: () => report.configurationError !== null,
  });
}

/** What `held` says of a task taken under the tick's lease (its record checks the token). */
const LEASED = "leased";

/**
 * Up to `limit` due tasks of one walk: selected without a lease while no other tick polls (the
 * check is part of the selection), claimed under the tick's lease otherwise. Each is noted in
 * `held` with what its record will check.
 */
async function takeDueTasks(
  db: Db,
  o: {
    now: number;
    limit: number;
    pollable: Pollable;
    only: "batch" | "single";
    from: DueCursor;
    leaseToken: TickContext["leaseToken"];
    leaseMs: number;
  },
  held: Map<TaskKey, number | typeof LEASED>,
): Promise<ClaimedTask[]> {
  const selected = await selectDueTasks(db, { ...o, unless: othersPolling(o.leaseToken, o.now) });
  if (selected !== "refused") {
    for (const task of selected) held.set(task.key, task.seenDue);
    return selected;
  }
  const claimed = await claimDueTasks(db, o);
  for (const task of claimed) held.set(task.key, LEASED);
  return claimed;
}

/** Hands taken tasks back, due at `nextPollAt`: a selected one only while its due time is the one seen. */
async function letGo(
  db: Db,
  tasks: readonly ClaimedTask[],
  held: Map<TaskKey, number | typeof LEASED>,
  nextPollAt: number,
  leaseToken: TickContext["leaseToken"],
  now: number,
): Promise<void> {
  if (tasks.length === 0) return;
  const { selected, leased } = byHolder(tasks, (t) => t.key, held);
  for (const task of tasks) held.delete(task.key);
  await putOffSelected(
    db,
    selected.map(({ item, seenDue }) => ({ key: item.key, seenDue })),
    nextPollAt,
    now,
  );
  await releaseTasks(
    db,
    leased.map((t) => t.key),
    leaseToken,
    nextPollAt,
    now,
  );
}

/** Taken items by what their writes check: the due time each was selected at, or the tick's lease. */
function byHolder<T>(
  items: readonly T[],
  keyOf: (item: T) => TaskKey,
  held: ReadonlyMap<TaskKey, number | typeof LEASED>,
): { selected: { item: T; seenDue: number }[]; leased: T[] } {
  const selected: { item: T; seenDue: number }[] = [];
  const leased: T[] = [];
  for (const item of items) {
    const seenDue = held.get(keyOf(item));
    if (typeof seenDue === "number") selected.push({ item, seenDue });
    else if (seenDue === LEASED) leased.push(item);
  }
  return { selected, leased };
}
