import { sql } from "drizzle-orm";
import type { Provider } from "../domain/kling";
import { asJson, type Db } from "./db";
import { column, readAll, rowSchema } from "./rows";
import { tenantCredentials, tenants } from "./schema";

/** What decides which account serves a tenant's tasks: whether it is lent the operator's, and its own (sealed). */
export interface TenantAccounts {
  sharedUpstream: boolean;
  /** Its own credentials by provider, as stored (sealed JSON). */
  sealed: Map<Provider, string>;
}

/**
 * The accounts of several tenants in one D1 round trip (one primary-key lookup per tenant and one
 * per credential row). A tenant missing from the map has no row (deleted and purged).
 */
export async function loadTenantAccounts(db: Db, tenantIds: readonly string[]): Promise<Map<string, TenantAccounts>> {
  const accounts = new Map<string, TenantAccounts>();
  if (tenantIds.length === 0) return accounts;
  const row = rowSchema({
    id: column(tenants.id),
    shared_upstream: column(tenants.sharedUpstream),
    provider: column(tenantCredentials.provider, "nullable"),
    sealed: column(tenantCredentials.sealed, "nullable"),
  });
  const rows = await readAll(
    db,
    row,
    "tenants' upstream accounts",
    sql`
    SELECT t.id, t.shared_upstream, c.provider, c.sealed FROM json_each(${asJson([...new Set(tenantIds)])}) j
      JOIN tenants t ON t.id = j.value
      LEFT JOIN tenant_credentials c ON c.tenant_id = t.id`,
  );
  for (const row of rows) {
    const entry = accounts.get(row.id) ?? { sharedUpstream: row.shared_upstream === 1, sealed: new Map() };
    accounts.set(row.id, entry);
    if (row.provider !== null && row.sealed !== null) entry.sealed.set(row.provider as Provider, row.sealed);
  }
  return accounts;
}
