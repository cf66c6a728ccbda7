import { type LeasedIds, loadClaimedMessages } from "../storage/load-claimed";
import { deliverLeased } from "../work/deliver-leased";
import { countIds } from "./consume-polls";
import type { ConsumerContext } from "./consumer-context";

/**
 * Delivers the webhooks that delivery messages name: loads those still held under each message's
 * lease, then signs, sends and records them with the same work as the tick (`deliverLeased`).
 */
export async function consumeDeliveries(ctx: ConsumerContext, claims: readonly LeasedIds[]): Promise<void> {
  if (claims.length === 0) return;
  const messages = await loadClaimedMessages(ctx.db, claims);
  ctx.report.skipped += countIds(claims) - messages.length;
  await deliverLeased(ctx, messages);
}
