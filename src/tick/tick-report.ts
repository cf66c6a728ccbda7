import { emptyUsage, type D1Usage } from "../storage/metered-d1";

/**
 * Why a tick stopped: one pass asked for (no clock that waits), its wall-time budget, its
 * subrequests spent, polling and delivery paused by missing keys, a configuration error upstream,
 * or its share of work sent to a queue.
 */
export type EndReason = "single_pass" | "wall_budget" | "subrequest_budget" | "paused" | "configuration_error" | "queue_capped";

/** The figures of one tick, logged as one JSON line. */
export interface TickReport {
  rounds: number;
  endReason: EndReason | null;
  claimed: number;
  polled: number;
  statusChanges: number;
  messagesCreated: number;
  delivered: number;
  retried: number;
  failed: number;
  upstreamErrors: Record<string, number>;
  configurationError: string | null;
  purged: number;
  subrequestsLeft: number;
  durationMs: number;
  /** D1 round trips and the rows they read and wrote. */
  d1: D1Usage;
  /** Queue mode only (absent otherwise): ids handed to each queue, and sends the platform refused. */
  queued?: { polls: number; deliveries: number; sendErrors: number };
}

export const emptyReport = (): TickReport => ({
  rounds: 0,
  endReason: null,
  claimed: 0,
  polled: 0,
  statusChanges: 0,
  messagesCreated: 0,
  delivered: 0,
  retried: 0,
  failed: 0,
  upstreamErrors: {},
  configurationError: null,
  purged: 0,
  subrequestsLeft: 0,
  durationMs: 0,
  d1: emptyUsage(),
});

export function countUpstreamError(report: TickReport, kind: string): void {
  report.upstreamErrors[kind] = (report.upstreamErrors[kind] ?? 0) + 1;
}
