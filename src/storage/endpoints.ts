import { and, asc, eq, sql } from "drizzle-orm";
import type { SQLiteUpdateSetSource } from "drizzle-orm/sqlite-core";
import type { TenantId } from "../domain/ids";
import { sealEndpointKey } from "../domain/sealed-endpoint-keys";
import type { SecretsKeyring } from "../lib/sealed-secrets";
import type { Db } from "./db";
import { type EndpointRow, endpoints } from "./schema";

export const findEndpoint = async (db: Db, tenantId: TenantId, id: string): Promise<EndpointRow | undefined> =>
  (
    await db
      .select()
      .from(endpoints)
      .where(and(eq(endpoints.tenantId, tenantId), eq(endpoints.id, id)))
  )[0];

/**
 * Changes one of the tenant's own endpoints and answers it as it now is; undefined when the tenant
 * has no such endpoint (another tenant's id changes nothing and finds nothing). Every change by id
 * goes through here, so each is scoped to its tenant the same way.
 */
async function updateOwnEndpoint(
  db: Db,
  tenantId: TenantId,
  id: string,
  set: SQLiteUpdateSetSource<typeof endpoints>,
): Promise<EndpointRow | undefined> {
  const [row] = await db
    .update(endpoints)
    .set(set)
    .where(and(eq(endpoints.tenantId, tenantId), eq(endpoints.id, id)))
    .returning();
  return row;
}

/**
 * One page of a tenant's endpoints, oldest first, after the endpoint `after` (its id: a cursor
 * from the previous page). Returns up to `limit` rows and whether more follow.
 */
export async function listEndpoints(
  db: Db,
  tenantId: TenantId,
  options: { limit: number; after?: string },
): Promise<{ rows: EndpointRow[]; more: boolean }> {
  const after = options.after
    ? sql`(${endpoints.createdAt}, ${endpoints.id}) > (SELECT created_at, id FROM endpoints WHERE tenant_id = ${tenantId} AND id = ${options.after})`
    : undefined;
  const rows = await db
    .select()
    .from(endpoints)
    .where(and(eq(endpoints.tenantId, tenantId), after))
    .orderBy(asc(endpoints.createdAt), asc(endpoints.id))
    .limit(options.limit + 1);
  return { rows: rows.slice(0, options.limit), more: rows.length > options.limit };
}

/**
 * Replaces an endpoint's signing secret (and its signing key pair, when it signs `v1a` too). The
 * ones it replaces go on signing until `previousUntil`; one still overlapping from an earlier
 * rotation stops at once (an endpoint signs with at most two generations). The new ones are
 * stored sealed under `keyring` (in clear without one); the old ones move as they are stored.
 */
export async function rotateEndpointSecret(
  db: Db,
  keyring: SecretsKeyring | null,
  tenantId: TenantId,
  id: string,
  fresh: { secret: string; signingKey: string | null; publicKey: string | null },
  previousUntil: number,
  now: number,
): Promise<EndpointRow | undefined> {
  const secret = await sealEndpointKey(keyring, id, "secret", fresh.secret);
  const signingKey = fresh.signingKey === null ? null : await sealEndpointKey(keyring, id, "signing_key", fresh.signingKey);
  return updateOwnEndpoint(db, tenantId, id, {
    previousSecret: sql`${endpoints.secret}`,
    previousSigningKey: sql`${endpoints.signingKey}`,
    previousUntil,
    secret,
    // Only an endpoint that signs v1a gets a new pair.
    signingKey: sql`CASE WHEN ${endpoints.signingKey} IS NULL THEN NULL ELSE ${signingKey} END`,
    publicKey: sql`CASE WHEN ${endpoints.signingKey} IS NULL THEN NULL ELSE ${fresh.publicKey} END`,
    updatedAt: now,
  });
}

/**
 * Turns `v1a` (Ed25519) signing on with the given pair, or off (null): an endpoint that already
 * signs `v1a` keeps its pair when asked to turn it on again. The signing key is stored sealed
 * under `keyring` (in clear without one).
 */
export async function setAsymmetricSigning(
  db: Db,
  keyring: SecretsKeyring | null,
  tenantId: TenantId,
  id: string,
  pair: { signingKey: string; publicKey: string } | null,
  now: number,
): Promise<EndpointRow | undefined> {
  const signingKey = pair && (await sealEndpointKey(keyring, id, "signing_key", pair.signingKey));
  return updateOwnEndpoint(
    db,
    tenantId,
    id,
    pair
      ? {
          signingKey: sql`coalesce(${endpoints.signingKey}, ${signingKey})`,
          publicKey: sql`coalesce(${endpoints.publicKey}, ${pair.publicKey})`,
          updatedAt: now,
        }
      : { signingKey: null, publicKey: null, previousSigningKey: null, updatedAt: now },
  );
}

/**
 * Turns a tenant's endpoint on again (`POST /v1/endpoints/{id}/enable`): not disabled, circuit
 * closed, a fresh streak; the webhooks still parked for it are released by the tick (`release`).
 * What already ended `failed` stays so (recover redelivers it). Undefined: no such endpoint of the tenant.
 */
export async function enableEndpoint(db: Db, tenantId: TenantId, id: string, now: number): Promise<EndpointRow | undefined> {
  return updateOwnEndpoint(db, tenantId, id, {
    disabledAt: null,
    circuitOpenedAt: null,
    consecutiveFailures: 0,
    failingSince: null,
    probeStep: 0,
    nextProbeAt: null,
    probeMessageId: null,
    pendingDrain: "release",
    updatedAt: now,
  });
}

/**
 * Turns a tenant's endpoint off (`POST /v1/endpoints/{id}/disable`), as failing too long does:
 * nothing more is sent to it, and the tick ends its active subscriptions `failed`
 * (`endpoint_disabled`) with their pending webhooks (`fail`). Disabling one already disabled changes nothing.
 */
export async function disableEndpoint(db: Db, tenantId: TenantId, id: string, now: number): Promise<EndpointRow | undefined> {
  return updateOwnEndpoint(db, tenantId, id, {
    disabledAt: sql`coalesce(${endpoints.disabledAt}, ${now})`,
    nextProbeAt: null,
    probeMessageId: null,
    pendingDrain: sql`CASE WHEN ${endpoints.disabledAt} IS NULL THEN 'fail' ELSE ${endpoints.pendingDrain} END`,
    updatedAt: now,
  });
}

/**
 * Sets the endpoint's rate limit (sends a second, across the tick and every consumer), or lifts it
 * (null). Only the tenant's own endpoint: another tenant's id changes nothing and finds nothing.
 */
export async function setRateLimit(
  db: Db,
  tenantId: TenantId,
  id: string,
  ratePerSecond: number | null,
  now: number,
): Promise<EndpointRow | undefined> {
  return updateOwnEndpoint(db, tenantId, id, { rateLimitPerSecond: ratePerSecond, updatedAt: now });
}
