import { type Config, loadConfig, pollableProviders } from "../config";
import type { InboundCallback } from "../domain/callback-body";
import { statusRank } from "../domain/callback-body";
import { type LeaseToken, newLeaseToken, type TaskKey } from "../domain/ids";
import { eventForStatus, isTerminal } from "../domain/kling";
import type { Env } from "../env";
import { openDb } from "../storage/db";
import { type CallbackScope, claimDueTasksByKey, noteCallback } from "../storage/inbound-callbacks";
import { loadKindStats } from "../storage/kind-stats";
import { loadClaimedMessages } from "../storage/load-claimed";
import { meteredD1 } from "../storage/metered-d1";
import { deliverLeased } from "../work/deliver-leased";
import type { LeasedWorkContext, LeasedWorkReport } from "../work/leased-work";
import { PUSH_WAIT_MS, PUSH_WORK_MS, pushLeaseMs } from "../work/leases";
import { durablePacer } from "../work/pace-send";
import { pollLeased, recordLeasedPolls } from "../work/poll-leased";
import { pollWork } from "../work/poll-work";
import { credentialResolver } from "../work/upstream-credentials";
import { WorkBudget } from "../work/work-budget";
import { type Clock, systemClock } from "../work/work-context";
import { emptyWorkReport } from "../work/work-report";

/** The figures of the work one callback (or early-called-back registration) set going, logged as one JSON line. */
export interface PushReport extends LeasedWorkReport {
  provider: string;
  taskId: string;
  /** A verified callback, taken as the task's state without a poll. */
  trusted: boolean;
  /** How long the callback waited for tasks polled within the minimum interval to fall due (0: it did not). */
  waitedMs: number;
}

interface PushContext extends LeasedWorkContext {
  report: PushReport;
  leaseToken: LeaseToken;
  started: number;
  born: NonNullable<LeasedWorkContext["born"]>;
}

function pushContext(env: Env, clock: Clock, about: { provider: string; taskId: string; trusted: boolean }): PushContext {
  const config = loadConfig(env);
  const report: PushReport = { ...about, ...emptyWorkReport(), released: 0, waitedMs: 0 };
  const started = clock.now();
  return {
    started,
    db: openDb(meteredD1(env.DB, report.d1)),
    config,
    clock,
    budget: new WorkBudget(config.subrequestBudget, started + PUSH_WORK_MS),
    report,
    leaseToken: newLeaseToken(),
    pacer: durablePacer(env.ENDPOINT_PACER),
    born: bornHere(config),
  };
}

/** The webhooks a callback's polls produce are born leased to it, and sent at once (`deliverNow`). */
const bornHere = (config: Config) => ({ ids: [], leaseMs: pushLeaseMs(config.deliveryTimeoutMs) });

/**
 * What one upstream callback sets going, in the request's `waitUntil`: the tasks it names are
 * marked as pushed and, when it brings news, claimed (the claim and lease a tick uses, so a tick
 * and a callback never poll one task at once); each is polled at once (or, for a verified
 * callback, takes its body as the answer), and the webhooks that produces are sent right away.
 * A task polled less than POLL_MIN_INTERVAL_SECONDS ago is confirmed when that interval ends,
 * still here (`confirmWhenDue`), unless it ends too late for `waitUntil`: then the tick does.
 * `scope`: the account the callback came from (null: the operator's); it reaches only tasks there.
 * @example c.executionCtx.waitUntil(actOnCallback(c.env, "kling", callback, true))
 */
export async function actOnCallback(
  env: Env,
  provider: string,
  callback: InboundCallback,
  trusted: boolean,
  clock: Clock = systemClock,
  scope: CallbackScope = null,
): Promise<PushReport> {
  const pushed = trusted && callback.outcome.kind === "status" ? callback.outcome : null;
  const ctx = pushContext(env, clock, { provider, taskId: callback.taskId, trusted: pushed !== null });
  const { db, config, report, leaseToken } = ctx;
  const { claimed: tasks, waiting } = await noteCallback(db, {
    provider,
    taskId: callback.taskId,
    scope,
    rank: statusRank(callback.status),
    trusted: pushed !== null,
    final: isTerminal(callback.status),
    // A tenant's own account is polled with its own credentials, whatever the operator has.
    claim: pushed !== null || scope !== null || pollableProviders(config).some((p) => p === provider),
    onlyFor: pushed !== null || isTerminal(callback.status) ? null : eventForStatus(callback.status),
    now: clock.now(),
    minIntervalMs: config.pollMinIntervalMs,
    leaseToken,
    leaseMs: pushLeaseMs(config.upstreamTimeoutMs),
  });
  if (pushed !== null && tasks.length > 0) {
    report.claimed += tasks.length;
    // A pushed answer is applied, not polled: no credentials are read.
    const work = pollWork(ctx, await loadKindStats(db), credentialResolver(db, config));
    await recordLeasedPolls(
      ctx,
      tasks.map((task) => work.apply(task, pushed)),
      leaseToken,
      work.takeLearned(),
    );
  } else {
    await pollLeased(ctx, tasks);
  }
  await deliverNow(ctx);
  return finish(await confirmWhenDue(ctx, waiting), "inbound_callback");
}

