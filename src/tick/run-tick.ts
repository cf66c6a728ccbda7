import { archiveRetention } from "../archive/archive-retention";
import { ByteAllowance } from "../archive/archive-work";
import { canPollKlingNewApi, loadConfig, pollableOf, pollableProviders } from "../config";
import { newLeaseToken } from "../domain/ids";
import { PROVIDERS } from "../domain/kling";
import type { Env } from "../env";
import { deliverOperationEvents } from "../operations/deliver-operation-events";
import { openDb } from "../storage/db";
import { circuitPolicy } from "../storage/endpoint-health";
import { endpointUpkeep, endpointWorkLook } from "../storage/endpoint-upkeep";
import { type D1Usage, emptyUsage, meteredD1 } from "../storage/metered-d1";
import { type DueKinds, nextDueAt } from "../storage/next-due";
import { endPolling } from "../storage/polling-ticks";
import { releaseMessages } from "../storage/record-deliveries";
import { purgeSettledTasks } from "../storage/retention";
import { isStorageUnavailable, storageErrorMessage } from "../storage/storage-errors";
import { tenantUpkeep } from "../storage/tenant-upkeep";
import { durablePacer } from "../work/pace-send";
import { deleteTenantsStep } from "../work/tenant-deletion";
import { WorkBudget } from "../work/work-budget";
import { type Clock, systemClock } from "../work/work-context";
import type { WorkDispatchers } from "../work/work-dispatcher";
import { archivePhase } from "./archive-phase";
import { deliveryPhase } from "./delivery-phase";
import { type Dispatch, dispatchPhase, openDispatch } from "./dispatch-phase";
import { pollPhase } from "./poll-phase";
import { resealPhase } from "./reseal-phase";
import { type EndReason, emptyTickReport, type TickContext, type TickReport } from "./tick-context";

/**
 * Tasks deleted per tick by retention: a few small batched statements, whatever the backlog (and,
 * with the ARCHIVE bucket, at most one R2 delete of their files' objects, with up to 1000 expired
 * files in another: src/archive/archive-retention.ts).
 */
const RETENTION_BATCH = 50;
/** Shortest nap while lingering: work due "now" is worth one D1 round trip, not a busy loop. */
const MIN_NAP_MS = 250;
/**
 * Longest nap while lingering: a task registered meanwhile is due at once, and is noticed within
 * this long. One indexed MIN query per nap: about 12 a minute when idle.
 */
const MAX_NAP_MS = 5_000;

/**
 * D1 faults in a row a lingering tick rides out. A D1 round trip that fails (one of D1's transient
 * errors, or past D1_TIMEOUT_SECONDS) ends its round (but for the ones the storage layer settles
 * itself: a record written again, a claim's look for what it leased, storage-errors.ts `claimOrLook`):
 * the work the round claimed and did not record
 * stays leased until its leases end, as a killed tick's would, and a webhook sent and not recorded
 * is sent again then, as the same webhook. The tick naps FAULT_NAP_MS and goes on; at this many
 * faults in a row D1 is taken to be down, and the tick ends (src/index.ts logs it). When the first
 * fault ended the tick, a drill's 2 % of round trips ended most lingering ticks early, and in queue
 * mode nothing was sent to the queues until the next cron (docs/reliability.md, the 20,000-task soak).
 */
const STORAGE_FAULTS_IN_A_ROW = 3;
/** The nap after a D1 fault: D1's transient errors pass in moments (a dropped connection, a reset). */
const FAULT_NAP_MS = 1_000;

/** A queue still taking work this tick (no dispatcher, or refused sends: the tick works itself). */
const sending = (dispatch: Dispatch | undefined): dispatch is Dispatch => dispatch !== undefined && dispatch.state !== "failed";

