import { archiveKey } from "../domain/archive-link";
import { ARCHIVE_PART_BYTES, archiveBackoffMs, archiveFilesOf, archiveResultsOf } from "../domain/archive-plan";
import type { LeaseToken, TaskKey } from "../domain/ids";
import type { Provider } from "../domain/kling";
import { outputsJson } from "../domain/task-outputs";
import {
  type ArchiveFileRecord,
  type ClaimedArchiveFile,
  type NewArchiveFile,
  noteArchiveUpload,
  settleArchives,
  startArchives,
  tasksToArchive,
  tasksToSettle,
} from "../storage/archive-files";
import type { Db } from "../storage/db";
import type { WorkContext } from "../work/work-context";
import { type CopyOutcome, type CopyResume, copyStep } from "./copy-file";

/** Tasks listed, and settled, per D1 round trip. */
const ARCHIVE_TASKS_PER_PASS = 50;

/**
 * The bytes one invocation may still copy (`ARCHIVE_BYTES_PER_TICK`): each part, or each small
 * file, takes its share before it starts, so an invocation copies at most this much, whatever the
 * files' sizes, and a large file goes on in the next. A share that does not fit ends the
 * invocation's copying: the file it was for is due again at once, and with room left for smaller
 * shares every later round would claim it again, make its request and put it off, until the
 * subrequest budget was gone.
 */
export class ByteAllowance {
  constructor(private left: number) {}

  get remaining(): number {
    return this.left;
  }

  take(bytes: number): boolean {
    if (bytes > this.left) {
      this.left = 0;
      return false;
    }
    this.left -= bytes;
    return true;
  }
}

/** What copying needs beyond the per-item work's context. */
export interface ArchiveContext extends WorkContext {
  db: Db;
  bucket: R2Bucket;
  bytes: ByteAllowance;
  /**
   * A step starts no new part after this long (archive/copy-file.ts `sliceMs`): the tick copies in
   * slices between its polls, and the step that stops goes on in the next round.
   */
  stepMs?: number;
}

/**
 * Lists the files of succeeded tasks that asked for archiving (each due at once), and moves those
 * tasks to `copying`. Returns the number of tasks listed.
 */
export async function listArchiveFiles(db: Db, now: number): Promise<number> {
  const tasks = await tasksToArchive(db, ARCHIVE_TASKS_PER_PASS);
  const files: NewArchiveFile[] = tasks.flatMap((task) =>
    archiveFilesOf(outputsJson(task.data, true)).map((file) => ({
      ...file,
      id: `arc_${crypto.randomUUID().replaceAll("-", "")}`,
      taskKey: task.key,
      r2Key: archiveKey(task.tenantId, task.provider as Provider, task.taskId, file.index, file.field),
    })),
  );
  await startArchives(
    db,
    tasks.map((t) => t.key),
    files,
    now,
  );
  return tasks.length;
}

/**
 * Settles tasks whose copies have all ended (of `taskKeys`, or any): their links signed now, valid
 * ARCHIVE_LINK_TTL_SECONDS, and their held `task.succeeded` webhooks released. Returns the number
 * of tasks settled.
 */
export async function settleArchivedTasks(ctx: Pick<ArchiveContext, "db" | "config" | "clock">, taskKeys?: readonly TaskKey[]) {
  const { db, config, clock } = ctx;
  const ended = await tasksToSettle(db, ARCHIVE_TASKS_PER_PASS, taskKeys);
  if (ended.taskKeys.length === 0) return 0;
  const now = clock.now();
  const settled = await Promise.all(
    ended.taskKeys.map(async (taskKey) => {
      const results = await archiveResultsOf(
        config,
        ended.files.filter((f) => f.taskKey === taskKey),
        now,
      );
      return { taskKey, archiveOutputs: JSON.stringify(results) };
    }),
  );
  await settleArchives(db, settled, now);
  return ended.taskKeys.length;
}

