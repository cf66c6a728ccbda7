import { type SQL, sql } from "drizzle-orm";
import type { OperationEventType } from "../domain/operation-events";
import { type Db, statement } from "./db";
import { column, readAll, rowSchema } from "./rows";
import { operationEvents } from "./schema";

/**
 * The statement that records operational events (domain/operation-events.ts) of `type`, one per
 * row of `source`, for the caller to run in its own D1 batch, so an event exists exactly when what
 * it tells of was written. `source` is a SELECT with three columns:
 * - `tenant_id`: whose event it is (its operations endpoint receives it; nobody else's does);
 * - `occurrence`: what makes it once, unique per tenant within the type (`sub_...`, `ep_...:<opened at>`):
 *   a second statement about the same occurrence records nothing (`ON CONFLICT DO NOTHING`);
 * - `data`: the event's `data` object as JSON text (SQLite's `json_object(...)`).
 *
 * An event of a tenant with an operations endpoint is `scheduled` for it at once; without one it
 * is `unsent`, and only the dashboard shows it.
 * @example recordOperationEvents(db, "task.expired", sql`SELECT t.tenant_id, t.id AS occurrence, json_object('task_id', t.task_id) AS data FROM tasks t WHERE ...`, now)
 */
export function recordOperationEvents(db: Db, type: OperationEventType, source: SQL, now: number): D1PreparedStatement {
  // `WHERE true`: SQLite needs a WHERE in an INSERT ... SELECT with an upsert clause.
  return statement(
    db,
    sql`INSERT INTO operation_events (id, tenant_id, event_type, occurrence, data, state, endpoint_id, next_attempt_at, created_at, updated_at)
    SELECT 'evt_' || lower(hex(randomblob(12))), e.tenant_id, ${type}, ${type} || ':' || e.occurrence, e.data,
      CASE WHEN ep.id IS NULL THEN 'unsent' ELSE 'scheduled' END,
      ep.id,
      CASE WHEN ep.id IS NULL THEN NULL ELSE ${now} END,
      ${now}, ${now}
    FROM (${source}) e JOIN tenants o ON o.id = e.tenant_id
      -- Its own endpoint only, and one that still exists (deleting an endpoint leaves the tenant's pointer).
      LEFT JOIN endpoints ep ON ep.id = o.operations_endpoint_id AND ep.tenant_id = o.id
    WHERE true
    ON CONFLICT (tenant_id, occurrence) DO NOTHING`,
  );
}

/** An epoch-ms column as the ISO 8601 text the API shows (null stays null). */
const isoText = (ms: string) => `strftime('%Y-%m-%dT%H:%M:%fZ', ${ms} / 1000.0, 'unixepoch')`;

/**
 * The `data` of an `endpoint.*` event (docs/operations.md), from the `endpoints` row `e` (an alias
 * in the caller's SELECT) as the statement leaves it: for `recordOperationEvents`' source.
 * @example recordOperationEvents(db, "endpoint.disabled", sql`SELECT e.tenant_id, e.id || ':' || e.disabled_at AS occurrence, ${endpointEventData("e")} AS data FROM endpoints e WHERE ...`, now)
 */
export const endpointEventData = (e: string): SQL =>
  sql.raw(
    `json_object('endpoint_id', ${e}.id, 'url', ${e}.url, 'consecutive_failures', ${e}.consecutive_failures, ` +
      `'failing_since', ${isoText(`${e}.failing_since`)}, 'last_failure_reason', ${e}.last_failure_reason, ` +
      `'circuit_opened_at', ${isoText(`${e}.circuit_opened_at`)}, 'disabled_at', ${isoText(`${e}.disabled_at`)})`,
  );

/** Operational events kept per purge: the table is small (events are rare), the batch bounded anyway. */
export const OPERATION_EVENTS_PURGE_BATCH = 500;

/**
 * Deletes up to OPERATION_EVENTS_PURGE_BATCH of the oldest events created before `cutoff`
 * (AUDIT_RETENTION_DAYS, with the audit log). Oldest by rowid: rows are only ever appended and
 * deleted from the old end, so rowid order is creation order and no index on `created_at` alone
 * is needed.
 */
export const purgeOperationEventsStatement = (db: Db, cutoff: number): D1PreparedStatement =>
  statement(
    db,
    sql`DELETE FROM operation_events WHERE rowid IN
    (SELECT rowid FROM operation_events ORDER BY rowid LIMIT ${OPERATION_EVENTS_PURGE_BATCH}) AND created_at < ${cutoff}`,
  );

/** Whether the oldest event is older than `cutoff` (one row read): for the tick's upkeep look. */
export const operationEventsToPurge = (cutoff: number): SQL =>
  sql`EXISTS (SELECT 1 FROM (SELECT created_at FROM operation_events ORDER BY rowid LIMIT 1) WHERE created_at < ${cutoff})`;

/** Whether any event waits to be sent (its due time set), by the `operation_events_due` index. */
export const operationEventsWaiting = sql`EXISTS (SELECT 1 FROM operation_events WHERE next_attempt_at IS NOT NULL)`;

const NoticeRow = rowSchema({
  id: column(operationEvents.id),
  tenant_id: column(operationEvents.tenantId),
  event_type: column(operationEvents.eventType),
  data: column(operationEvents.data),
  state: column(operationEvents.state),
  attempts: column(operationEvents.attempts),
  last_error: column(operationEvents.lastError),
  created_at: column(operationEvents.createdAt),
});

export interface OperationNotice {
  id: string;
  tenantId: string;
  type: string;
  data: Record<string, unknown>;
  state: "unsent" | "scheduled" | "leased" | "delivered" | "failed";
  attempts: number;
  lastError: string | null;
  createdAt: number;
}

/**
 * The newest `limit` operational events of `tenant` (every tenant's for the admin's undefined),
 * newest first: the dashboard's notices.
 */
export async function listOperationNotices(db: Db, tenant: string | undefined, limit: number): Promise<OperationNotice[]> {
  // One tenant's by its index, newest first; every tenant's newest by rowid (creation order): no sort either way.
  const where = tenant === undefined ? sql`ORDER BY rowid DESC` : sql`WHERE tenant_id = ${tenant} ORDER BY created_at DESC, rowid DESC`;
  const rows = await readAll(
    db,
    NoticeRow,
    "operational notices",
    sql`SELECT id, tenant_id, event_type, data, state, attempts, last_error, created_at FROM operation_events ${where} LIMIT ${limit}`,
  );
  return rows.map((r) => ({
    id: r.id,
    tenantId: r.tenant_id,
    type: r.event_type,
    data: JSON.parse(r.data) as Record<string, unknown>,
    state: r.state,
    attempts: r.attempts,
    lastError: r.last_error,
    createdAt: r.created_at,
  }));
}
