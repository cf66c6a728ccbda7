import { ARCHIVE_DELETE_BATCH } from "../domain/archive-plan";
import type { ArchivedObject } from "../storage/archive-files";
import type { Db } from "../storage/db";
import { deleteSettledTasks, type PurgeCandidate, purgeCandidates } from "../storage/retention";

/**
 * Retention with the `ARCHIVE` bucket bound: an object is deleted from R2 before the row that
 * names it changes, so no row is lost while its object remains (an object nobody could find), and
 * a row that says `copied` is deleted or marked `deleted` right after its object went. R2 deletes
 * are idempotent: a step that fails between the two is done again by the next tick.
 */

/** What retention did to archived files in one invocation. */
export interface ArchiveRetentionReport {
  /** Tasks deleted (with their subscriptions, messages, attempts and archived files). */
  tasks: number;
  /** Archive rows deleted with their tasks (any object they had deleted first). */
  purged: number;
  /** Files older than ARCHIVE_RETENTION_DAYS whose objects were deleted, the rows kept as `deleted`. */
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

export interface ArchiveRetentionOptions {
  /** Tasks that stopped polling before this go (RETENTION_DAYS), at most `limit` a call. */
  cutoff: number;
  limit: number;
  /** Files copied before this go on their own (ARCHIVE_RETENTION_DAYS), at most ARCHIVE_DELETE_BATCH a call. */
  filesCutoff: number;
  now: number;
}

/**
 * Retention with the bucket, in three D1 round trips at most (two when nothing is due) and an R2
 * delete or two:
 * - Reads up to `limit` tasks to delete (storage/retention.ts: none with a file still being
 *   copied, or still `copied`: a task stays while its archive does) with their `failed` files, and
 *   the files copied before `filesCutoff` (oldest first, up to ARCHIVE_DELETE_BATCH).
 * - Deletes from R2 the objects of those tasks' files (at most one full delete of keys, whole
 *   tasks: `boundedByKeys`), then those of the expired files.
 * - In one D1 batch: deletes the tasks whose objects all went, checking each again, with their
 *   rows; marks `deleted` the expired files whose objects went (their tasks may go at a later
 *   tick). A task whose objects R2 would not delete stays, its rows unchanged (as does a task a
 *   registration kept after all), and so do expired files R2 would not delete: the next tick tries
 *   again.
 */
export async function archiveRetention(db: Db, bucket: R2Bucket, o: ArchiveRetentionOptions): Promise<ArchiveRetentionReport> {
  const report: ArchiveRetentionReport = { tasks: 0, purged: 0, deleted: 0 };
  const reads = await purgeCandidates(db, {
    cutoff: o.cutoff,
    limit: o.limit,
    now: o.now,
    archive: { filesCutoff: o.filesCutoff, filesLimit: ARCHIVE_DELETE_BATCH },
  });
  const candidates = boundedByKeys(reads.candidates);
  if (candidates.length === 0 && reads.expired.length === 0) return report;
  const ofTasks = await deleteObjects(
    bucket,
    candidates.flatMap((c) => c.files),
  );
  const expired = await deleteObjects(bucket, reads.expired);
  const error = ofTasks.error ?? expired.error;
  if (error !== undefined) report.error = error;
  const gone = new Set(ofTasks.removed);
  const result = await deleteSettledTasks(
    db,
    candidates.filter((c) => c.files.every((f) => gone.has(f.id))).map((c) => c.key),
    o.cutoff,
    o.now,
    { withBucket: true, removedFiles: [...ofTasks.removed, ...expired.removed] },
  );
  report.tasks = result.tasks;
  report.purged = result.archiveFiles;
  report.deleted = result.archiveFilesMarked;
  return report;
}
