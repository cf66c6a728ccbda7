import { asc, gt } from "drizzle-orm";
import { isTenantId } from "../domain/ids";
import type { Db } from "./db";
import { listEndpoints } from "./endpoints";
import { type EndpointRow, endpoints } from "./schema";

/** A page of endpoints, and the id to continue after (null on the last page). */
export interface EndpointPage {
  rows: EndpointRow[];
  next: string | null;
}

/**
 * The dashboard's endpoints: one tenant's (a tenant's session, or the admin's `?tenant=`) oldest
 * first as the API lists them, or every tenant's (the admin's, unfiltered) in id order, on the
 * primary key. `after` is the last id of the previous page. A tenant filter of no tenant id's
 * shape names no tenant: an empty page.
 */
export async function listDashboardEndpoints(
  db: Db,
  options: { tenant: string | undefined; after?: string; limit: number },
): Promise<EndpointPage> {
  const { tenant, after, limit } = options;
  if (tenant !== undefined) {
    if (!isTenantId(tenant)) return { rows: [], next: null };
    const page = await listEndpoints(db, tenant, { limit, after });
    return { rows: page.rows, next: page.more ? (page.rows.at(-1)?.id ?? null) : null };
  }
  const rows = await db
    .select()
    .from(endpoints)
    .where(after === undefined ? undefined : gt(endpoints.id, after))
    .orderBy(asc(endpoints.id))
    .limit(limit + 1);
  const shown = rows.slice(0, limit);
  return { rows: shown, next: rows.length > limit ? (shown.at(-1)?.id ?? null) : null };
}
