import { checkCallbackUrl } from "../domain/callback-url";
import { planDelivery, type DeliveryExchange } from "../domain/delivery-plan";
import { claimDueMessages, type ClaimedMessage } from "../storage/claim-messages";
import { newLeaseToken } from "../storage/db";
import { recordDeliveries, type DeliveryRecord } from "../storage/record-deliveries";
import { sendWebhook } from "../webhooks/send-webhook";
import { runPool } from "./run-pool";
import { MAX_IN_FLIGHT } from "./tick-budget";
import type { TickContext } from "./tick-context";

/**
 * One round of delivery: claim due messages (within budget), POST them with at most 6 in flight,
 * then record every attempt in one batch. Returns the number of messages claimed.
 */
export async function deliveryRound(ctx: TickContext): Promise<number> {
  const { db, config, clock, budget, report } = ctx;
  const now = clock.now();
  const limit = budget.claimable(now, config.deliveryTimeoutMs);
  if (limit === 0) return 0;
  const leaseToken = newLeaseToken();
  const claimed = await claimDueMessages(db, { now, limit, leaseToken, leaseMs: budget.leaseMs(now, config.deliveryTimeoutMs) });
  const records: DeliveryRecord[] = [];

  const deliverOne = async (message: ClaimedMessage) => {
    const attemptedAt = clock.now();
    const exchange = await attempt(ctx, message);
    const update = planDelivery(message.scheduleStep, exchange, clock.now(), config.deliveryRetryScheduleMs, clock.random);
    if (update.status === "delivered") report.delivered += 1;
    else if (update.status === "pending") report.retried += 1;
    else report.failed += 1;
    records.push({ messageId: message.id, subscriptionId: message.subscriptionId, taskId: message.taskId, attemptedAt, update });
  };

  await runPool(claimed, MAX_IN_FLIGHT, deliverOne);
  await recordDeliveries(db, records, leaseToken, clock.now());
  return claimed.length;
}

async function attempt(ctx: TickContext, message: ClaimedMessage): Promise<DeliveryExchange> {
  // Checked again at send time: the rules (or ALLOW_INSECURE_CALLBACKS) may have changed since
  // the URL was registered, and a relay must never be turned against its own network.
  const check = checkCallbackUrl(message.callbackUrl, { allowInsecure: ctx.config.allowInsecureCallbacks });
  if (!check.ok) return { kind: "refused", message: check.reason };
  ctx.budget.spend(1);
  return sendWebhook({
    url: check.url,
    messageId: message.id,
    body: message.body,
    secrets: ctx.config.webhookSecrets,
    timeoutMs: ctx.config.deliveryTimeoutMs,
  });
}
