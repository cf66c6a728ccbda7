import { and, eq, sql } from "drizzle-orm";
import type { TenantId } from "../domain/ids";
import type { Provider } from "../domain/kling";
import {
  credentialsContext,
  credentialsFromSecrets,
  credentialsHint,
  type StoredCredentialSecrets,
  type TenantUpstreamCredentials,
} from "../domain/upstream-credentials";
import { openSecret, type SecretsKeyring, sealSecret } from "../lib/sealed-secrets";
import type { Db } from "./db";
import { column, readOne, rowSchema } from "./rows";
import { tenantCredentials } from "./schema";

/**
 * A tenant's own upstream credentials, one row per provider: the secrets as one JSON object sealed
 * with AES-256-GCM under SECRETS_KEY for `tenant_credentials:{tenant}:{provider}` (never in
 * clear: the caller refuses to store them without a keyring), and the hint (last 4 characters of
 * the key) that is all the API ever shows of them.
 */

/** What `GET .../credentials/{provider}` shows: whether there are any, and how to recognise them. */
export interface CredentialsStatus {
  configured: boolean;
  hint: string | null;
  updatedAt: number | null;
}

/** Stores (or replaces) a tenant's credentials for `provider`, sealed. Returns the hint. */
export async function putTenantCredentials(
  db: Db,
  keyring: SecretsKeyring,
  o: { tenantId: TenantId; provider: Provider; secrets: StoredCredentialSecrets; now: number },
): Promise<CredentialsStatus> {
  const sealed = await sealSecret(keyring, JSON.stringify(o.secrets), credentialsContext(o.tenantId, o.provider));
  const hint = credentialsHint(o.secrets);
  await db
    .insert(tenantCredentials)
    .values({ tenantId: o.tenantId, provider: o.provider, sealed, hint, createdAt: o.now, updatedAt: o.now })
    .onConflictDoUpdate({
      target: [tenantCredentials.tenantId, tenantCredentials.provider],
      set: { sealed, hint, updatedAt: o.now },
    });
  return { configured: true, hint, updatedAt: o.now };
}

export async function tenantCredentialsStatus(db: Db, tenantId: TenantId, provider: Provider): Promise<CredentialsStatus> {
  const [row] = await db
    .select({ hint: tenantCredentials.hint, updatedAt: tenantCredentials.updatedAt })
    .from(tenantCredentials)
    .where(and(eq(tenantCredentials.tenantId, tenantId), eq(tenantCredentials.provider, provider)));
  return row ? { configured: true, hint: row.hint, updatedAt: row.updatedAt } : { configured: false, hint: null, updatedAt: null };
}

/** Deletes a tenant's credentials for `provider`; the hint of the ones deleted, or null when there were none. */
export async function deleteTenantCredentials(db: Db, tenantId: TenantId, provider: Provider): Promise<string | null> {
  const row = await readOne(
    db,
    rowSchema({ hint: column(tenantCredentials.hint) }),
    "the deleted credentials' hint",
    sql`DELETE FROM tenant_credentials WHERE tenant_id = ${tenantId} AND provider = ${provider} RETURNING hint`,
  );
  return row?.hint ?? null;
}

/**
 * Opens a stored row. Throws (naming the tenant, the provider and the key id, never a secret) when
 * it does not open: SECRETS_KEY lacks its key, or the row was altered or copied from another.
 */
export async function openTenantCredentials(
  keyring: SecretsKeyring | null,
  tenantId: TenantId,
  provider: Provider,
  sealed: string,
): Promise<TenantUpstreamCredentials> {
  const text = await openSecret(keyring, sealed, credentialsContext(tenantId, provider));
  let secrets: StoredCredentialSecrets;
  try {
    secrets = JSON.parse(text) as StoredCredentialSecrets;
  } catch {
    throw new Error(`the stored ${provider} credentials of tenant ${tenantId} are not JSON`);
  }
  return credentialsFromSecrets(provider, secrets);
}

/** A tenant's credentials for `provider`, opened; undefined when it has none. Throws as `openTenantCredentials`. */
export async function loadTenantCredentials(
  db: Db,
  keyring: SecretsKeyring | null,
  tenantId: TenantId,
  provider: Provider,
): Promise<TenantUpstreamCredentials | undefined> {
  const [row] = await db
    .select({ sealed: tenantCredentials.sealed })
    .from(tenantCredentials)
    .where(and(eq(tenantCredentials.tenantId, tenantId), eq(tenantCredentials.provider, provider)));
  return row ? openTenantCredentials(keyring, tenantId, provider, row.sealed) : undefined;
}
