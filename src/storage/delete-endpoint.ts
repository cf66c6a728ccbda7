import { sql } from "drizzle-orm";
import type { TenantId } from "../domain/ids";
import { OPEN_MESSAGE_STATES } from "../domain/message-states";
import { type Db, runBatch, statement } from "./db";
import { messageIn, moveTo } from "./message-sql";
import { settleTasks } from "./settle";

/**
 * Deletes a tenant's endpoint, in one D1 batch: its subscriptions still active are cancelled, every
 * pending message of its subscriptions is cancelled (nothing is sent without the secrets that go
 * with it), their tasks stop polling if nobody else waits, and the endpoint row goes with its
 * secrets. Its delivered and failed subscriptions stay as the record of what was sent (a redelivery
 * of one is refused: storage/redeliver-subscription.ts). Every statement is held to `tenantId`, so
 * another tenant's endpoint id changes nothing. Returns whether it was there, and how many active
 * subscriptions were cancelled.
 */
export async function deleteEndpoint(
  db: Db,
  tenantId: TenantId,
  id: string,
  now: number,
): Promise<{ deleted: boolean; cancelled: number }> {
  const subscriptionsOf = sql`(SELECT id FROM subscriptions WHERE endpoint_id = ${id} AND tenant_id = ${tenantId})`;
  const results = await runBatch(db, [
    statement(
      db,
      sql`UPDATE messages SET ${moveTo("cancelled")}, next_attempt_at = NULL, lease_token = NULL, updated_at = ${now}
      WHERE subscription_id IN ${subscriptionsOf} AND ${messageIn("state", ...OPEN_MESSAGE_STATES)}`,
    ),
    statement(
      db,
      sql`UPDATE subscriptions SET status = 'cancelled', updated_at = ${now} WHERE id IN ${subscriptionsOf} AND status = 'active'`,
    ),
    ...settleTasks(db, sql`(SELECT task_key FROM subscriptions WHERE endpoint_id = ${id} AND tenant_id = ${tenantId})`, now),
    statement(db, sql`DELETE FROM endpoints WHERE id = ${id} AND tenant_id = ${tenantId}`),
  ]);
  return { deleted: (results.at(-1)?.meta.changes ?? 0) > 0, cancelled: results[1]?.meta.changes ?? 0 };
}
