import { type DeliveryExchange, planDelivery } from "../domain/delivery-plan";
import type { LeaseToken } from "../domain/ids";
import { OPERATION_EVENTS_PER_TICK, operationEventBody } from "../domain/operation-events";
import type { Db } from "../storage/db";
import { type ClaimedOperationEvent, claimDueOperationEvents, recordOperationEventAttempt } from "../storage/operation-event-delivery";
import { sendSigned } from "../work/delivery-work";
import { tickLeaseMs } from "../work/leases";
import { MAX_IN_FLIGHT } from "../work/work-budget";
import type { WorkContext } from "../work/work-context";

/** What one step did: events sent and delivered, to be retried, failed for good. */
export interface OperationEventsReport {
  delivered: number;
  retried: number;
  failed: number;
}

/**
 * Sends the due operational events, at most OPERATION_EVENTS_PER_TICK: events are rare (an
 * endpoint's circuit, a failed subscription, an expired task), so a small bounded step at the end
 * of the tick is enough and leaves the tick's pipeline to the webhooks. It claims no more than the
 * tick's subrequests and time allow (`claimable`: whole waves of MAX_IN_FLIGHT that end by the
 * deadline), sends a wave at a time, and records each attempt under the tick's lease. Signed with
 * the operations endpoint's own keys (and `WEBHOOK_SECRETS` for the default tenant, as its
 * webhooks are); retried on DELIVERY_RETRY_SCHEDULE like a webhook.
 */
export async function deliverOperationEvents(ctx: WorkContext & { db: Db; leaseToken: LeaseToken }): Promise<OperationEventsReport> {
  const { db, config, clock, budget, leaseToken } = ctx;
  const report: OperationEventsReport = { delivered: 0, retried: 0, failed: 0 };
  const now = clock.now();
  const timeout = config.deliveryTimeoutMs;
  const limit = Math.min(OPERATION_EVENTS_PER_TICK, budget.claimable(now, timeout, 0));
  const events = await claimDueOperationEvents(db, { now, limit, leaseToken, leaseMs: tickLeaseMs(budget.deadline, now, timeout) });
  budget.spend(events.length);
  for (let i = 0; i < events.length; i += MAX_IN_FLIGHT) {
    await Promise.all(
      events.slice(i, i + MAX_IN_FLIGHT).map(async (event) => {
        const exchange = await attempt(ctx, event);
        const update = planDelivery(event.attempts, exchange, clock.now(), config.deliveryRetryScheduleMs, clock.random);
        await recordOperationEventAttempt(db, event.id, leaseToken, update, clock.now());
        if (update.status === "delivered") report.delivered += 1;
        else if (update.status === "pending") report.retried += 1;
        else report.failed += 1;
      }),
    );
  }
  return report;
}

async function attempt(ctx: WorkContext, event: ClaimedOperationEvent): Promise<DeliveryExchange> {
  // The endpoint was deleted after the event was scheduled: nowhere to send it.
  if (event.target === null) {
    ctx.budget.refund(1);
    return { kind: "refused", message: "the operations endpoint was deleted" };
  }
  const { exchange } = await sendSigned(ctx, {
    url: event.target.url,
    endpointId: event.target.endpointId,
    keys: event.target.keys,
    tenantId: event.tenantId,
    messageId: event.id,
    body: operationEventBody(event.type, event.createdAt, event.data),
  });
  return exchange;
}
