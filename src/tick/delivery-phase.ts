import { type ClaimedMessage, claimDueMessages } from "../storage/claim-messages";
import { type DeliveryOutcome, recordDeliveryOutcomes } from "../storage/defer-messages";
import { circuitPolicy } from "../storage/endpoint-health";
import { loadClaimedMessages } from "../storage/load-claimed";
import { releaseMessages } from "../storage/record-deliveries";
import { deliverMessage } from "../work/delivery-work";
import { tickLeaseMs } from "../work/leases";
import { runPipeline } from "../work/pipeline";
import { claimLeaseMs, type TickContext } from "./tick-context";

/**
 * Delivers every due message the budgets allow: the messages born leased to the tick first (its
 * polls' webhooks, `ctx.born`: loaded, not claimed), then claims; POSTs with at most 6 in flight,
 * records every attempt in batches. Returns the number of messages taken.
 */
export function deliveryPhase(ctx: TickContext): Promise<number> {
  const { db, config, clock, budget, leaseToken } = ctx;
  const timeout = config.deliveryTimeoutMs;
  return runPipeline<ClaimedMessage, DeliveryOutcome>({
    claimable: (outstanding) => budget.claimable(clock.now(), timeout, outstanding),
    async claim(limit) {
      const messages: ClaimedMessage[] = [];
      const bornTaken: string[] = [];
      try {
        // A born message cancelled meanwhile has lost its lease, and is not loaded.
        while (messages.length < limit && ctx.born && ctx.born.length > 0) {
          const ids = ctx.born.splice(0, limit - messages.length);
          bornTaken.push(...ids);
          messages.push(...(await loadClaimedMessages(db, [{ leaseToken, ids }])));
        }
        if (messages.length < limit) {
          const now = clock.now();
          const leaseMs = claimLeaseMs(ctx, tickLeaseMs(budget.deadline, now, timeout));
          messages.push(...(await claimDueMessages(db, { now, limit: limit - messages.length, leaseToken, leaseMs })));
        }
      } catch (error) {
        // No born message taken here was sent: the tick still holds them, to send in its next
        // round (it rides out a D1 fault) or release at its end, not leave them a minute leased.
        ctx.born?.unshift(...bornTaken);
        throw error;
      }
      budget.spend(messages.length);
      return messages;
    },
    work: (message) => deliverMessage(ctx, message),
    record: (outcomes) => recordDeliveryOutcomes(db, outcomes, leaseToken, clock.now(), circuitPolicy(config)),
    async release(messages) {
      budget.refund(messages.length);
      await releaseMessages(
        db,
        messages.map((m) => m.id),
        leaseToken,
        clock.now(),
      );
    },
    shouldStop: () => false,
  });
}
