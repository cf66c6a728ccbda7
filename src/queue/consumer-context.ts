import type { Db } from "../storage/db";
import type { WorkContext } from "../work/work-context";
import type { WorkReport } from "../work/work-report";

/** The figures of one consumer invocation, logged as one JSON line like a tick's. */
export interface QueueBatchReport extends WorkReport {
  queue: string;
  messages: number;
  /** Bodies that are not work messages: retried, then dead-lettered. */
  invalid: number;
  /** Ids whose lease had moved on (recorded already, or claimed again): nothing to do. */
  skipped: number;
  /** Ids this consumer did not start (budget, deadline, lease nearly over): due again at once. */
  released: number;
}

/** What a consumer invocation works with: its own D1 handle, budget and report. */
export interface ConsumerContext extends WorkContext {
  db: Db;
  report: QueueBatchReport;
}
