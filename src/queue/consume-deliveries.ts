import { type LeasedIds, loadClaimedMessages } from "../storage/load-claimed";
import { recordDeliveries, releaseMessages } from "../storage/record-deliveries";
import { deliverMessage } from "../work/delivery-work";
import { consumeLeased, countIds } from "./consume-leased";
import type { ConsumerContext } from "./consumer-context";

/**
 * Delivers the webhooks that delivery messages name: loads those still held under each message's
 * lease, signs and sends them with the same per-message work as the tick, records the batch.
 */
export async function consumeDeliveries(ctx: ConsumerContext, claims: readonly LeasedIds[]): Promise<void> {
  if (claims.length === 0) return;
  const { db, config, clock, report } = ctx;
  const messages = await loadClaimedMessages(db, claims);
  report.skipped += countIds(claims) - messages.length;
  if (messages.length === 0) return;
  await consumeLeased(ctx, messages, {
    timeoutMs: config.deliveryTimeoutMs,
    work: (message) => deliverMessage(ctx, message),
    record: (leaseToken, records) => recordDeliveries(db, records, leaseToken, clock.now()),
    release: (leaseToken, unstarted) =>
      releaseMessages(
        db,
        unstarted.map((m) => m.id),
        leaseToken,
        clock.now(),
      ),
  });
}
