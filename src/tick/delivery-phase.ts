import { checkCallbackUrl } from "../domain/callback-url";
import { planDelivery, type DeliveryExchange } from "../domain/delivery-plan";
import { claimDueMessages, type ClaimedMessage } from "../storage/claim-messages";
import { recordDeliveries, releaseMessages, type DeliveryRecord } from "../storage/record-deliveries";
import { sendWebhook } from "../webhooks/send-webhook";
import { runPipeline } from "./pipeline";
import type { TickContext } from "./tick-context";

/**
 * Delivers every due message the budgets allow: claims, POSTs with at most 6 in flight, records
 * every attempt in batches. Returns the number of messages claimed.
 */
export function deliveryPhase(ctx: TickContext): Promise<number> {
  const { db, config, clock, budget, report, leaseToken } = ctx;
  const timeout = config.deliveryTimeoutMs;
  return runPipeline<ClaimedMessage, DeliveryRecord>({
    claimable: (outstanding) => budget.claimable(clock.now(), timeout, outstanding),
    async claim(limit) {
      const now = clock.now();
      const messages = await claimDueMessages(db, { now, limit, leaseToken, leaseMs: budget.leaseMs(now, timeout) });
      budget.spend(messages.length);
      return messages;
    },
    async work(message) {
      const attemptedAt = clock.now();
      const exchange = await attempt(ctx, message);
      const update = planDelivery(message.scheduleStep, exchange, clock.now(), config.deliveryRetryScheduleMs, clock.random);
      if (update.status === "delivered") report.delivered += 1;
      else if (update.status === "pending") report.retried += 1;
      else report.failed += 1;
      return { messageId: message.id, subscriptionId: message.subscriptionId, taskId: message.taskId, attemptedAt, update };
    },
    record: (records) => recordDeliveries(db, records, leaseToken, clock.now()),
    async release(messages) {
      budget.refund(messages.length);
      await releaseMessages(db, messages.map((m) => m.id), leaseToken, clock.now());
    },
    shouldStop: () => false,
  });
}

async function attempt(ctx: TickContext, message: ClaimedMessage): Promise<DeliveryExchange> {
  // Checked again at send time: the rules (or ALLOW_INSECURE_CALLBACKS) may have changed since
  // the URL was registered, and a relay must never be turned against its own network.
  const check = checkCallbackUrl(message.callbackUrl, { allowInsecure: ctx.config.allowInsecureCallbacks });
  if (!check.ok) {
    ctx.budget.refund(1);
    return { kind: "refused", message: check.reason };
  }
  return sendWebhook({
    url: check.url,
    messageId: message.id,
    body: message.body,
    secrets: ctx.config.webhookSecrets,
    timeoutMs: ctx.config.deliveryTimeoutMs,
  });
}
