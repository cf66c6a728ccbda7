import { sql } from "drizzle-orm";
import type { TenantId } from "../domain/ids";
import type { Provider } from "../domain/kling";
import { capsOf, type TenantCaps } from "../domain/tenant-caps";
import { policyOf, type UpstreamPolicy } from "../domain/upstream-access";
import { type Db, prebuilt, runBatch, statement } from "./db";
import { batchRows, column, readOne, rowSchema } from "./rows";
import { tenantCredentials, tenants, upstreamOwners } from "./schema";

/** What the relay lets one tenant do: its upstream policy and its caps. */
export interface TenantLimits {
  policy: UpstreamPolicy;
  caps: TenantCaps;
}

const TenantPolicyRow = rowSchema({
  id: column(tenants.id),
  shared_upstream: column(tenants.sharedUpstream),
  trusted: column(tenants.trusted),
  caps: column(tenants.caps),
});
const CredentialRow = rowSchema({ provider: column(tenantCredentials.provider) });

/**
 * The two reads of a tenant's limits (its row, the providers it has its own credentials for), for
 * a caller's D1 batch; `tenantLimitsOf` makes the limits of their results.
 */
export const tenantLimitsStatements = (db: Db, tenantId: TenantId): D1PreparedStatement[] => limitsReads(db, { tenantId });

const limitsReads = prebuilt([{ tenantId: "a" }, { tenantId: "b" }], (db, { tenantId }) => [
  statement(db, sql`SELECT id, shared_upstream, trusted, caps FROM tenants WHERE id = ${tenantId}`),
  statement(db, sql`SELECT provider FROM tenant_credentials WHERE tenant_id = ${tenantId}`),
]);

/** The limits read by `tenantLimitsStatements` (their results, in order); undefined when there is no such tenant. */
export function tenantLimitsOf(tenantRows: D1Result | undefined, credentialRows: D1Result | undefined): TenantLimits | undefined {
  const [tenant] = batchRows(TenantPolicyRow, "the tenant's policy", tenantRows);
  if (!tenant) return undefined;
  const own = new Set(batchRows(CredentialRow, "the tenant's own credentials", credentialRows).map((c) => c.provider as Provider));
  const policy = policyOf({ id: tenant.id, sharedUpstream: tenant.shared_upstream === 1, trusted: tenant.trusted === 1 }, own);
  return { policy, caps: capsOf(tenant.caps) };
}

/** A tenant's policy and caps, in one D1 round trip; undefined when there is no such tenant. */
export async function loadTenantLimits(db: Db, tenantId: TenantId): Promise<TenantLimits | undefined> {
  const [tenant, credentials] = await runBatch(db, tenantLimitsStatements(db, tenantId));
  return tenantLimitsOf(tenant, credentials);
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
