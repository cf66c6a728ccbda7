import { type SQL, sql } from "drizzle-orm";
import type { TenantId } from "../domain/ids";
import { purgeAuditStatement } from "./audit-log";
import { type Db, runBatch } from "./db";
import { eachLane } from "./due-lanes";
import { operationEventsToPurge, operationEventsWaiting, purgeOperationEventsStatement } from "./operation-events";
import { PARKED_FROM, unparkStatements } from "./parking";
import { column, int, readOne, rowSchema } from "./rows";
import { tenants } from "./schema";

/** What the tenants' upkeep did at the start of a tick. */
export interface TenantUpkeep {
  /** Parked rows of resumed tenants made due. */
  unparked: number;
  /** Audit entries older than AUDIT_RETENTION_DAYS deleted. */
  auditPurged: number;
  /** Operational events older than AUDIT_RETENTION_DAYS deleted (with the audit log). */
  operationEventsPurged: number;
  /** What the endpoints' upkeep has to do (`endpointWorkLook`'s flags), looked at in the same statement. */
  endpointWork: number;
  /** Whether operational events wait to be sent: the tick then takes its step of sending them. */
  operationEventsWaiting: boolean;
  /** The oldest tenant marked deleted, whose rows the tick removes a slice of, if any. */
  deletedTenant: TenantId | undefined;
  /** Whether any tenant has upstream credentials of its own (without the operator's, the tick still polls for them). */
  ownAccounts: boolean;
}

/**
 * The tick's upkeep of tenants: a resumed tenant's parked work made due again (storage/parking.ts),
 * old audit entries and operational events deleted, whether events wait to be sent, the tenant being deleted found, and whether any tenant has its own
 * upstream account. Most ticks have none of it to do,
 * so one statement looks first (each part an index lookup: parked rows of live tenants by their
 * parked time, the oldest audit entry, deleted tenants), and only what it found is done, in one
 * more batch. An idle tick pays one statement, not six.
 */
export async function tenantUpkeep(db: Db, o: { now: number; auditCutoff: number; endpointWork: SQL }): Promise<TenantUpkeep> {
  const live = sql`(SELECT ${PARKED_FROM} + created_at FROM tenants WHERE suspended_at IS NULL AND deleted_at IS NULL)`;
  const row = rowSchema({
    parked: int,
    audit: int,
    old_events: int,
    waiting_events: int,
    deleting: column(tenants.id, "nullable"),
    own_accounts: int,
    endpoint_work: int,
  });
  const look = await readOne(
    db,
    row,
    "the tenants' upkeep",
    sql`SELECT
    ${eachLane(sql` OR `, (due) => sql`EXISTS (SELECT 1 FROM ${due.from} WHERE ${due.lane} AND next_poll_at IN ${live})`)}
      OR EXISTS (SELECT 1 FROM messages WHERE next_attempt_at IN ${live})
      OR EXISTS (SELECT 1 FROM archive_files WHERE next_attempt_at IN ${live}) AS parked,
    EXISTS (SELECT 1 FROM audit_log WHERE at < ${o.auditCutoff}) AS audit,
    ${operationEventsToPurge(o.auditCutoff)} AS old_events,
    ${operationEventsWaiting} AS waiting_events,
    (SELECT id FROM tenants WHERE deleted_at IS NOT NULL ORDER BY deleted_at LIMIT 1) AS deleting,
    EXISTS (SELECT 1 FROM tenant_credentials) AS own_accounts,
    ${o.endpointWork} AS endpoint_work`,
  );
  const upkeep: TenantUpkeep = {
    unparked: 0,
    auditPurged: 0,
    operationEventsPurged: 0,
    operationEventsWaiting: look?.waiting_events === 1,
    deletedTenant: look?.deleting ?? undefined,
    ownAccounts: look?.own_accounts === 1,
    endpointWork: look?.endpoint_work ?? 0,
  };
  const unpark = look?.parked ? unparkStatements(db, o.now) : [];
  const purge = look?.audit ? [purgeAuditStatement(db, o.auditCutoff)] : [];
  const purgeEvents = look?.old_events ? [purgeOperationEventsStatement(db, o.auditCutoff)] : [];
  if (unpark.length + purge.length + purgeEvents.length === 0) return upkeep;
  const results = await runBatch(db, [...unpark, ...purge, ...purgeEvents]);
  const changes = results.map((r) => r.meta.changes ?? 0);
  upkeep.unparked = changes.slice(0, unpark.length).reduce((a, b) => a + b, 0);
  if (purge.length > 0) upkeep.auditPurged = changes[unpark.length] ?? 0;
  if (purgeEvents.length > 0) upkeep.operationEventsPurged = changes[unpark.length + purge.length] ?? 0;
  return upkeep;
}
