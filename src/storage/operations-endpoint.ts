import { and, eq, sql } from "drizzle-orm";
import type { TenantId } from "../domain/ids";
import { sealEndpointKey } from "../domain/sealed-endpoint-keys";
import type { SecretsKeyring } from "../lib/sealed-secrets";
import { type Db, runBatch, statement } from "./db";
import { type EndpointRow, endpoints, tenants } from "./schema";

/**
 * A tenant's operations endpoint is one of its `endpoints` rows (its own secret, rotation and
 * `v1a` signing, like any callback URL's), named by `tenants.operations_endpoint_id`. A URL the
 * tenant already registers callbacks to is the same endpoint, with the same secret.
 */

/** The tenant's operations endpoint, if it has one (and it still exists). */
export async function findOperationsEndpoint(db: Db, tenantId: TenantId): Promise<EndpointRow | undefined> {
  const [row] = await db
    .select({ endpoint: endpoints })
    .from(tenants)
    .innerJoin(endpoints, and(eq(endpoints.id, tenants.operationsEndpointId), eq(endpoints.tenantId, tenants.id)))
    .where(eq(tenants.id, tenantId));
  return row?.endpoint;
}

/**
 * Makes `url` the tenant's operations endpoint, in one batch: its endpoint is created with
 * `fresh`'s id and secret (sealed under `keyring`; in clear without one) unless the tenant has one
 * for that URL already; events still waiting to be sent go to it from now on. Returns the endpoint
 * and whether this call created it.
 */
export async function setOperationsEndpoint(
  db: Db,
  keyring: SecretsKeyring | null,
  tenantId: TenantId,
  url: string,
  fresh: { id: string; secret: string },
  now: number,
): Promise<{ endpoint: EndpointRow; created: boolean }> {
  const secret = await sealEndpointKey(keyring, fresh.id, "secret", fresh.secret);
  const chosen = sql`(SELECT id FROM endpoints WHERE tenant_id = ${tenantId} AND url = ${url})`;
  await runBatch(db, [
    statement(
      db,
      sql`INSERT INTO endpoints (id, tenant_id, url, secret, created_at, updated_at)
      VALUES (${fresh.id}, ${tenantId}, ${url}, ${secret}, ${now}, ${now}) ON CONFLICT DO NOTHING`,
    ),
    statement(db, sql`UPDATE tenants SET operations_endpoint_id = ${chosen}, updated_at = ${now} WHERE id = ${tenantId}`),
    statement(
      db,
      sql`UPDATE operation_events SET endpoint_id = ${chosen}, updated_at = ${now}
      WHERE tenant_id = ${tenantId} AND state = 'scheduled' AND endpoint_id IS NOT ${chosen}`,
    ),
  ]);
  const endpoint = await findOperationsEndpoint(db, tenantId);
  // The batch just set it, for this tenant only: gone meanwhile only if the endpoint was deleted at that instant.
  if (!endpoint) throw new Error(`the operations endpoint of ${tenantId} vanished while it was set`);
  return { endpoint, created: endpoint.id === fresh.id };
}

/**
 * The tenant stops receiving operational events: its events still waiting become `unsent` (the
 * dashboard still shows them). The endpoint itself stays, with its subscriptions, if any. False
 * when the tenant had none.
 */
export async function clearOperationsEndpoint(db: Db, tenantId: TenantId, now: number): Promise<boolean> {
  const [cleared] = await runBatch(db, [
    statement(
      db,
      sql`UPDATE tenants SET operations_endpoint_id = NULL, updated_at = ${now}
      WHERE id = ${tenantId} AND operations_endpoint_id IS NOT NULL`,
    ),
    statement(
      db,
      sql`UPDATE operation_events SET state = 'unsent', endpoint_id = NULL, next_attempt_at = NULL, updated_at = ${now}
      WHERE tenant_id = ${tenantId} AND state = 'scheduled'`,
    ),
  ]);
  return (cleared?.meta.changes ?? 0) > 0;
}