/**
 * The cron tick: deliver what is due, poll what is due, copy due output files into the archive
 * (with the ARCHIVE bucket bound), deliver what those produced; then,
 * when the clock can wait, linger until the next task or message it may act on falls due and go
 * again. It ends at its wall-time budget, or sooner when it may act on nothing more: subrequests
 * spent, polling or delivery paused (no key, no secret), a queue's share sent. Finally purge old
 * tasks (with their archived files), archived files older than ARCHIVE_RETENTION_DAYS and audit
 * entries older than AUDIT_RETENTION_DAYS, take one step of removing a deleted tenant, seal again a
 * batch of endpoint secrets stored in clear or under SECRETS_KEY's previous key, and log one JSON
 * line, with `endReason`. First of all, a resumed tenant's parked work is made due, and the
 * endpoints' circuits are looked after (storage/endpoint-upkeep.ts).
 * With a dispatcher for a kind of work (src/index.ts makes one per queue binding), that kind is
 * claimed and sent to it instead, for queue consumers to do (see dispatch-phase.ts). The env's
 * queue bindings are not read here: without `dispatchers` the tick does all its work itself.
 * @example await runTick(env, systemClock, queueDispatchers(env)) // from the scheduled handler
 */
export async function runTick(
  env: Env,
  clock: Clock = systemClock,
  dispatchers: WorkDispatchers = {},
  /** Where its D1 round trips are counted (its line's `d1`): the scheduled handler's, so a tick that D1 ends still says what it got through. */
  usage: D1Usage = emptyUsage(),
): Promise<TickReport> {
  const config = loadConfig(env);
  const started = clock.now();
  const report = emptyTickReport();
  const ctx: TickContext = {
    db: openDb(meteredD1(env.DB, usage)),
    config,
    clock,
    budget: new WorkBudget(config.subrequestBudget, started + config.tickWallBudgetMs),
    report,
    leaseToken: newLeaseToken(),
    claims: { made: 0 },
    pacer: durablePacer(env.ENDPOINT_PACER),
    ...(dispatchers.deliver ? {} : { born: [] }),
  };
  // A resumed tenant's parked work is due again (bounded per tick; storage/parking.ts), old audit
  // entries go, a tenant being deleted is found: one statement when there is nothing to do.
  const upkeep = await tenantUpkeep(ctx.db, {
    now: started,
    auditCutoff: started - config.auditRetentionMs,
    endpointWork: endpointWorkLook(started, config.endpointDisableAfterMs),
  });
  if (upkeep.unparked > 0) report.unparked = upkeep.unparked;
  if (upkeep.auditPurged > 0) report.auditPurged = upkeep.auditPurged;
  if (upkeep.operationEventsPurged > 0) report.operationEventsPurged = upkeep.operationEventsPurged;
  // Endpoint circuits: disable the long-failing, make due probes due, drain after a state change.
  const endpoints = await endpointUpkeep(
    ctx.db,
    { now: started, circuit: circuitPolicy(config), disableAfterMs: config.endpointDisableAfterMs },
    upkeep.endpointWork,
  );
  if (Object.values(endpoints).some((n) => n > 0)) report.endpoints = endpoints;
  const providers = pollableProviders(config);
  // Without the operator's credentials the tick still polls for tenants with their own.
  const canPoll = providers.length > 0 || upkeep.ownAccounts;
  const pollable = pollableOf(config);
  report.pausedProviders = [
    ...PROVIDERS.filter((p) => !providers.includes(p)),
    ...(providers.includes("kling") && !canPollKlingNewApi(config) ? ["kling-new-api"] : []),
  ];
  if (!providers.includes("cometapi"))
    console.error(JSON.stringify({ event: "configuration_error", error: "COMETAPI_KEY is not set: polling through CometAPI is paused" }));
  const polls = dispatchers.poll ? openDispatch(dispatchers.poll) : undefined;
  const deliveries = dispatchers.deliver ? openDispatch(dispatchers.deliver) : undefined;
  const archives = dispatchers.archive ? openDispatch(dispatchers.archive) : undefined;
  // Archiving runs only with the bucket bound; its copies share the tick's subrequests and take
  // at most ARCHIVE_BYTES_PER_TICK between them.
  const bucket = env.ARCHIVE;
  // A copy step in a round starts no new part after POLL_MIN_INTERVAL_SECONDS: a task due for a
  // poll waits on copying about the shortest interval between two of its polls, and one part.
  const archiveCtx = bucket
    ? { ...ctx, bucket, bytes: new ByteAllowance(config.archiveBytesPerTick), stepMs: config.pollMinIntervalMs }
    : undefined;
  // Keep a fifth of the budget for the webhooks the polls are about to produce, when the tick
  // sends them itself.
  const reserve = () => (sending(deliveries) ? 0 : Math.ceil(config.subrequestBudget / 5));
  const deliver = () => (sending(deliveries) ? dispatchPhase(ctx, "deliver", deliveries) : deliveryPhase(ctx));
  // What this tick may still act on: queued work costs no subrequest, the tick's own work does.
  const mayPoll = () => canPoll && (sending(polls) || ctx.budget.remaining > reserve());
  const mayDeliver = () => sending(deliveries) || ctx.budget.remaining > 0;
  const mayCopy = () =>
    sending(archives) || (archiveCtx !== undefined && archiveCtx.bytes.remaining > 0 && ctx.budget.remaining > reserve());
  const archive = async () => {
    if (!archiveCtx) return 0;
    if (sending(archives)) return (await archivePhase(archiveCtx, false)) + (await dispatchPhase(ctx, "archive", archives));
    return archivePhase(archiveCtx, mayCopy());
  };

  const whyStop = (): EndReason | null => {
    if (!clock.sleep) return "single_pass";
    if (report.configurationError) return "configuration_error";
    // A tick that sent its share to a queue ends here; the next cron tick goes on.
    if (polls?.state === "capped" || deliveries?.state === "capped" || archives?.state === "capped") return "queue_capped";
    if (!mayPoll() && !mayDeliver()) return "subrequest_budget";
    return null;
  };

  /** One pass over due work, then a nap until more falls due: what ended the tick, or null to go on. */
  const round = async (): Promise<EndReason | null> => {
    let claimed = 0;
    if (mayDeliver()) claimed += await deliver();
    // Queued polls produce their webhooks later, in consumers: nothing to deliver right after.
    const pollsQueued = sending(polls);
    const polled = mayPoll() ? await (pollsQueued ? dispatchPhase(ctx, "poll", polls) : pollPhase(ctx, reserve())) : 0;
    claimed += polled;
    // Copies, and the tasks whose copies ended: their held webhooks are due now.
    const archived = await archive();
    claimed += archived;
    if (mayDeliver() && ((polled > 0 && !pollsQueued) || archived > 0)) claimed += await deliver();

    const kinds = { tasks: mayPoll() ? pollable : null, messages: mayDeliver(), archives: archiveCtx !== undefined && mayCopy() };
    const stop = whyStop();
    if (stop) return stop;
    // Lingering serves tasks registered meanwhile (due at once). A tick that may only deliver
    // lingers only for a retry it already knows falls due before its deadline.
    const woke = await napUntilDue(ctx, clock.sleep!, kinds, { stalled: claimed === 0, untilKnownOnly: kinds.tasks === null });
    // Out of time, or (only deliveries left) no retry falls due before the deadline.
    if (!woke) return kinds.tasks !== null ? "wall_budget" : canPoll ? "subrequest_budget" : "paused";
    return null;
  };

  let faultsInARow = 0;
  for (;;) {
    report.rounds += 1;
    let ended: EndReason | null;
    try {
      ended = await round();
      faultsInARow = 0;
    } catch (error) {
      // One pass asked for, or D1 down: the tick ends on the error, as it always did.
      faultsInARow += 1;
      if (!clock.sleep || !isStorageUnavailable(error) || faultsInARow >= STORAGE_FAULTS_IN_A_ROW) throw error;
      report.storageFaults = (report.storageFaults ?? 0) + 1;
      console.error(JSON.stringify({ event: "storage_unavailable", during: "tick_round", error: storageErrorMessage(error) }));
      if (clock.now() + FAULT_NAP_MS >= ctx.budget.deadline) ended = "wall_budget";
      else {
        await clock.sleep(FAULT_NAP_MS);
        ended = null;
      }
    }
    if (ended) {
      report.endReason = ended;
      break;
    }
  }

  // Webhooks its polls produced that it had no subrequest or time left to send: due at once, for
  // the next tick (dying before this, it leaves them due when their lease ends).
  if (ctx.born && ctx.born.length > 0) await releaseMessages(ctx.db, ctx.born.splice(0), ctx.leaseToken, clock.now());
  // Polls no more: a tick that starts now polls alone (without leases). Not reached when D1 ended
  // the tick: its row then counts until its lease horizon, and the next ticks lease meanwhile.
  if (ctx.pollingUntil !== undefined) await endPolling(ctx.db, ctx.leaseToken, clock.now());
  // Operational events (src/operations/), when the upkeep's look found some waiting: a bounded step.
  if (upkeep.operationEventsWaiting) {
    const sent = await deliverOperationEvents(ctx);
    if (sent.delivered + sent.retried + sent.failed > 0) report.operationEvents = sent;
  }
  const now = clock.now();
  await retention(ctx, bucket, now);
  if (upkeep.deletedTenant !== undefined) report.tenantDeletion = await deleteTenantsStep(ctx.db, bucket, upkeep.deletedTenant);
  await resealPhase(ctx);
  report.subrequestsLeft = ctx.budget.remaining;
  report.durationMs = now - started;
  report.d1 = usage;
  if (polls || deliveries || archives) {
    report.queued = {
      polls: polls?.queued ?? 0,
      deliveries: deliveries?.queued ?? 0,
      ...(archives ? { archives: archives.queued } : {}),
      sendErrors: (polls?.sendErrors ?? 0) + (deliveries?.sendErrors ?? 0) + (archives?.sendErrors ?? 0),
    };
  }
  console.log(JSON.stringify({ event: "tick", ...report }));
  return report;
}

