import type { LeaseToken } from "../domain/ids";
import type { WorkKind } from "./work-message";

/** What a send achieved: ids that never reached the queue come back (of the kind sent) to be released. */
export type SendResult<Id extends string = string> =
  | { ok: true; messages: number; calls: number }
  | { ok: false; messages: number; calls: number; unsent: Id[]; error: string };

/** How a send is made: `delaySeconds` holds its messages back that long before any consumer gets them. */
export interface SendOptions {
  delaySeconds?: number;
}

/**
 * Where a tick hands claimed ids for other invocations to work on (queue mode). The tick knows
 * only this; src/index.ts builds the queue-backed ones from the env's bindings.
 */
export interface WorkDispatcher {
  /** Ids that fill one send exactly: the tick claims this many per D1 statement, one send each. */
  readonly idsPerSend: number;
  /**
   * Sends ids claimed under `leaseToken`, as few calls as the platform's limits allow. Never
   * throws: a refused call stops the send and returns the ids not sent, for the tick to release.
   */
  send<Id extends string>(kind: WorkKind, leaseToken: LeaseToken, ids: readonly Id[], options?: SendOptions): Promise<SendResult<Id>>;
}

/** A dispatcher per kind of work; a kind without one is done by the tick itself. */
export type WorkDispatchers = Partial<Record<WorkKind, WorkDispatcher>>;
