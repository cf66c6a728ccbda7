import { and, asc, eq, isNull } from "drizzle-orm";
import type { Db } from "./db";
import { type ApiKeyRow, apiKeys } from "./schema";

export const insertApiKey = async (db: Db, key: Omit<ApiKeyRow, "revokedAt">): Promise<void> => {
  await db.insert(apiKeys).values(key);
};

/** A tenant's keys, revoked ones included, oldest first. */
export const listApiKeys = (db: Db, tenantId: string): Promise<ApiKeyRow[]> =>
  db.select().from(apiKeys).where(eq(apiKeys.tenantId, tenantId)).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id));

/** The key with this hash, unless revoked: what a presented tenant key is checked against. */
export const findLiveKeyByHash = async (db: Db, hash: string): Promise<ApiKeyRow | undefined> =>
  (
    await db
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.hash, hash), isNull(apiKeys.revokedAt)))
  )[0];

/** The key with this id, unless revoked: what a dashboard session is checked against. */
export const findLiveKeyById = async (db: Db, id: string): Promise<ApiKeyRow | undefined> =>
  (
    await db
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
  )[0];

/**
 * Revokes a key at once (revoking twice keeps the first time). Undefined when there is no key by
 * that id.
 */
export async function revokeApiKey(db: Db, id: string, now: number): Promise<ApiKeyRow | undefined> {
  await db
    .update(apiKeys)
    .set({ revokedAt: now })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)));
  return (await db.select().from(apiKeys).where(eq(apiKeys.id, id)))[0];
}
