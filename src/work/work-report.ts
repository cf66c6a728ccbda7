import { type D1Usage, emptyUsage } from "../storage/metered-d1";

/**
 * The figures of the work one invocation did (a tick, a queue consumer), counted by the per-item
 * work and logged as one JSON line; each way in extends it with its own fields.
 */
export interface WorkReport {
  claimed: number;
  polled: number;
  statusChanges: number;
  messagesCreated: number;
  delivered: number;
  retried: number;
  failed: number;
  /** Messages not sent because their endpoint's rate limit had no slot soon: due again later, no attempt spent. */
  deferred?: number;
  /** Of those, sent back to the deliveries queue to come back at their slot (queue consumers). */
  sentBack?: number;
  upstreamErrors: Record<string, number>;
  /** The first configuration error upstream answered with: the rest of the polls are skipped. */
  configurationError: string | null;
  subrequestsLeft: number;
  durationMs: number;
  /** D1 round trips and the rows they read and wrote. */
  d1: D1Usage;
  /** Archive copies (only when there were any): files finished, bytes moved, steps that failed. */
  archivedFiles?: number;
  archivedBytes?: number;
  archiveFailures?: number;
}

export const emptyWorkReport = (): WorkReport => ({
  claimed: 0,
  polled: 0,
  statusChanges: 0,
  messagesCreated: 0,
  delivered: 0,
  retried: 0,
  failed: 0,
  upstreamErrors: {},
  configurationError: null,
  subrequestsLeft: 0,
  durationMs: 0,
  d1: emptyUsage(),
});

export function countUpstreamError(report: WorkReport, kind: string): void {
  report.upstreamErrors[kind] = (report.upstreamErrors[kind] ?? 0) + 1;
}
