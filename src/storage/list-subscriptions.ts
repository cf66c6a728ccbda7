import { sql } from "drizzle-orm";
import type { TenantId } from "../domain/ids";
import type { Db } from "./db";
import { afterCursor, type Cursor, type Page, toPage } from "./keyset";
import { int, column as of, readAll, rowSchema, textOrNull } from "./rows";
import { subscriptions, tasks } from "./schema";
import { isSmallTenant, TENANT_TASKS } from "./tenant-size";

/** The statuses the dashboard lists (cancelled ones are not listed). */
export const LISTED_SUBSCRIPTION_STATUSES = ["active", "failed", "delivered"] as const;
export type ListedSubscriptionStatus = (typeof LISTED_SUBSCRIPTION_STATUSES)[number];

export interface SubscriptionListRow {
  id: string;
  tenantId: TenantId;
  provider: string;
  taskId: string;
  action: string | null;
  action2: string | null;
  taskStatus: string | null;
  polls: number | null;
  callbackUrl: string;
  status: string;
  statusReason: string | null;
  createdAt: number;
  updatedAt: number;
  /** Its most recently updated message, if any: what was last tried and how it went. */
  latest: { eventType: string; status: string; attempts: number; statusCode: number | null; error: string | null } | null;
  sortKey: number;
  rowid: number;
}

/**
 * Active ones by registration and failed ones by when that happened, each down its partial index;
 * delivered ones newest registered first, in the table's own order (rowid), checked per row: most
 * subscriptions are delivered in time, and an index of them would cost each finished task a row
 * written (schema.ts). The status is a literal, not a bound parameter: SQLite uses a partial index
 * only when it can prove, while preparing, that the query's WHERE implies the index's. A small
 * tenant's pages read its own tasks' subscriptions instead, sorted (storage/tenant-size.ts).
 */
const SHAPES = {
  active: { column: sql`s.created_at`, status: sql`s.status = 'active'` },
  failed: { column: sql`s.updated_at`, status: sql`s.status = 'failed'` },
  delivered: { column: sql`s.rowid`, status: sql`s.status = 'delivered'` },
} as const;

/** A row of `listSubscriptions`'s statement. */
const ListedRow = rowSchema({
  rowid: int,
  sort_key: int,
  id: of(subscriptions.id),
  tenant_id: of(subscriptions.tenantId),
  provider: of(tasks.provider),
  task_id: of(tasks.taskId),
  action: of(tasks.action),
  action2: of(tasks.action2),
  task_status: of(tasks.taskStatus),
  polls: of(tasks.polls),
  callback_url: of(subscriptions.callbackUrl),
  status: of(subscriptions.status),
  status_reason: of(subscriptions.statusReason),
  created_at: of(subscriptions.createdAt),
  updated_at: of(subscriptions.updatedAt),
  /** Its latest message's facts as a JSON object, or null. */
  latest: textOrNull,
});

/**
 * One page of subscriptions in one status, newest first, with their task's kind and their latest
 * message. The failed page is the dead-letter list.
 */
export async function listSubscriptions(
  db: Db,
  /** `tenant`: only this tenant's subscriptions; every tenant's when absent (the admin). */
  query: { status: ListedSubscriptionStatus; tenant?: string; after?: Cursor; limit: number },
): Promise<Page<SubscriptionListRow>> {
  const { column, status } = SHAPES[query.status];
  // A small tenant's page reads its own tasks' subscriptions and sorts them (storage/tenant-size.ts);
  // any other walks the status's order and skips other tenants' (the term kept out of index selection).
  const own = query.tenant !== undefined && (await isSmallTenant(db, query.tenant));
  const from = own
    ? sql`${TENANT_TASKS} CROSS JOIN subscriptions s ON s.task_key = t.id`
    : sql`subscriptions s JOIN tasks t ON t.id = s.task_key`;
  const tenant =
    query.tenant === undefined
      ? sql`1 = 1`
      : own
        ? sql`t.tenant_id = ${query.tenant} AND s.tenant_id = ${query.tenant}`
        : sql`+s.tenant_id = ${query.tenant}`;
  const rows = await readAll(
    db,
    ListedRow,
    "a page of subscriptions",
    sql`SELECT s.rowid AS rowid, ${column} AS sort_key, s.id, s.tenant_id, t.provider, t.task_id, t.action, t.action2, t.task_status, t.polls,
      s.callback_url, s.status, s.status_reason, s.created_at, s.updated_at,
      (SELECT json_object('eventType', m.event_type, 'status', m.status, 'attempts', m.attempts, 'statusCode', m.last_status_code, 'error', m.last_error)
        FROM messages m WHERE m.subscription_id = s.id ORDER BY m.updated_at DESC LIMIT 1) AS latest
    FROM ${from}
    WHERE ${status} AND ${tenant} AND ${afterCursor(column, "desc", query.after, sql`s.rowid`)}
    ORDER BY ${column} DESC, s.rowid DESC
    LIMIT ${query.limit + 1}`,
  );
  return toPage(
    rows.map((r) => ({
      id: r.id,
      tenantId: r.tenant_id,
      provider: r.provider,
      taskId: r.task_id,
      action: r.action,
      action2: r.action2,
      taskStatus: r.task_status,
      polls: r.polls,
      callbackUrl: r.callback_url,
      status: r.status,
      statusReason: r.status_reason,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      latest: r.latest === null ? null : (JSON.parse(r.latest) as SubscriptionListRow["latest"]),
      sortKey: r.sort_key,
      rowid: r.rowid,
    })),
    query.limit,
  );
}
