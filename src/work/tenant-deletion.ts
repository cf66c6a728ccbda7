import { ARCHIVE_DELETE_BATCH } from "../domain/archive-plan";
import type { TenantId } from "../domain/ids";
import type { ArchivedObject } from "../storage/archive-files";
import type { Db } from "../storage/db";
import { deleteTenantSlice, TENANT_PURGE_TASKS, tenantSlice } from "../storage/tenant-purge";

/** What one step of removing a deleted tenant did (the tick's report). */
export interface TenantDeletionReport {
  tenant: TenantId;
  tasks: number;
  /** Archived objects deleted from R2. */
  objects: number;
  others: number;
  /** The tenant row went: its deletion is complete. */
  done: boolean;
  /** What R2 answered a delete with: the slice waits for the next tick. */
  error?: string;
}

/**
 * One bounded step of removing the oldest deleted tenant, per tick: up to TENANT_PURGE_TASKS of its
 * tasks, their archived objects deleted from R2 first (at most one R2 delete of
 * ARCHIVE_DELETE_BATCH keys: tasks whose keys do not fit wait), then their rows in one D1 batch; once
 * no task is left, its endpoints, keys and idempotency keys, and the tenant row last. `tenant` is
 * the one the tick's upkeep found (storage/tenant-upkeep.ts).
 */
export async function deleteTenantsStep(db: Db, bucket: R2Bucket | undefined, tenant: TenantId): Promise<TenantDeletionReport> {
  const slice = await tenantSlice(db, tenant, TENANT_PURGE_TASKS, bucket !== undefined);
  const report: TenantDeletionReport = { tenant, tasks: 0, objects: 0, others: 0, done: false };
  let taskKeys = slice.taskKeys;
  if (bucket && slice.files.length > 0) {
    const fitting = fitOneDelete(slice.files);
    try {
      // One call, unless a single task has more files than one delete takes.
      for (let i = 0; i < fitting.files.length; i += ARCHIVE_DELETE_BATCH)
        await bucket.delete(fitting.files.slice(i, i + ARCHIVE_DELETE_BATCH).map((f) => f.r2Key));
      report.objects = fitting.files.length;
      taskKeys = taskKeys.filter((k) => !fitting.left.has(k));
    } catch (error) {
      report.error = error instanceof Error ? error.message : String(error);
      const named = new Set(slice.files.map((f) => f.taskKey));
      taskKeys = taskKeys.filter((k) => !named.has(k));
    }
  }
  // Tenant-wide rows go once no task is left to read (a task left waiting keeps them for now).
  const finish = slice.taskKeys.length === 0 && slice.waiting === 0;
  const result = await deleteTenantSlice(db, tenant, taskKeys, finish);
  return { ...report, tasks: result.tasks, others: result.others, done: result.done };
}

/** The files whose keys fit one R2 delete, whole tasks only (at least the first), and the tasks left out. */
function fitOneDelete(files: readonly ArchivedObject[]): { files: ArchivedObject[]; left: Set<string> } {
  const byTask = new Map<string, ArchivedObject[]>();
  for (const f of files) byTask.set(f.taskKey, [...(byTask.get(f.taskKey) ?? []), f]);
  const taken: ArchivedObject[] = [];
  const left = new Set<string>();
  for (const [task, own] of byTask) {
    if (taken.length > 0 && taken.length + own.length > ARCHIVE_DELETE_BATCH) left.add(task);
    else taken.push(...own);
  }
  return { files: taken, left };
}
