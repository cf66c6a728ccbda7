import type { ArchiveLinkConfig } from "../domain/archive-link";
import type { Db } from "./db";
import { findEndpoint } from "./endpoints";
import { findSubscription, type TenantScope } from "./read-models";
import type { SubscriptionRow } from "./schema";
import { redeliverLatest } from "./subscriptions";

export type RedeliverResult =
  | { kind: "redelivered"; subscription: SubscriptionRow }
  | { kind: "not_found" }
  | { kind: "cancelled"; subscription: SubscriptionRow }
  | { kind: "nothing_sent"; subscription: SubscriptionRow };

/**
 * Redelivers one subscription's latest message (see `redeliverLatest`), refusing a cancelled one
 * (or one whose endpoint was deleted).
 * `links` signs fresh links to the task's archived files, if it has any. The single way in for `POST /v1/subscriptions/{id}/redeliver` and the dashboard's buttons.
 */
export async function redeliverSubscription(
  db: Db,
  scope: TenantScope,
  id: string,
  now: number,
  links: ArchiveLinkConfig,
): Promise<RedeliverResult> {
  const subscription = await findSubscription(db, scope, id);
  if (!subscription) return { kind: "not_found" };
  if (subscription.status === "cancelled") return { kind: "cancelled", subscription };
  // Its endpoint was deleted (storage/delete-endpoint.ts): no secret to sign with. Like a cancelled
  // one, it is registered again instead (which makes a new endpoint).
  if (!(await findEndpoint(db, subscription.tenantId, subscription.endpointId))) return { kind: "cancelled", subscription };
  if (!(await redeliverLatest(db, subscription, now, links))) return { kind: "nothing_sent", subscription };
  return { kind: "redelivered", subscription };
}
