import { eq, sql } from "drizzle-orm";
import type { TenantId } from "../domain/ids";
import type { Provider } from "../domain/kling";
import { capsOf, type TenantCaps } from "../domain/tenant-caps";
import { policyOf, type UpstreamPolicy } from "../domain/upstream-access";
import type { Db } from "./db";
import { column, readOne, rowSchema } from "./rows";
import { tenantCredentials, tenants, upstreamOwners } from "./schema";

/** What the relay lets one tenant do: its upstream policy and its caps. */
export interface TenantLimits {
  policy: UpstreamPolicy;
  caps: TenantCaps;
}

/** A tenant's policy and caps, in one D1 round trip; undefined when there is no such tenant. */
export async function loadTenantLimits(db: Db, tenantId: TenantId): Promise<TenantLimits | undefined> {
  const [rows, credentials] = await db.batch([
    db
      .select({ id: tenants.id, sharedUpstream: tenants.sharedUpstream, trusted: tenants.trusted, caps: tenants.caps })
      .from(tenants)
      .where(eq(tenants.id, tenantId)),
    db.select({ provider: tenantCredentials.provider }).from(tenantCredentials).where(eq(tenantCredentials.tenantId, tenantId)),
  ]);
  const tenant = rows[0];
  if (!tenant) return undefined;
  const own = new Set(credentials.map((c) => c.provider as Provider));
  return { policy: policyOf(tenant, own), caps: capsOf(tenant.caps) };
}

/**
 * Records that `tenantId` created `taskId` through the relay on the operator's account, as soon as
 * upstream named it: from then on no other tenant registers or queries it there. The first
 * creator keeps it (an id is created once; a lookup finds only the tenant's own external id).
 */
export async function recordUpstreamOwner(db: Db, o: { provider: Provider; taskId: string; tenantId: TenantId; now: number }) {
  await db.run(sql`INSERT INTO upstream_owners (provider, task_id, tenant_id, created_at)
    VALUES (${o.provider}, ${o.taskId}, ${o.tenantId}, ${o.now}) ON CONFLICT DO NOTHING`);
}

/** The tenant that created `taskId` on the operator's account, if the relay created it. */
export async function upstreamOwnerOf(db: Db, provider: Provider, taskId: string): Promise<string | undefined> {
  const row = await readOne(
    db,
    rowSchema({ tenant_id: column(upstreamOwners.tenantId) }),
    "an upstream task's owner",
    sql`SELECT tenant_id FROM upstream_owners WHERE provider = ${provider} AND task_id = ${taskId}`,
  );
  return row?.tenant_id;
}
