import { loadConfig } from "../config";
import type { Env } from "../env";
import { newLeaseToken, openDb } from "../storage/db";
import { emptyUsage, meteredD1 } from "../storage/metered-d1";
import { nextDueAt } from "../storage/next-due";
import { purgeSettledTasks } from "../storage/retention";
import { deliveryPhase } from "./delivery-phase";
import { dispatchPhase, openDispatch, type Dispatch } from "./dispatch-phase";
import { pollPhase } from "./poll-phase";
import { TickBudget } from "./tick-budget";
import { systemClock, type Clock, type TickContext } from "./tick-context";
import { emptyReport, type TickReport } from "./tick-report";

/** Tasks deleted per tick by retention: a few small batched statements, whatever the backlog. */
const RETENTION_BATCH = 50;
/** Shortest nap while lingering: work due "now" is worth one D1 round trip, not a busy loop. */
const MIN_NAP_MS = 250;
/**
 * Longest nap while lingering: a task registered meanwhile is due at once, and is noticed within
 * this long. One indexed MIN query per nap: about 12 a minute when idle.
 */
const MAX_NAP_MS = 5_000;

/** A queue still taking work this tick (absent binding, or refused sends: the tick works itself). */
const sending = (dispatch: Dispatch | undefined): dispatch is Dispatch => dispatch !== undefined && dispatch.state !== "failed";

/**
 * The cron tick: deliver what is due, poll what is due, deliver what those polls produced; then,
 * when the clock can wait, linger until the next task or message falls due and go again, until
 * the wall-time or subrequest budget runs out. Finally purge old tasks and log one JSON line.
 * With a POLL_QUEUE or DELIVERY_QUEUE bound, that kind of work is claimed and sent to the queue
 * instead, for queue consumers to do (see dispatch-phase.ts).
 * @example await runTick(env) // from the scheduled handler
 */
export async function runTick(env: Env, clock: Clock = systemClock): Promise<TickReport> {
  const config = loadConfig(env);
  const started = clock.now();
  const report = emptyReport();
  const usage = emptyUsage();
  const ctx: TickContext = {
    db: openDb(meteredD1(env.DB, usage)),
    config,
    clock,
    budget: new TickBudget(config.subrequestBudget, started + config.tickWallBudgetMs),
    report,
    leaseToken: newLeaseToken(),
  };
  const canPoll = config.upstreamKey !== "";
  const canDeliver = config.webhookSecrets.length > 0;
  if (!canPoll) console.error(JSON.stringify({ event: "configuration_error", error: "COMETAPI_KEY is not set: polling is paused" }));
  if (!canDeliver) console.error(JSON.stringify({ event: "configuration_error", error: "WEBHOOK_SECRETS is not set: deliveries are paused" }));
  const polls = env.POLL_QUEUE ? openDispatch(env.POLL_QUEUE) : undefined;
  const deliveries = env.DELIVERY_QUEUE ? openDispatch(env.DELIVERY_QUEUE) : undefined;
  // Keep a fifth of the budget for the webhooks the polls are about to produce, when the tick
  // sends them itself.
  const reserve = () => (canDeliver && !sending(deliveries) ? Math.ceil(config.subrequestBudget / 5) : 0);
  const deliver = () => (sending(deliveries) ? dispatchPhase(ctx, "deliver", deliveries) : deliveryPhase(ctx));

  for (;;) {
    report.rounds += 1;
    if (canDeliver) await deliver();
    // Queued polls produce their webhooks later, in consumers: nothing to deliver right after.
    const pollsQueued = sending(polls);
    const polled = canPoll ? await (pollsQueued ? dispatchPhase(ctx, "poll", polls) : pollPhase(ctx, reserve())) : 0;
    if (canDeliver && polled > 0 && !pollsQueued) await deliver();
    if (!clock.sleep || report.configurationError || ctx.budget.remaining <= 0) break;
    // A tick that sent its share to a queue ends here; the next cron tick goes on.
    if (polls?.state === "capped" || deliveries?.state === "capped") break;
    if (!(await napUntilDue(ctx, clock.sleep))) break;
  }

  const now = clock.now();
  report.purged = await purgeSettledTasks(ctx.db, now - config.retentionMs, RETENTION_BATCH);
  report.subrequestsLeft = ctx.budget.remaining;
  report.durationMs = now - started;
  report.d1 = usage;
  if (polls || deliveries) {
    report.queued = { polls: polls?.queued ?? 0, deliveries: deliveries?.queued ?? 0, sendErrors: (polls?.sendErrors ?? 0) + (deliveries?.sendErrors ?? 0) };
  }
  console.log(JSON.stringify({ event: "tick", ...report }));
  return report;
}

/** Naps until some task or message is due; false when that would be past the deadline. */
async function napUntilDue(ctx: TickContext, sleep: (ms: number) => Promise<void>): Promise<boolean> {
  for (;;) {
    const now = ctx.clock.now();
    const next = await nextDueAt(ctx.db);
    if (next !== null && next <= now) return true;
    const wakeAt = Math.max(now + MIN_NAP_MS, Math.min(next ?? Infinity, now + MAX_NAP_MS));
    if (wakeAt >= ctx.budget.deadline) return false;
    await sleep(wakeAt - now);
  }
}
