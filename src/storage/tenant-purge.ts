import { sql } from "drizzle-orm";
import type { TaskKey, TenantId } from "../domain/ids";
import type { ArchivedObject } from "./archive-files";
import { archiveFileIn } from "./archive-sql";
import { type Db, keySet, runBatch, statement } from "./db";
import { readAll } from "./rows";
import { deleteTaskDependents, PurgeCandidateRow } from "./task-dependents";

/**
 * Removing a deleted tenant (`tenants.deleted_at` set), a bounded step per tick: its tasks a slice at
 * a time with everything that hangs from them (subscriptions, messages, attempts, archived files;
 * the files' R2 objects deleted first, by work/tenant-deletion.ts), then its endpoints, keys,
 * idempotency keys and upstream credentials, and the tenant row last, once nothing names it. Every statement is keyed by the
 * tenant (`tasks_tenant_provider_task`, `endpoints_tenant_created`, `api_keys_tenant`, the idempotency
 * keys' primary key) or by the slice's task keys, so no step reads other tenants' rows. Audit
 * entries stay (they tell of the deletion) and go with AUDIT_RETENTION_DAYS.
 */

/**
 * Tasks removed per step: each carries a few subscriptions, messages and attempts, so a step deletes
 * a few thousand rows in one D1 batch, far under D1's per-query time limit.
 */
export const TENANT_PURGE_TASKS = 500;
/** Endpoints, keys and idempotency keys removed per step, each. */
export const TENANT_PURGE_ROWS = 1_000;

/** One slice of a deleted tenant's tasks, with the archived files that may have objects in R2. */
export interface TenantSlice {
  taskKeys: TaskKey[];
  /** Files `copied`, `failed` or `pending` (a copy may have left an object or parts); only with the bucket. */
  files: ArchivedObject[];
  /** Without the bucket: tasks left alone because a file of theirs may still have an object. */
  waiting: number;
}

/**
 * Up to `limit` of the tenant's tasks and (with the bucket) their files with objects. Without the
 * bucket, a task with such a file is left for when the bucket is bound (as retention does): its
 * objects would be left where nobody could find them.
 */
export async function tenantSlice(db: Db, tenantId: TenantId, limit: number, withBucket: boolean): Promise<TenantSlice> {
  const rows = await readAll(
    db,
    PurgeCandidateRow,
    "a deleted tenant's tasks",
    sql`WITH c AS
      (SELECT id FROM tasks WHERE tenant_id = ${tenantId} LIMIT ${limit})
    SELECT c.id AS key, a.id, a.r2_key AS r2Key FROM c
      LEFT JOIN archive_files a ON a.task_key = c.id AND ${archiveFileIn("a.status", "copied", "failed", "pending")}`,
  );
  const taskKeys = new Set<TaskKey>();
  const blocked = new Set<TaskKey>();
  const files: ArchivedObject[] = [];
  for (const row of rows) {
    taskKeys.add(row.key);
    if (row.id === null || row.r2Key === null) continue;
    if (withBucket) files.push({ id: row.id, taskKey: row.key, r2Key: row.r2Key });
    else blocked.add(row.key);
  }
  return { taskKeys: [...taskKeys].filter((k) => !blocked.has(k)), files, waiting: blocked.size };
}

/** What one step removed. */
export interface TenantPurgeResult {
  tasks: number;
  /** Endpoints, API keys and idempotency keys. */
  others: number;
  /** The tenant row itself went: nothing of it is left. */
  done: boolean;
}

/**
 * Deletes the tasks of `taskKeys` (all the tenant's, their objects gone) with their rows, in one
 * batch; when `finish` (no task of the tenant was left to read), its endpoints, keys and
 * idempotency keys too, and the tenant row once none is left. Only rows of `tenantId`, and only
 * while it is marked deleted.
 */
export async function deleteTenantSlice(
  db: Db,
  tenantId: TenantId,
  taskKeys: readonly TaskKey[],
  finish: boolean,
): Promise<TenantPurgeResult> {
  const deleted = sql`EXISTS (SELECT 1 FROM tenants WHERE id = ${tenantId} AND deleted_at IS NOT NULL)`;
  const keys = keySet(taskKeys);
  const ours = sql`(SELECT id FROM tasks WHERE id IN ${keys} AND tenant_id = ${tenantId} AND ${deleted})`;
  const tasks =
    taskKeys.length === 0
      ? []
      : [
          ...deleteTaskDependents(db, ours),
          statement(db, sql`DELETE FROM tasks WHERE id IN ${keys} AND tenant_id = ${tenantId} AND ${deleted}`),
        ];
  const rest = !finish
    ? []
    : [
        statement(
          db,
          sql`DELETE FROM endpoints WHERE id IN (SELECT id FROM endpoints WHERE tenant_id = ${tenantId} LIMIT ${TENANT_PURGE_ROWS}) AND ${deleted}`,
        ),
        statement(
          db,
          sql`DELETE FROM api_keys WHERE id IN (SELECT id FROM api_keys WHERE tenant_id = ${tenantId} LIMIT ${TENANT_PURGE_ROWS}) AND ${deleted}`,
        ),
        statement(
          db,
          sql`DELETE FROM idempotency_keys WHERE rowid IN
            (SELECT rowid FROM idempotency_keys WHERE tenant_id = ${tenantId} LIMIT ${TENANT_PURGE_ROWS}) AND ${deleted}`,
        ),
        // Its own upstream credentials (a row per provider, by primary key): nothing of them outlives it.
        statement(db, sql`DELETE FROM tenant_credentials WHERE tenant_id = ${tenantId} AND ${deleted}`),
        statement(
          db,
          sql`DELETE FROM tenants WHERE id = ${tenantId} AND deleted_at IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM tasks WHERE tenant_id = ${tenantId})
            AND NOT EXISTS (SELECT 1 FROM endpoints WHERE tenant_id = ${tenantId})
            AND NOT EXISTS (SELECT 1 FROM api_keys WHERE tenant_id = ${tenantId})
            AND NOT EXISTS (SELECT 1 FROM idempotency_keys WHERE tenant_id = ${tenantId})
            AND NOT EXISTS (SELECT 1 FROM tenant_credentials WHERE tenant_id = ${tenantId})`,
        ),
      ];
  if (tasks.length + rest.length === 0) return { tasks: 0, others: 0, done: false };
  const results = await runBatch(db, [...tasks, ...rest]);
  const changes = (i: number) => results[i]?.meta.changes ?? 0;
  const t = tasks.length;
  return {
    tasks: t > 0 ? changes(t - 1) : 0,
    others: rest.length > 0 ? changes(t) + changes(t + 1) + changes(t + 2) : 0,
    done: rest.length > 0 && changes(t + 4) === 1,
  };
}
