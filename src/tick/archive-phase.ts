import { type ArchiveContext, archiveStep, listArchiveFiles, settleArchivedTasks } from "../archive/archive-work";
import {
  type ArchiveFileRecord,
  archiveWorkWaiting,
  type ClaimedArchiveFile,
  claimDueArchiveFiles,
  recordArchiveSteps,
  releaseArchiveFiles,
} from "../storage/archive-files";
import { tickLeaseMs } from "../work/leases";
import { runPipeline } from "../work/pipeline";
import { MAX_IN_FLIGHT } from "../work/work-budget";
import { claimLeaseMs, type TickContext } from "./tick-context";

/**
 * The archive's share of a round: lists the files of tasks that just succeeded, copies one wave of
 * due files (one subrequest per step, at most 6 at once, each step starting no new part after
 * `ctx.stepMs`, so that copying holds a round about that long and one part more) within the tick's
 * byte allowance and budget, then settles the tasks whose copies all ended, which releases their `task.succeeded`
 * webhooks. With `copy` false (a queue takes the copies) only the listing and the settling run.
 * Returns how many files were claimed and tasks settled.
 */
export async function archivePhase(ctx: TickContext & ArchiveContext, copy: boolean): Promise<number> {
  const { db, config, clock, budget, leaseToken, bytes } = ctx;
  const timeout = config.archiveCopyTimeoutMs;
  // Most rounds have nothing to archive: one round trip says so.
  const waiting = await archiveWorkWaiting(db, clock.now());
  if (waiting.toList) await listArchiveFiles(db, clock.now());
  const claimed =
    !copy || !(waiting.due || waiting.toList)
      ? 0
      : await runPipeline<ClaimedArchiveFile, ArchiveFileRecord>({
          // One wave a round: the polls and deliveries of the next round come before more copies.
          claimable: (outstanding) =>
            bytes.remaining > 0 ? Math.min(budget.claimable(clock.now(), timeout, outstanding), MAX_IN_FLIGHT - outstanding) : 0,
          async claim(limit) {
            const now = clock.now();
            const leaseMs = claimLeaseMs(ctx, tickLeaseMs(budget.deadline, now, timeout));
            const files = await claimDueArchiveFiles(db, { now, limit, leaseToken, leaseMs });
            budget.spend(files.length);
            return files;
          },
          work: (file) => archiveStep(ctx, file),
          record: (records) => recordArchiveSteps(db, records, leaseToken, clock.now()),
          async release(files) {
            budget.refund(files.length);
            await releaseArchiveFiles(
              db,
              files.map((f) => f.id),
              leaseToken,
              clock.now(),
            );
          },
          shouldStop: () => bytes.remaining <= 0,
        });
  return claimed + (waiting.toList || waiting.copying ? await settleArchivedTasks(ctx) : 0);
}
