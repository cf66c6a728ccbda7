import { and, asc, eq, isNull, sql } from "drizzle-orm";
import type { TenantId } from "../domain/ids";
import { type Db, prebuilt, statement } from "./db";
import { batchRows, column, selectList, wholeRowSchema } from "./rows";
import { type ApiKeyRow, apiKeys, tenants } from "./schema";

/** A key that works: not revoked, its tenant not deleted; with whether its tenant is suspended. */
export type LiveKey = ApiKeyRow & { suspended: boolean };

/** An api_keys row, whole, with its tenant's `suspended_at`. */
const KeyRow = wholeRowSchema(apiKeys);
const LiveKeyRow = KeyRow.with({ suspendedAt: column(tenants.suspendedAt) });

/**
 * The key whose `by` column holds `value`, unless revoked or its tenant deleted (one join on the
 * tenant's primary key). Built by drizzle once (`prebuilt`): every API request with a tenant key
 * and every dashboard request makes this read.
 */
const liveKeyReads = (by: "hash" | "id") =>
  prebuilt([{ value: "a" }, { value: "b" }], (db, { value }) => [
    statement(
      db,
      sql`SELECT ${selectList(KeyRow, "k.")}, t.suspended_at AS suspendedAt FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
      WHERE k.${sql.raw(by)} = ${value} AND k.revoked_at IS NULL AND t.deleted_at IS NULL`,
    ),
  ]);
const liveKeyRead = { hash: liveKeyReads("hash"), id: liveKeyReads("id") };

async function liveKey(db: Db, by: "hash" | "id", value: string): Promise<LiveKey | undefined> {
  const [read] = liveKeyRead[by](db, { value });
  const [row] = batchRows(LiveKeyRow, "a live API key", await read!.all());
  if (!row) return undefined;
  const { suspendedAt, ...key } = row;
  return { ...key, suspended: suspendedAt !== null };
}

export const insertApiKey = async (db: Db, key: Omit<ApiKeyRow, "revokedAt">): Promise<void> => {
  await db.insert(apiKeys).values(key);
};

/** A tenant's keys, revoked ones included, oldest first. */
export const listApiKeys = (db: Db, tenantId: TenantId): Promise<ApiKeyRow[]> =>
  db.select().from(apiKeys).where(eq(apiKeys.tenantId, tenantId)).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id));

/** The key with this hash, if it works (`liveKey`): what a presented tenant key is checked against. */
export const findLiveKeyByHash = (db: Db, hash: string): Promise<LiveKey | undefined> => liveKey(db, "hash", hash);

/** The key with this id, if it works (`liveKey`): what a dashboard session is checked against. */
export const findLiveKeyById = (db: Db, id: string): Promise<LiveKey | undefined> => liveKey(db, "id", id);

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
