import { type ArchiveContext, archiveStep, ByteAllowance, settleArchivedTasks } from "../archive/archive-work";
import { recordArchiveSteps, releaseArchiveFiles } from "../storage/archive-files";
import { type LeasedIds, loadClaimedArchiveFiles } from "../storage/load-claimed";
import { runLeased } from "../work/leased-work";
import { countIds } from "./consume-polls";
import type { ConsumerContext } from "./consumer-context";

/**
 * Copies the archive files that messages name (each still held under its message's lease), within
 * this invocation's own byte allowance (ARCHIVE_BYTES_PER_TICK) and subrequests, with the same
 * step as the tick; then settles the tasks whose copies all ended, which makes their held
 * webhooks due for the next tick to send. Without the bucket the files are released untouched.
 */
export async function consumeArchives(ctx: ConsumerContext, bucket: R2Bucket | undefined, claims: readonly LeasedIds[]): Promise<void> {
  if (claims.length === 0) return;
  const { db, clock } = ctx;
  const files = await loadClaimedArchiveFiles(db, claims);
  ctx.report.skipped += countIds(claims) - files.length;
  const bytes = new ByteAllowance(bucket ? ctx.config.archiveBytesPerTick : 0);
  const archiveCtx: ArchiveContext & ConsumerContext = { ...ctx, bucket: bucket as R2Bucket, bytes };
  await runLeased(archiveCtx, files, {
    timeoutMs: ctx.config.archiveCopyTimeoutMs,
    work: (file) => archiveStep({ ...archiveCtx, leaseToken: file.leaseToken }, file),
    record: (leaseToken, records) => recordArchiveSteps(db, records, leaseToken, clock.now()),
    release: (leaseToken, unstarted) =>
      releaseArchiveFiles(
        db,
        unstarted.map((f) => f.id),
        leaseToken,
        clock.now(),
      ),
    shouldStop: () => bytes.remaining <= 0,
  });
  await settleArchivedTasks(archiveCtx, [...new Set(files.map((f) => f.taskKey))]);
}