/**
 * Deletes old tasks, and with the ARCHIVE bucket bound their archived files (a task stays while a
 * file of it is still `copied`), then the files copied more than ARCHIVE_RETENTION_DAYS ago; bounded
 * per tick. Without the bucket no archived file is touched (and a task whose files may still have
 * objects waits for it).
 */
async function retention(ctx: TickContext, bucket: R2Bucket | undefined, now: number): Promise<void> {
  const { db, config, report } = ctx;
  if (!bucket) {
    report.purged = await purgeSettledTasks(db, now - config.retentionMs, RETENTION_BATCH, now);
    return;
  }
  const done = await archiveRetention(db, bucket, {
    cutoff: now - config.retentionMs,
    limit: RETENTION_BATCH,
    filesCutoff: now - config.archiveRetentionMs,
    now,
  });
  report.purged = done.tasks;
  report.archivePurged = done.purged;
  report.archiveDeleted = done.deleted;
  if (done.error !== undefined) report.archiveRetentionError = done.error;
}

/**
 * Naps until work of `kinds` falls due; false when that would be past the deadline (or, with
 * `untilKnownOnly`, when nothing of those kinds is waiting at all). Each nap costs one D1 round
 * trip. After a round that claimed nothing (`stalled`), work that still looks due is not trusted
 * at once: the tick naps the longest nap before looking again, so no input can make it spin.
 */
async function napUntilDue(
  ctx: TickContext,
  sleep: (ms: number) => Promise<void>,
  kinds: DueKinds,
  options: { stalled: boolean; untilKnownOnly: boolean },
): Promise<boolean> {
  let stalled = options.stalled;
  for (;;) {
    const now = ctx.clock.now();
    const next = await nextDueAt(ctx.db, kinds);
    if (next === null && options.untilKnownOnly) return false;
    const dueNow = next !== null && next <= now;
    if (dueNow && !stalled) return true;
    const wakeAt = dueNow ? now + MAX_NAP_MS : Math.max(now + MIN_NAP_MS, Math.min(next ?? Infinity, now + MAX_NAP_MS));
    if (wakeAt >= ctx.budget.deadline) return false;
    await sleep(wakeAt - now);
    stalled = false;
  }
}
