import type { LeaseToken } from "../domain/ids";
import type { Db } from "../storage/db";
import type { Lease } from "../storage/load-claimed";
import { hasTimeLeft } from "./leases";
import { runPipeline } from "./pipeline";
import type { WorkContext } from "./work-context";
import type { WorkDispatcher } from "./work-dispatcher";
import type { WorkReport } from "./work-report";

/** The figures of work done on items already claimed elsewhere (a queue consumer, an inbound callback). */
export interface LeasedWorkReport extends WorkReport {
  /** Items not started (budget, deadline, lease nearly over): due again at once. */
  released: number;
}

/** What work on already-claimed items needs: its own D1 handle, budget and report. */
export interface LeasedWorkContext extends WorkContext {
  db: Db;
  report: LeasedWorkReport;
  /**
   * Where webhooks put off by their endpoint's rate limit go to come back by themselves at their
   * slot (a queue consumer's deliveries queue: work/send-back-later.ts); absent, they wait in D1
   * for the tick.
   */
  sendBack?: WorkDispatcher;
  /**
   * Where the webhooks its polls produce go when it sends them itself at once (an inbound
   * callback's work): created leased to the poll's lease for `leaseMs` (storage/fan-out.ts
   * `BornLease`), their ids added to `ids`. Absent (a queue consumer), they are created due, for
   * the tick to claim.
   */
  born?: { ids: string[]; leaseMs: number };
}

/** One kind of already-claimed work (polls, deliveries), as a consumer or a callback drives it. */
export interface LeasedStage<Item extends Lease, Done> {
  /** Timeout of one request of this kind: an item starts only while its lease has room for it. */
  timeoutMs: number;
  /** Does the I/O for one item (the same function the in-tick pipeline calls). */
  work(item: Item): Promise<Done>;
  /** Records the results held under one lease token, in one D1 batch. */
  record(leaseToken: LeaseToken, done: Done[]): Promise<void>;
  /** Hands back items held under one lease token that this consumer did not start. */
  release(leaseToken: LeaseToken, items: Item[]): Promise<void>;
  /** Stop starting new items (e.g. after a configuration error); never, when absent. */
  shouldStop?(): boolean;
  /**
   * How many ids one item stands for in the report's `claimed` and `released` (a batch query's
   * tasks); 1 when absent. The budget is spent per item: one item is one request.
   */
  size?(item: Item): number;
}

function byLease<T>(entries: readonly { leaseToken: LeaseToken; value: T }[]): Map<LeaseToken, T[]> {
  const groups = new Map<LeaseToken, T[]>();
  for (const { leaseToken, value } of entries) {
    const group = groups.get(leaseToken);
    if (group) group.push(value);
    else groups.set(leaseToken, [value]);
  }
  return groups;
}

/**
 * Works through items already claimed (loaded by id and lease token for a queue message, or
 * claimed by an inbound callback) with the same pipeline as the tick: at most 6 in flight, within
 * the invocation's subrequest and time budget. Every result is recorded at the end, in one D1
 * batch per lease token (one in practice: a tick sends all its messages under one token); items
 * not started are released, due again at once.
 */
export async function runLeased<Item extends Lease, Done>(
  ctx: LeasedWorkContext,
  items: Item[],
  stage: LeasedStage<Item, Done>,
): Promise<void> {
  const { clock, budget, report } = ctx;
  const count = (some: readonly Item[]) => (stage.size ? some.reduce((n, item) => n + stage.size!(item), 0) : some.length);
  const pending = [...items];
  const notStarted: Item[] = [];
  await runPipeline<Item, { leaseToken: LeaseToken; value: Done }>({
    claimable: (outstanding) => budget.claimable(clock.now(), stage.timeoutMs, outstanding),
    async claim(limit) {
      const now = clock.now();
      const taken: Item[] = [];
      while (taken.length < limit && pending.length > 0) {
        const item = pending.shift()!;
        if (hasTimeLeft(item.leaseEndsAt, now, stage.timeoutMs)) taken.push(item);
        else notStarted.push(item);
      }
      budget.spend(taken.length);
      report.claimed += count(taken);
      return taken;
    },
    work: async (item) => ({ leaseToken: item.leaseToken, value: await stage.work(item) }),
    async record(done) {
      for (const [leaseToken, values] of byLease(done)) await stage.record(leaseToken, values);
    },
    async release(unstarted) {
      budget.refund(unstarted.length);
      notStarted.push(...unstarted);
    },
    shouldStop: () => stage.shouldStop?.() ?? false,
    // The whole batch is recorded at once, before its messages are acknowledged.
    recordEvery: Infinity,
  });
  notStarted.push(...pending.splice(0));
  report.released += count(notStarted);
  for (const [leaseToken, unstarted] of byLease(notStarted.map((value) => ({ leaseToken: value.leaseToken, value })))) {
    await stage.release(leaseToken, unstarted);
  }
}
