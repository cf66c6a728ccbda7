import { sql } from "drizzle-orm";
import type { Db } from "./db";
import { afterCursor, type Cursor, type Page, toPage } from "./keyset";

/** The statuses the dashboard lists, each through its partial index (cancelled ones are not listed). */
export const LISTED_SUBSCRIPTION_STATUSES = ["active", "failed", "delivered"] as const;
export type ListedSubscriptionStatus = (typeof LISTED_SUBSCRIPTION_STATUSES)[number];

export interface SubscriptionListRow {
  id: string;
  tenantId: string;
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
 * Active ones by registration, failed and delivered ones by when that happened. The status is a
 * literal, not a bound parameter: SQLite uses a partial index only when it can prove, while
 * preparing, that the query's WHERE implies the index's.
 */
const SHAPES = {
  active: { column: sql`s.created_at`, status: sql`s.status = 'active'` },
  failed: { column: sql`s.updated_at`, status: sql`s.status = 'failed'` },
  delivered: { column: sql`s.updated_at`, status: sql`s.status = 'delivered'` },
} as const;

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
  const tenant = query.tenant === undefined ? sql`1 = 1` : sql`+s.tenant_id = ${query.tenant}`;
  const rows = await db.all<{
    rowid: number;
    sort_key: number;
    id: string;
    tenant_id: string;
    provider: string;
    task_id: string;
    action: string | null;
    action2: string | null;
    task_status: string | null;
    polls: number | null;
    callback_url: string;
    status: string;
    status_reason: string | null;
    created_at: number;
    updated_at: number;
    latest: string | null;
  }>(sql`SELECT s.rowid AS rowid, ${column} AS sort_key, s.id, s.tenant_id, t.provider, t.task_id, t.action, t.action2, t.task_status, t.polls,
      s.callback_url, s.status, s.status_reason, s.created_at, s.updated_at,
      (SELECT json_object('eventType', m.event_type, 'status', m.status, 'attempts', m.attempts, 'statusCode', m.last_status_code, 'error', m.last_error)
        FROM messages m WHERE m.subscription_id = s.id ORDER BY m.updated_at DESC LIMIT 1) AS latest
    FROM subscriptions s JOIN tasks t ON t.id = s.task_key
    WHERE ${status} AND ${tenant} AND ${afterCursor(column, "desc", query.after, sql`s.rowid`)}
    ORDER BY ${column} DESC, s.rowid DESC
    LIMIT ${query.limit + 1}`);
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
