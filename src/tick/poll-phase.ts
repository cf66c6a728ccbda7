import { pollableOf } from "../config";
import { type ClaimedTask, claimDueTasks } from "../storage/claim-tasks";
import { loadKindStats } from "../storage/kind-stats";
import { type PollRecord, recordPolls, releaseTasks } from "../storage/record-polls";
import { chunkTaskIds } from "../upstream/query-kling";
import { tickLeaseMs } from "../work/leases";
import { runPipeline } from "../work/pipeline";
import { pollWork } from "../work/poll-work";
import { accountOfRow, type CredentialResolver, credentialResolver } from "../work/upstream-credentials";
import type { TickContext } from "./tick-context";

/**
 * One upstream request's worth of tasks: one task, or up to `KLING_BATCH_SIZE` tasks of Kling's new
 * API on one account, queried together (`GET /tasks?task_ids=`).
 */
type PollUnit = { batch: false; tasks: [ClaimedTask] } | { batch: true; tasks: ClaimedTask[] };

/**
 * Tasks of Kling's new API grouped by the account that queries them (one request never asks for
 * two accounts' ids), each group's ids chunked into requests; a task whose account is not
 * configured goes with the others of its tenant, and is settled without a request.
 */
async function batchChunks(ctx: TickContext, credentials: CredentialResolver, tasks: readonly ClaimedTask[]): Promise<ClaimedTask[][]> {
  const { config } = ctx;
  await credentials.prepare(tasks);
  const groups = new Map<string, ClaimedTask[]>();
  for (const task of tasks) {
    const account = await credentials.resolve({
      tenantId: task.tenantId,
      provider: task.provider,
      account: accountOfRow(task.upstreamAccount),
    });
    const key = account.kind === "ok" ? account.accountKey : `unconfigured:${task.tenantId}:${task.upstreamAccount}`;
    const group = groups.get(key);
    if (group) group.push(task);
    else groups.set(key, [task]);
  }
  const chunks: ClaimedTask[][] = [];
  for (const group of groups.values()) {
    // Two tenants may register the same id on one account: both tasks ride on its one entry.
    const byId = new Map<string, ClaimedTask[]>();
    for (const task of group) byId.set(task.taskId, [...(byId.get(task.taskId) ?? []), task]);
    for (const ids of chunkTaskIds(config.klingBaseUrl, [...byId.keys()], config.klingBatchSize))
      chunks.push(ids.flatMap((id) => byId.get(id)!));
  }
  return chunks;
}

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
        const chunks = await batchChunks(ctx, credentials, tasks);
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
    work: (unit) => (unit.batch ? work.pollBatch(unit.tasks) : work.poll(unit.tasks[0]).then((record) => [record])),
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
