import { sql } from "drizzle-orm";
import type { TenantId } from "../domain/ids";
import type { Provider } from "../domain/kling";
import { sealedWithPrefix } from "../lib/sealed-secrets";
import { asJson, type Db } from "./db";
import { column, readAll, rowSchema } from "./rows";
import { tenantCredentials } from "./schema";

/** A tenant's credentials for one provider as stored, read to be sealed again. */
export interface SealedCredentialsRow {
  tenantId: TenantId;
  provider: Provider;
  sealed: string;
}

/** Where a pass over `tenant_credentials` has got to: the primary key of the last row done (`""` before the first, no tenant's id). */
export type CredentialsCursor = readonly [tenantId: string, provider: string];
export const CREDENTIALS_START: CredentialsCursor = ["", ""];

/**
 * Up to `limit` tenants' credentials after `after`, in primary-key order, sealed by key `keyId`.
 * No index on the sealing key, unlike endpoints: a relay has few tenants and at most one row per
 * provider each, and the tick looks only during a rotation of SECRETS_KEY (and then once an hour
 * per isolate), so reading the rows after the cursor costs less than an index every write of
 * credentials would keep up. (`db.all`, so the tick's D1 figures count it.)
 */
export async function credentialsSealedWith(
  db: Db,
  keyId: string,
  after: CredentialsCursor,
  limit: number,
): Promise<SealedCredentialsRow[]> {
  const row = rowSchema({
    tenant_id: column(tenantCredentials.tenantId),
    provider: column(tenantCredentials.provider),
    sealed: column(tenantCredentials.sealed),
  });
  const rows = await readAll(
    db,
    row,
    "credentials sealed with a key",
    sql`
    SELECT tenant_id, provider, sealed FROM tenant_credentials
    WHERE (tenant_id, provider) > (${after[0]}, ${after[1]}) AND substr(sealed, 1, 19) = ${sealedWithPrefix(keyId)}
    ORDER BY tenant_id, provider LIMIT ${limit}`,
  );
  return rows.map((r) => ({ tenantId: r.tenant_id, provider: r.provider as Provider, sealed: r.sealed }));
}

/**
 * Writes tenants' credentials sealed again, each row only if it still holds exactly the value read
 * (`was`): credentials replaced or deleted meanwhile win, sealed by their own writer. One statement
 * for all; returns how many rows it replaced.
 */
export async function replaceSealedCredentials(db: Db, changes: readonly { was: SealedCredentialsRow; sealed: string }[]): Promise<number> {
  if (changes.length === 0) return 0;
  const rows = asJson(changes.map(({ was, sealed }) => ({ tenant_id: was.tenantId, provider: was.provider, was: was.sealed, sealed })));
  // Not updated_at: the tenant's credentials are unchanged, only the key they are sealed under.
  const replaced = await readAll(
    db,
    rowSchema({ tenant_id: column(tenantCredentials.tenantId) }),
    "credentials sealed again",
    sql`
    UPDATE tenant_credentials SET sealed = r.value ->> 'sealed'
    FROM json_each(${rows}) r
    WHERE tenant_credentials.tenant_id = r.value ->> 'tenant_id' AND tenant_credentials.provider = r.value ->> 'provider'
      AND tenant_credentials.sealed = r.value ->> 'was'
    RETURNING tenant_credentials.tenant_id`,
  );
  return replaced.length;
}
