/** The scripts the loopback fake network plays (shared by the fake and the tests driving it). */

/** The API a simulated task is queried through (see tools/README.md). */
export type UpstreamDialect = "cometapi" | "kling-legacy" | "kling-new";

/**
 * One answer of the fake upstream to one poll.
 *
 * `status`: any status string, the relay's own four or a spelling it must cope with. `result` is
 * the whole `task_result` (cometapi, kling-legacy) or the `outputs[]` array (kling-new); `msg` is
 * `task_status_msg` (legacy envelopes) or the entry's `message` (kling-new); `extra` is merged into
 * `data` (legacy envelopes) or into the task's entry (kling-new). Without `result`, a
 * kling-legacy `succeed` answers its product's usual `task_result` and a kling-new `succeeded` its
 * usual `outputs[]`; cometapi answers `{}` as it always has.
 *
 * `omit`: the task is left out of the answer: a batch query (kling-new) answers without its
 * entry, a single query (cometapi, kling-legacy) answers 404 code 1203.
 *
 * `http`, `hang`, `reset`: a fault. In a batch query the whole request gets the fault of the
 * first task (in the order the ids were asked) whose step is one.
 */
export type UpstreamStep =
  | { status: string; result?: unknown; msg?: string; extra?: Record<string, unknown> }
  | { http: number; body?: unknown; headers?: Record<string, string> }
  | { hang: true }
  | { reset: true }
  | { omit: true };

/** The body of `PUT /_sim/tasks/{id}`: a scripted task (`steps`) or one that runs on a timeline. */
export interface UpstreamTaskSpec {
  /** Default `cometapi`: queried at `/kling/v1/{action}/{action2}/{id}` as before. */
  dialect?: UpstreamDialect;
  /** cometapi's pair (also kling-legacy's when `product` is absent); default videos/text2video. */
  action?: string;
  action2?: string;
  /** kling-legacy: the product path, e.g. `videos/avatar/image2video` (default `{action}/{action2}`); kling-new: shapes the default outputs. */
  product?: string;
  /** kling-legacy: also found at `/v1/{product}/{external_id}`; kling-new: `external_id` and `?external_task_ids=`. */
  external_id?: string;
  steps?: UpstreamStep[];
  /** Without `steps`: the timeline's durations and outcome (ms; outcome `succeed` or `failed`). */
  timeline?: { submittedMs?: number; processingMs?: number; outcome?: "succeed" | "failed"; failMessage?: string };
  /** Timeline tasks only: Kling POSTs the task's state here on every status change, as for a task created with one. */
  callback_url?: string;
  group?: string;
  latencyMs?: number;
}

/** One answer of a fake receiver to one delivery. */
export interface ReceiverStep {
  status: number;
  headers?: Record<string, string>;
  /** Wait this long before answering at all. */
  delayMs?: number;
  /** Answer the status at once, then take this long to finish the body. */
  trickleMs?: number;
  /** The body it answers with, at once (else `k`, or `ok` when it trickles). */
  body?: string;
}
