import { type ArchivedObject, expiredArchiveFiles, markArchiveFilesDeleted } from "../storage/archive-files";
import type { Db } from "../storage/db";
import { deleteSettledTasks, type PurgeCandidate, purgeCandidates } from "../storage/retention";

/**
 * Retention with the `ARCHIVE` bucket bound: an object is deleted from R2 before the row that
 * names it changes, so no row is lost while its object remains (an object nobody could find), and
 * a row that says `copied` is deleted or marked `deleted` right after its object went. R2 deletes
 * are idempotent: a step that fails between the two is done again by the next tick.
 */

/** Keys per R2 delete (the most one `R2Bucket.delete` takes): one call for a tick's expired files. */
export const ARCHIVE_DELETE_BATCH = 1000;

/** What retention did to archived files in one invocation. */
export interface ArchiveRetentionReport {
  /** Tasks deleted (with their subscriptions, messages, attempts and archived files). */
  tasks: number;
  /** Files deleted with their tasks (rows and objects). */
  purged: number;
  /** Files whose objects were deleted, the rows kept as `deleted`: older than ARCHIVE_RETENTION_DAYS, or of a task kept after all. */
  deleted: number;
  /** The first R2 error: what it could not delete waits for the next tick. */
  error?: string;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Deletes `files`' objects, up to ARCHIVE_DELETE_BATCH keys a call; returns the ids of those deleted, and the first error. */
async function deleteObjects(bucket: R2Bucket, files: readonly ArchivedObject[]): Promise<{ removed: string[]; error?: string }> {
  const removed: string[] = [];
  for (let i = 0; i < files.length; i += ARCHIVE_DELETE_BATCH) {
    const chunk = files.slice(i, i + ARCHIVE_DELETE_BATCH);
    try {
      await bucket.delete(chunk.map((f) => f.r2Key));
    } catch (error) {
      return { removed, error: messageOf(error) };
    }
    removed.push(...chunk.map((f) => f.id));
  }
  return { removed };
}

/**
 * The candidates one purge takes: every task without files, and tasks with files while their keys
 * fit one R2 delete (at least the first such task, whatever its number of files). The rest waits
 * for the next tick.
 */
function boundedByKeys(candidates: readonly PurgeCandidate[]): PurgeCandidate[] {
  let keys = 0;
  return candidates.filter((c) => {
    if (c.files.length === 0) return true;
    if (keys > 0 && keys + c.files.length > ARCHIVE_DELETE_BATCH) return false;
    keys += c.files.length;
    return true;
  });
}

/**
 * Deletes up to `limit` tasks that stopped polling before `cutoff` (storage/retention.ts), with
 * their archived files: first the objects of their `copied` and `failed` files from R2 (a task
 * with a file still being copied is not a candidate), then, in one D1 batch that checks each task
 * again, the tasks and their rows. A task kept after all (a registration landed in between) keeps
 * its rows, marked `deleted` as its objects are. A task whose objects R2 would not delete stays,
 * its rows unchanged, for the next tick.
 */
export async function purgeTasksWithArchives(db: Db, bucket: R2Bucket, cutoff: number, limit: number, now: number) {
  const report: ArchiveRetentionReport = { tasks: 0, purged: 0, deleted: 0 };
  const candidates = boundedByKeys(await purgeCandidates(db, cutoff, limit, now, true));
  if (candidates.length === 0) return report;
  const { removed, error } = await deleteObjects(
    bucket,
    candidates.flatMap((c) => c.files),
  );
  if (error !== undefined) report.error = error;
  const gone = new Set(removed);
  const result = await deleteSettledTasks(
    db,
    candidates.filter((c) => c.files.every((f) => gone.has(f.id))).map((c) => c.key),
    cutoff,
    now,
    { withBucket: true, removedFiles: removed },
  );
  report.tasks = result.tasks;
  report.purged = result.archiveFiles;
  report.deleted = result.archiveFilesMarked;
  return report;
}

/**
 * Deletes the files copied before `cutoff` (ARCHIVE_RETENTION_DAYS), at most `limit` (the oldest):
 * their objects from R2 in one call, then their rows marked `deleted` (storage/archive-files.ts
 * `markArchiveFilesDeleted`: their tasks' links are written again without them). Returns the
 * number of files marked; an R2 failure leaves the rows `copied`, for the next tick.
 */
export async function expireArchivedFiles(
  db: Db,
  bucket: R2Bucket,
  cutoff: number,
  now: number,
  limit = ARCHIVE_DELETE_BATCH,
): Promise<{ deleted: number; error?: string }> {
  const files = await expiredArchiveFiles(db, cutoff, Math.min(limit, ARCHIVE_DELETE_BATCH));
  if (files.length === 0) return { deleted: 0 };
  try {
    await bucket.delete(files.map((f) => f.r2Key));
  } catch (error) {
    return { deleted: 0, error: messageOf(error) };
  }
  return {
    deleted: await markArchiveFilesDeleted(
      db,
      files.map((f) => f.id),
      now,
    ),
  };
}
