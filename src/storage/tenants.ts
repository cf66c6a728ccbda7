import { asc, eq, sql } from "drizzle-orm";
import type { Db } from "./db";
import { type TenantRow, tenants } from "./schema";

export const createTenant = async (db: Db, tenant: { id: string; name: string }, now: number): Promise<TenantRow> => {
  const [row] = await db
    .insert(tenants)
    .values({ ...tenant, createdAt: now, updatedAt: now })
    .returning();
  return row!;
};

/** Every tenant, oldest first (a relay has few: no paging). */
export const listTenants = (db: Db): Promise<TenantRow[]> => db.select().from(tenants).orderBy(asc(tenants.createdAt), asc(tenants.id));

export const findTenant = async (db: Db, id: string): Promise<TenantRow | undefined> =>
  (await db.select().from(tenants).where(eq(tenants.id, id)))[0];

/** What the admin changes of a tenant: each field given is set; `caps` is merged (a null cap goes back to its default). */
export interface TenantChanges {
  name?: string;
  sharedUpstream?: boolean;
  trusted?: boolean;
  caps?: Partial<Record<string, number | null>>;
}

/** Changes a tenant in one statement; undefined when there is none by that id. */
export async function updateTenant(db: Db, id: string, changes: TenantChanges, now: number): Promise<TenantRow | undefined> {
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
    .where(eq(tenants.id, id))
    .returning();
  return row;
}

/** Whether the relay has one tenant only (at most two rows read). */
export const isOnlyTenant = async (db: Db): Promise<boolean> => {
  const [row] = await db.all<{ n: number }>(sql`SELECT count(*) AS n FROM (SELECT 1 FROM tenants LIMIT 2)`);
  return row?.n === 1;
};
