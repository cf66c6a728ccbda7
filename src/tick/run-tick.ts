import { loadConfig } from "../config";
import type { Env } from "../env";
import { openDb } from "../storage/db";
import { purgeSettledTasks } from "../storage/retention";
import { deliveryRound } from "./delivery-round";
import { pollRound } from "./poll-round";
import { TickBudget } from "./tick-budget";
import { systemClock, type Clock, type TickContext } from "./tick-context";
import { emptyReport, type TickReport } from "./tick-report";

/** Rounds per tick: each claims only what is due, so this bounds work found mid-tick. */
const MAX_ROUNDS = 10;
/** Tasks deleted per tick by retention: a few small batched statements, whatever the backlog. */
const RETENTION_BATCH = 50;

/**
 * The cron tick: deliver what is due, poll what is due, deliver what those polls produced, and
 * repeat while there is work, budget and time; then purge old tasks and log one JSON line.
 * @example await runTick(env) // from the scheduled handler
 */
export async function runTick(env: Env, clock: Clock = systemClock): Promise<TickReport> {
  const config = loadConfig(env);
  const started = clock.now();
  const ctx: TickContext = {
    db: openDb(env.DB),
    config,
    clock,
    budget: new TickBudget(config.subrequestBudget, started + config.tickWallBudgetMs),
    report: emptyReport(),
  };
  const canPoll = config.upstreamKey !== "";
  const canDeliver = config.webhookSecrets.length > 0;
  if (!canPoll) console.error(JSON.stringify({ event: "configuration_error", error: "COMETAPI_KEY is not set: polling is paused" }));
  if (!canDeliver) console.error(JSON.stringify({ event: "configuration_error", error: "WEBHOOK_SECRETS is not set: deliveries are paused" }));

  for (let round = 0; round < MAX_ROUNDS; round++) {
    ctx.report.rounds += 1;
    const retried = canDeliver ? await deliveryRound(ctx) : 0;
    // Keep a fifth of the budget for the webhooks these polls are about to produce.
    const reserve = canDeliver ? Math.ceil(config.subrequestBudget / 5) : 0;
    const polled = canPoll ? await pollRound(ctx, ctx.budget.remaining - reserve) : 0;
    const fresh = canDeliver && polled > 0 ? await deliveryRound(ctx) : 0;
    if (retried + polled + fresh === 0) break;
  }

  const now = clock.now();
  ctx.report.purged = await purgeSettledTasks(ctx.db, now - config.retentionMs, RETENTION_BATCH);
  ctx.report.subrequestsLeft = ctx.budget.remaining;
  ctx.report.durationMs = now - started;
  console.log(JSON.stringify({ event: "tick", ...ctx.report }));
  return ctx.report;
}
