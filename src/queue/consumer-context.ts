import type { LeasedWorkContext, LeasedWorkReport } from "../work/leased-work";

/** The figures of one consumer invocation, logged as one JSON line like a tick's. */
export interface QueueBatchReport extends LeasedWorkReport {
  queue: string;
  messages: number;
  /** Bodies that are not work messages: retried, then dead-lettered. */
  invalid: number;
  /** Ids whose lease had moved on (recorded already, or claimed again): nothing to do. */
  skipped: number;
}

/** What a consumer invocation works with: its own D1 handle, budget and report. */
export interface ConsumerContext extends LeasedWorkContext {
  report: QueueBatchReport;
}
