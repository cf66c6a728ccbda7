import { loadConfig } from "../config";
import type { Env } from "../env";
import { openDb } from "../storage/db";
import { emptyUsage, meteredD1 } from "../storage/metered-d1";
import { CONSUMER_WORK_MS } from "../work/leases";
import { durablePacer } from "../work/pace-send";
import { WorkBudget } from "../work/work-budget";
import { type Clock, systemClock } from "../work/work-context";
import { type WorkKind, type WorkMessage, WorkMessageSchema } from "../work/work-message";
import { emptyWorkReport } from "../work/work-report";
import { consumeArchives } from "./consume-archives";
import { consumeDeliveries } from "./consume-deliveries";
import { consumePolls } from "./consume-polls";
import type { ConsumerContext, QueueBatchReport } from "./consumer-context";
import { queueDispatcher } from "./send-work";

/**
 * The queue handler: does the work a batch of messages names (polls, deliveries, or both: the kind
 * is in each body, whichever queue it came through) with this invocation's own subrequest budget
 * and 6 connections, records it, then acknowledges every message.
 *
 * Failure model: an exception (D1 unreachable, an invalid var) acknowledges nothing, so Queues
 * retries the whole batch (`max_retries`) and then moves it to the dead-letter queue. Nothing is
 * lost either way: the work stays claimed in D1 until its lease ends, and the tick claims it again.
 * @example export default { queue: (batch, env) => consumeBatch(batch, env) }
 */
export async function consumeBatch(batch: MessageBatch<unknown>, env: Env, clock: Clock = systemClock): Promise<QueueBatchReport> {
  const config = loadConfig(env);
  const started = clock.now();
  const usage = emptyUsage();
  const report: QueueBatchReport = {
    queue: batch.queue,
    messages: batch.messages.length,
    invalid: 0,
    skipped: 0,
    released: 0,
    ...emptyWorkReport(),
  };
  const ctx: ConsumerContext = {
    db: openDb(meteredD1(env.DB, usage)),
    config,
    clock,
    budget: new WorkBudget(config.subrequestBudget, started + CONSUMER_WORK_MS),
    report,
    pacer: durablePacer(env.ENDPOINT_PACER),
    sendBack: env.DELIVERY_QUEUE && queueDispatcher(env.DELIVERY_QUEUE),
  };
  const valid: { message: Message<unknown>; work: WorkMessage }[] = [];
  for (const message of batch.messages) {
    const parsed = WorkMessageSchema.safeParse(message.body);
    if (parsed.success) {
      valid.push({ message, work: parsed.data });
      continue;
    }
    // It names nothing we could load. Retried, it ends in the dead-letter queue, where an
    // operator can read it; the other messages of the batch go on.
    report.invalid += 1;
    console.error(JSON.stringify({ event: "queue_message_invalid", queue: batch.queue, message_id: message.id }));
    message.retry();
  }
  const claims = (kind: WorkKind) => valid.filter((v) => v.work.kind === kind).map((v) => v.work);
  await consumePolls(ctx, claims("poll"));
  await consumeDeliveries(ctx, claims("deliver"));
  await consumeArchives(ctx, env.ARCHIVE, claims("archive"));
  // Only once everything is recorded: an exception above leaves the batch to be retried.
  for (const { message } of valid) message.ack();
  report.subrequestsLeft = ctx.budget.remaining;
  report.durationMs = clock.now() - started;
  report.d1 = usage;
  console.log(JSON.stringify({ event: "queue_batch", ...report }));
  return report;
}
