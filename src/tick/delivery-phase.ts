import { type ClaimedMessage, claimDueMessages } from "../storage/claim-messages";
import { type DeliveryOutcome, recordDeliveryOutcomes } from "../storage/defer-messages";
import { circuitPolicy } from "../storage/endpoint-health";
import { releaseMessages } from "../storage/record-deliveries";
import { deliverMessage } from "../work/delivery-work";
import { tickLeaseMs } from "../work/leases";
import { runPipeline } from "../work/pipeline";
import type { TickContext } from "./tick-context";

/**
 * Delivers every due message the budgets allow: claims, POSTs with at most 6 in flight, records
 * every attempt in batches. Returns the number of messages claimed.
 */
export function deliveryPhase(ctx: TickContext): Promise<number> {
  const { db, config, clock, budget, leaseToken } = ctx;
  const timeout = config.deliveryTimeoutMs;
  return runPipeline<ClaimedMessage, DeliveryOutcome>({
    claimable: (outstanding) => budget.claimable(clock.now(), timeout, outstanding),
    async claim(limit) {
      const now = clock.now();
      const messages = await claimDueMessages(db, { now, limit, leaseToken, leaseMs: tickLeaseMs(budget.deadline, now, timeout) });
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
