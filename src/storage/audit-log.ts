import { sql } from "drizzle-orm";
import type { TenantId } from "../domain/ids";
import { systemClock } from "../lib/clock";
import { type Db, statement } from "./db";
import { afterCursor, type Cursor, type Page, toPage } from "./keyset";
import { column, readAll, rowSchema } from "./rows";
import { type AuditLogRow, auditLog } from "./schema";

/**
 * The audit log: who did what, to what, from where. One row per action; never a secret (`detail`
 * holds small facts such as a name). Kept AUDIT_RETENTION_DAYS (`purgeAudit`, from the tick).
 */

/** Who acted: the admin, or a tenant's key (its id, and its visible prefix when it has one). */
export type AuditActor = { kind: "admin" } | { kind: "key"; keyId: string; prefix: string | null };

/** A caller as the auth code knows it (auth/caller.ts `Caller`), reduced to what the log keeps. */
export const auditActorOf = (caller: { kind: "admin" } | { kind: "tenant"; keyId: string; prefix: string | null }): AuditActor =>
  caller.kind === "admin" ? { kind: "admin" } : { kind: "key", keyId: caller.keyId, prefix: caller.prefix };

export interface AuditEntry {
  /** The tenant acted on or for; null for a relay-wide admin action. */
  tenantId: TenantId | null;
  actor: AuditActor;
  /** What was done, `noun.verb` (`tenant.suspend`, `key.create`, `endpoint.secret_read`, ...). */
  action: string;
  /** The id of what it was done to. */
  target: string;
  /** `cf-connecting-ip`, or null. */
  clientAddress: string | null;
  /** Small facts, never a secret. */
  detail?: Record<string, string | number | boolean | null>;
}

const valuesOf = (entry: AuditEntry, now: number) => ({
  at: now,
  tenantId: entry.tenantId,
  actorKind: entry.actor.kind,
  actorKeyId: entry.actor.kind === "key" ? entry.actor.keyId : null,
  actorKeyPrefix: entry.actor.kind === "key" ? entry.actor.prefix : null,
  action: entry.action,
  target: entry.target,
  clientAddress: entry.clientAddress,
  detail: entry.detail === undefined ? null : JSON.stringify(entry.detail),
});

/**
 * The INSERT of one entry as a D1 statement, to run inside the batch that does the action (see
 * `runBatch`): the entry is written if and only if the action is.
 * @example await runBatch(db, [statement(db, update), auditStatement(db, entry, systemClock.now())])
 */
export const auditStatement = (db: Db, entry: AuditEntry, now: number = systemClock.now()): D1PreparedStatement =>
  statement(db, db.insert(auditLog).values(valuesOf(entry, now)));

/**
 * Records one entry on its own, after the action it tells of succeeded.
 * @example await recordAudit(db, { tenantId, actor: auditActorOf(c.get("caller")), action: "key.create", target: keyId, clientAddress })
 */
export async function recordAudit(db: Db, entry: AuditEntry, now: number = systemClock.now()): Promise<void> {
  await db.insert(auditLog).values(valuesOf(entry, now));
}

export interface AuditListQuery {
  /** One tenant's entries; every entry when absent (the admin). */
  tenant?: string;
  after?: Cursor;
  limit: number;
}

export type AuditListRow = AuditLogRow & { sortKey: number; rowid: number };

/**
 * One page of entries, newest first. One tenant's walk `audit_log_tenant` (tenant, id); all of them
 * the primary key, backwards from the newest, stopping at the limit (`id > 0` makes that a range
 * search of the key, as the plan tests require, rather than a "scan" that reads no more). The id is
 * both the sort key and the rowid (an INTEGER PRIMARY KEY).
 */
export async function listAudit(db: Db, query: AuditListQuery): Promise<Page<AuditListRow>> {
  const tenant = query.tenant === undefined ? sql`1 = 1` : sql`tenant_id = ${query.tenant}`;
  const row = rowSchema({
    id: column(auditLog.id),
    at: column(auditLog.at),
    tenant_id: column(auditLog.tenantId),
    actor_kind: column(auditLog.actorKind),
    actor_key_id: column(auditLog.actorKeyId),
    actor_key_prefix: column(auditLog.actorKeyPrefix),
    action: column(auditLog.action),
    target: column(auditLog.target),
    client_address: column(auditLog.clientAddress),
    detail: column(auditLog.detail),
  });
  const rows = await readAll(
    db,
    row,
    "a page of the audit log",
    sql`SELECT id, at, tenant_id, actor_kind, actor_key_id, actor_key_prefix, action, target, client_address, detail
    FROM audit_log WHERE ${tenant} AND id > 0 AND ${afterCursor(sql`id`, "desc", query.after, sql`id`)}
    ORDER BY id DESC LIMIT ${query.limit + 1}`,
  );
  return toPage(
    rows.map((r) => ({
      id: r.id,
      at: r.at,
      tenantId: r.tenant_id,
      actorKind: r.actor_kind,
      actorKeyId: r.actor_key_id,
      actorKeyPrefix: r.actor_key_prefix,
      action: r.action,
      target: r.target,
      clientAddress: r.client_address,
      detail: r.detail,
      sortKey: r.id,
      rowid: r.id,
    })),
    query.limit,
  );
}

/**
 * Entries deleted per tick: far more than a relay's admins and tenants record in a minute, so a
 * backlog (a shortened AUDIT_RETENTION_DAYS) drains within a few ticks.
 */
export const AUDIT_PURGE_BATCH = 1_000;

/** Deletes up to AUDIT_PURGE_BATCH entries older than `cutoff`, oldest first (`audit_log_at`): its changes are how many. */
export const purgeAuditStatement = (db: Db, cutoff: number): D1PreparedStatement =>
  statement(
    db,
    sql`DELETE FROM audit_log WHERE id IN
    (SELECT id FROM audit_log WHERE at < ${cutoff} ORDER BY at LIMIT ${AUDIT_PURGE_BATCH})`,
  );
