import { and, asc, eq, isNull, ne, sql } from "drizzle-orm";
import type { TenantId } from "../domain/ids";
import { DEFAULT_TENANT } from "../domain/tenancy";
import { type Db, prebuilt, statement } from "./db";
import { batchRows, column, int, readOne, rowSchema } from "./rows";
import { type TenantRow, tenants } from "./schema";

export const createTenant = async (db: Db, tenant: { id: TenantId; name: string }, now: number): Promise<TenantRow> => {
  const [row] = await db
    .insert(tenants)
    .values({ ...tenant, createdAt: now, updatedAt: now })
    .returning();
  return row!;
};

/** A tenant that is not deleted: a deleted one answers 404 everywhere, as if it never existed. */
const live = (id: TenantId) => and(eq(tenants.id, id), isNull(tenants.deletedAt));

/** Every tenant but deleted ones, oldest first (a relay has few: no paging). */
export const listTenants = (db: Db): Promise<TenantRow[]> =>
  db.select().from(tenants).where(isNull(tenants.deletedAt)).orderBy(asc(tenants.createdAt), asc(tenants.id));

/** The tenant by that id, unless deleted (a suspended one is found). */
export const findTenant = async (db: Db, id: TenantId): Promise<TenantRow | undefined> =>
  (await db.select().from(tenants).where(live(id)))[0];

const SuspensionRow = rowSchema({ suspended_at: column(tenants.suspendedAt) });
const suspensionRead = prebuilt([{ id: "a" }, { id: "b" }], (db, { id }) => [
  statement(db, sql`SELECT suspended_at FROM tenants WHERE id = ${id} AND deleted_at IS NULL`),
]);

/**
 * Whether the tenant by that id is suspended; undefined when there is none (or it was deleted).
 * One primary-key read, its statement built by drizzle once (`prebuilt`): every API request
 * with a configured key makes it.
 */
export async function tenantSuspension(db: Db, id: TenantId): Promise<{ suspended: boolean } | undefined> {
  const [read] = suspensionRead(db, { id });
  const [row] = batchRows(SuspensionRow, "a tenant's suspension", await read!.all());
  return row && { suspended: row.suspended_at !== null };
}

/** What the admin changes of a tenant: each field given is set; `caps` is merged (a null cap goes back to its default). */
export interface TenantChanges {
  name?: string;
  sharedUpstream?: boolean;
  trusted?: boolean;
  caps?: Partial<Record<string, number | null>>;
}

/** Changes a tenant in one statement; undefined when there is none by that id. */
export async function updateTenant(db: Db, id: TenantId, changes: TenantChanges, now: number): Promise<TenantRow | undefined> {
  const caps = changes.caps === undefined ? undefined : sql`json_patch(coalesce(${tenants.caps}, '{}'), ${JSON.stringify(changes.caps)})`;
  const [row] = await db
    .update(tenants)
    .set({
      ...(changes.name !== undefined ? { name: changes.name } : {}),
      ...(changes.sharedUpstream !== undefined ? { sharedUpstream: changes.sharedUpstream } : {}),
      ...(changes.trusted !== undefined ? { trusted: changes.trusted } : {}),
      ...(caps !== undefined ? { caps } : {}),
      updatedAt: now,
    })
    .where(live(id))
    .returning();
  return row;
}

/**
 * Suspends (`true`) or resumes (`false`) a tenant; suspending twice keeps the first time. Its due
 * work is parked by the claims that meet it and unparked by the tick after the resume
 * (storage/parking.ts). Undefined when there is none by that id.
 */
export async function setSuspended(db: Db, id: TenantId, suspended: boolean, now: number): Promise<TenantRow | undefined> {
  const [row] = await db
    .update(tenants)
    .set({ suspendedAt: suspended ? sql`coalesce(${tenants.suspendedAt}, ${now})` : null, updatedAt: now })
    .where(live(id))
    .returning();
  return row;
}

/**
 * Marks a tenant deleted: from now on its keys and sessions fail and it answers 404; the tick
 * removes its rows (storage/tenant-purge.ts). Never `default` (the keys of RELAY_API_KEYS belong to
 * it). Undefined when there is none by that id (or it was deleted already).
 */
export const markTenantDeleted = async (db: Db, id: TenantId, now: number): Promise<TenantRow | undefined> =>
  (
    await db
      .update(tenants)
      .set({ deletedAt: now, updatedAt: now })
      .where(and(live(id), ne(tenants.id, DEFAULT_TENANT)))
      .returning()
  )[0];

/** Whether the relay has one tenant only (at most two rows read). */
export const isOnlyTenant = async (db: Db): Promise<boolean> => {
  const row = await readOne(
    db,
    rowSchema({ n: int }),
    "whether one tenant is alone",
    sql`SELECT count(*) AS n FROM (SELECT 1 FROM tenants LIMIT 2)`,
  );
  return row?.n === 1;
};
