import { loadConfig } from "../config";
import type { TenantId } from "../domain/ids";
import { DEFAULT_TENANT } from "../domain/tenancy";
import type { Env } from "../env";
import { findLiveKeyByHash } from "../storage/api-keys";
import { openDb } from "../storage/db";
import { tenantSuspension } from "../storage/tenants";
import { apiKeyIdOfDigest, hashOfDigest, isKnownDigest, keyDigest, TENANT_KEY_PREFIX } from "./keys";

/**
 * Who a key proves the caller is: the admin (`ADMIN_API_KEY`: every tenant), or one tenant (a key
 * of `RELAY_API_KEYS`: the built-in `default` tenant; a key made by the admin API: its tenant).
 * `keyId` names the key without revealing it: `admin`, a hash prefix for configured keys, the
 * stored key's id for tenant keys; `prefix` is a stored key's visible prefix (null for configured
 * keys, whose characters the relay never shows). `suspended`: the tenant is suspended, and its keys
 * are refused (403) by the API and the dashboard.
 */
export type Caller =
  | { kind: "admin"; keyId: "admin" }
  | { kind: "tenant"; tenantId: TenantId; keyId: string; prefix: string | null; suspended: boolean };

export const ADMIN: Caller = { kind: "admin", keyId: "admin" };

/** The one tenant a caller is held to, or null for the admin (every tenant). */
export const ownTenant = (caller: Caller): TenantId | null => (caller.kind === "tenant" ? caller.tenantId : null);

/** The caller a presented key proves, or null for a key nobody has (or one revoked). */
export async function resolveCaller(env: Env, presented: string): Promise<Caller | null> {
  const config = loadConfig(env);
  // Hashed once: compared with the configured keys, named by, or looked up by.
  const candidate = await keyDigest(presented);
  if (config.adminApiKey !== null && (await isKnownDigest(candidate, [config.adminApiKey]))) return ADMIN;
  if (config.relayApiKeys.length > 0 && (await isKnownDigest(candidate, config.relayApiKeys)))
    return configuredCaller(env, apiKeyIdOfDigest(candidate));
  // Only a key of the form the relay makes is worth a D1 read.
  if (!presented.startsWith(TENANT_KEY_PREFIX) || presented.length > 128) return null;
  const row = await findLiveKeyByHash(openDb(env.DB), hashOfDigest(candidate));
  return row ? { kind: "tenant", tenantId: row.tenantId, keyId: row.id, prefix: row.prefix, suspended: row.suspended } : null;
}

/**
 * A key of RELAY_API_KEYS: the `default` tenant's (which cannot be deleted, but can be suspended:
 * one primary-key read says whether it is).
 */
export async function configuredCaller(env: Env, keyId: string): Promise<Caller> {
  const tenant = await tenantSuspension(openDb(env.DB), DEFAULT_TENANT);
  return { kind: "tenant", tenantId: DEFAULT_TENANT, keyId, prefix: null, suspended: tenant?.suspended === true };
}
