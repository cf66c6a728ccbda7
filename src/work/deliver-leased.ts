import type { ClaimedMessage } from "../storage/claim-messages";
import { recordDeliveryOutcomes } from "../storage/defer-messages";
import { circuitPolicy } from "../storage/endpoint-health";
import type { Lease } from "../storage/load-claimed";
import { releaseMessages } from "../storage/record-deliveries";
import { deliverMessage } from "./delivery-work";
import { type LeasedWorkContext, runLeased } from "./leased-work";
import { sendBackLater } from "./send-back-later";

/**
 * Delivers webhook messages already claimed (named by queue messages, or claimed after a
 * callback's poll) with the same per-message work as the tick, and records every attempt.
 */
export async function deliverLeased(ctx: LeasedWorkContext, messages: (ClaimedMessage & Lease)[]): Promise<void> {
  if (messages.length === 0) return;
  const { db, config, clock, sendBack } = ctx;
  await runLeased(ctx, messages, {
    timeoutMs: config.deliveryTimeoutMs,
    work: (message) => deliverMessage(ctx, message),
    record: (leaseToken, outcomes) =>
      recordDeliveryOutcomes(
        db,
        outcomes,
        leaseToken,
        clock.now(),
        circuitPolicy(config),
        sendBack && ((deferred) => sendBackLater(ctx, sendBack, leaseToken, deferred)),
      ),
    release: (leaseToken, unstarted) =>
      releaseMessages(
        db,
        unstarted.map((m) => m.id),
        leaseToken,
        clock.now(),
      ),
  });
}