/**
 * Tasks the callback would have polled but for the minimum interval: waits for the interval's
 * end (if it comes within PUSH_WAIT_MS of the callback and the clock can wait), then claims those
 * still due, with the tick's claim, and polls and delivers them as above. A tick or another
 * callback that polled one meanwhile has moved its next poll on: it is not claimed, so a task is
 * still polled at most once per interval however many callbacks wait for it. Those not claimed
 * here are due for the tick at the interval's end. Returns the context the work ended with.
 */
async function confirmWhenDue(ctx: PushContext, waiting: readonly { key: TaskKey; dueAt: number }[]): Promise<PushContext> {
  const { clock, config, report } = ctx;
  const sleep = clock.sleep;
  const reachable = waiting.filter((w) => w.dueAt - ctx.started <= PUSH_WAIT_MS);
  if (!sleep || reachable.length === 0) return ctx;
  const wakeAt = Math.max(...reachable.map((w) => w.dueAt));
  const waitStarted = clock.now();
  // A timer may fire a little early (the claim below takes only tasks due by the clock's now):
  // sleep again, a few times at most.
  for (let now = waitStarted, naps = 0; now < wakeAt && naps < 3; now = clock.now(), naps++) await sleep(wakeAt - now);
  report.waitedMs = clock.now() - waitStarted;
  // A window of its own from here, and a lease token of its own: the first round's is recorded.
  const late: PushContext = {
    ...ctx,
    budget: new WorkBudget(ctx.budget.remaining, clock.now() + PUSH_WORK_MS),
    leaseToken: newLeaseToken(),
    born: bornHere(config),
  };
  const tasks = await claimDueTasksByKey(ctx.db, {
    taskKeys: reachable.map((w) => w.key),
    now: clock.now(),
    leaseToken: late.leaseToken,
    leaseMs: pushLeaseMs(config.upstreamTimeoutMs),
  });
  await pollLeased(late, tasks);
  await deliverNow(late);
  return late;
}

/**
 * A registration of tasks upstream already called back about (`inbound_hints`): they are due at
 * once, and polled right here rather than at the tick's next look.
 */
export async function pollRegisteredNow(
  env: Env,
  tasks: readonly { key: TaskKey; provider: string; taskId: string }[],
  clock: Clock = systemClock,
): Promise<PushReport> {
  const first = tasks[0];
  const ctx = pushContext(env, clock, { provider: first?.provider ?? "", taskId: first?.taskId ?? "", trusted: false });
  const claimed = await claimDueTasksByKey(ctx.db, {
    taskKeys: tasks.map((t) => t.key),
    now: clock.now(),
    leaseToken: ctx.leaseToken,
    leaseMs: pushLeaseMs(ctx.config.upstreamTimeoutMs),
  });
  await pollLeased(ctx, claimed);
  await deliverNow(ctx);
  return finish(ctx, "registration_after_callback");
}

/**
 * Sends the webhooks the tasks' polls just produced (born leased to this work: no claim), instead
 * of leaving them to the next tick. Those the budget leaves unsent are released, due at once; one
 * the claim would park (a halted tenant's, an open or disabled endpoint's) was created due, and
 * the tick's claim decides it.
 */
async function deliverNow(ctx: PushContext): Promise<void> {
  const ids = ctx.born.ids.splice(0);
  if (ids.length === 0) return;
  await deliverLeased(ctx, await loadClaimedMessages(ctx.db, [{ leaseToken: ctx.leaseToken, ids }]));
}

function finish(ctx: PushContext, event: string): PushReport {
  ctx.report.subrequestsLeft = ctx.budget.remaining;
  ctx.report.durationMs = ctx.clock.now() - ctx.started;
  console.log(JSON.stringify({ event, ...ctx.report }));
  return ctx.report;
}
