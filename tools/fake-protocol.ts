/** The scripts the loopback fake network plays (shared by the fake and the tests driving it). */

/** One answer of the fake upstream to one poll. */
export type UpstreamStep =
  /** Any status string: the relay's own four, or a spelling it must cope with (`succeeded`). */
  | { status: string; result?: unknown; msg?: string; extra?: Record<string, unknown> }
  | { http: number; body?: unknown; headers?: Record<string, string> }
  | { hang: true }
  | { reset: true };

/** One answer of a fake receiver to one delivery. */
export interface ReceiverStep {
  status: number;
  headers?: Record<string, string>;
  /** Wait this long before answering at all. */
  delayMs?: number;
  /** Answer the status at once, then take this long to finish the body. */
  trickleMs?: number;
}