/**
 * One step of one claimed file (held under `leaseToken`): copies what the allowance and the time
 * let (archive/copy-file.ts) and says what to record. A multipart upload it starts is noted in D1
 * at once (see `noteArchiveUpload`). Failures wait ARCHIVE backoff; after ARCHIVE_MAX_ATTEMPTS
 * failures, or one that retrying cannot mend (too large, a private address), the file is given up.
 */
export async function archiveStep(ctx: ArchiveContext & { leaseToken: LeaseToken }, file: ClaimedArchiveFile): Promise<ArchiveFileRecord> {
  const { config, clock, budget, bucket, bytes, db, leaseToken } = ctx;
  const resume = parseResume(file.resume);
  const timeoutMs = Math.max(1, Math.min(config.archiveCopyTimeoutMs, budget.deadline - clock.now()));
  const outcome = await copyStep(
    {
      bucket,
      key: file.r2Key,
      sourceUrl: file.sourceUrl,
      copiedBytes: resume ? file.copiedBytes : 0,
      resume,
      noteUpload: (started) => noteArchiveUpload(db, file.id, JSON.stringify(started), leaseToken, clock.now()),
    },
    {
      maxBytes: config.archiveMaxBytes,
      timeoutMs,
      sliceMs: ctx.stepMs,
      partBytes: ARCHIVE_PART_BYTES,
      allowInsecure: config.allowInsecureCallbacks,
      takeBytes: (n) => bytes.take(n),
    },
  );
  const record = recordOf(file, outcome, clock.now(), config.archiveMaxAttempts);
  // A file given up with an upload open: its parts would only cost storage until R2 drops them.
  if (record.status === "failed" && outcome.kind === "failed" && outcome.resume)
    await bucket
      .resumeMultipartUpload(file.r2Key, outcome.resume.uploadId)
      .abort()
      .catch(() => undefined);
  if (outcome.kind !== "deferred") {
    const report = ctx.report;
    report.archivedBytes = (report.archivedBytes ?? 0) + outcome.bytes;
    if (outcome.kind === "copied") report.archivedFiles = (report.archivedFiles ?? 0) + 1;
    if (outcome.kind === "failed") report.archiveFailures = (report.archiveFailures ?? 0) + 1;
  }
  return record;
}

function parseResume(text: string | null): CopyResume | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as CopyResume;
  } catch {
    return null;
  }
}

/** The row a step leaves. */
export function recordOf(file: ClaimedArchiveFile, outcome: CopyOutcome, now: number, maxAttempts: number): ArchiveFileRecord {
  const base = { id: file.id, taskKey: file.taskKey, attempts: file.attempts, sizeBytes: null, contentType: null, lastError: null };
  switch (outcome.kind) {
    case "copied":
      return {
        ...base,
        status: "copied",
        nextAttemptAt: null,
        copiedBytes: outcome.size,
        sizeBytes: outcome.size,
        contentType: outcome.contentType,
        resume: null,
      };
    case "progress":
      return {
        ...base,
        status: "pending",
        nextAttemptAt: now,
        copiedBytes: outcome.copiedBytes,
        sizeBytes: outcome.resume.size,
        contentType: outcome.resume.contentType,
        resume: JSON.stringify(outcome.resume),
      };
    case "deferred":
      // An upload with no part copied was aborted by the step (copy-file.ts): nothing to go on from.
      return {
        ...base,
        status: "pending",
        nextAttemptAt: now,
        copiedBytes: file.copiedBytes,
        resume: file.copiedBytes > 0 ? file.resume : null,
      };
    case "failed": {
      const attempts = file.attempts + 1;
      const givenUp = outcome.permanent || attempts >= maxAttempts;
      return {
        ...base,
        status: givenUp ? "failed" : "pending",
        attempts,
        nextAttemptAt: givenUp ? null : now + archiveBackoffMs(attempts),
        copiedBytes: givenUp ? 0 : outcome.copiedBytes,
        resume: givenUp || outcome.resume === null ? null : JSON.stringify(outcome.resume),
        lastError: givenUp && !outcome.permanent ? `${outcome.error} (after ${attempts} attempts)` : outcome.error,
      };
    }
  }
}
