import { and, asc, eq, isNull, type SQL, sql } from "drizzle-orm";
import type { TenantId } from "../domain/ids";
import type { Db } from "./db";
import { type ApiKeyRow, apiKeys, tenants } from "./schema";

/** A key that works: not revoked, its tenant not deleted; with whether its tenant is suspended. */
export type LiveKey = ApiKeyRow & { suspended: boolean };

/** The key matching `where`, unless revoked or its tenant deleted (one join on the tenant's primary key). */
async function liveKey(db: Db, where: SQL | undefined): Promise<LiveKey | undefined> {
  const [row] = await db
    .select({ key: apiKeys, suspendedAt: tenants.suspendedAt })
    .from(apiKeys)
    .innerJoin(tenants, eq(tenants.id, apiKeys.tenantId))
    .where(and(where, isNull(apiKeys.revokedAt), isNull(tenants.deletedAt)));
  return row && { ...row.key, suspended: row.suspendedAt !== null };
}

export const insertApiKey = async (db: Db, key: Omit<ApiKeyRow, "revokedAt">): Promise<void> => {
  await db.insert(apiKeys).values(key);
};

/** A tenant's keys, revoked ones included, oldest first. */
export const listApiKeys = (db: Db, tenantId: TenantId): Promise<ApiKeyRow[]> =>
  db.select().from(apiKeys).where(eq(apiKeys.tenantId, tenantId)).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id));

/** The key with this hash, if it works (`liveKey`): what a presented tenant key is checked against. */
export const findLiveKeyByHash = (db: Db, hash: string): Promise<LiveKey | undefined> => liveKey(db, eq(apiKeys.hash, hash));

/** The key with this id, if it works (`liveKey`): what a dashboard session is checked against. */
export const findLiveKeyById = (db: Db, id: string): Promise<LiveKey | undefined> => liveKey(db, eq(apiKeys.id, id));

/**
 * Revokes a key at once (revoking twice keeps the first time). Undefined when there is no key by
 * that id, or its tenant was deleted (it answers 404 like everything of that tenant).
 */
export async function revokeApiKey(db: Db, id: string, now: number): Promise<ApiKeyRow | undefined> {
  const ofLiveTenant = sql`${apiKeys.tenantId} IN (SELECT id FROM tenants WHERE deleted_at IS NULL)`;
  await db
    .update(apiKeys)
    .set({ revokedAt: now })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt), ofLiveTenant));
  return (
    await db
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.id, id), ofLiveTenant))
  )[0];
}
