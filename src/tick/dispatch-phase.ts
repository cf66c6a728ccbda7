import { SEND_BATCH_MAX_MESSAGES, sendWork } from "../queue/send-work";
import { claimDueMessageIds } from "../storage/claim-messages";
import { claimDueTasks } from "../storage/claim-tasks";
import { releaseMessages } from "../storage/record-deliveries";
import { releaseTasks } from "../storage/record-polls";
import { queuedLeaseMs } from "../work/leases";
import { IDS_PER_MESSAGE, type WorkKind, type WorkMessage } from "../work/work-message";
import type { TickContext } from "./tick-context";

/** Ids claimed per D1 statement in queue mode: exactly one full `sendBatch` call (100 messages of 10 ids). */
const DISPATCH_CHUNK = IDS_PER_MESSAGE * SEND_BATCH_MAX_MESSAGES;

/**
 * Ids one tick hands to each queue, at most. It bounds the tick's calls to Cloudflare services
 * (2 per chunk of 1,000: one D1 claim, one `sendBatch`; 60 for a full tick, far under the 1,000
 * an invocation may make), keeps the tick under the queue's 5,000 messages/s (3,000 messages
 * here), and is about what one D1 database absorbs in a minute (see README, "Scaling out with
 * Queues"): past it, work would only wait in the queue while its lease runs out.
 */
export const MAX_QUEUED_PER_TICK = 30_000;

/** A queue the tick sends one kind of work to. */
export interface Dispatch {
  queue: Queue<WorkMessage>;
  /** Ids sent this tick. */
  queued: number;
  sendErrors: number;
  /** `capped`: this tick sent its share; `failed`: the queue refused, the tick does the work itself. */
  state: "open" | "capped" | "failed";
}

export const openDispatch = (queue: Queue<WorkMessage>): Dispatch => ({ queue, queued: 0, sendErrors: 0, state: "open" });

/**
 * Queue mode: claims due work by index, with the longer queued lease, and sends the ids to the
 * queue for consumers to do; no upstream call and no webhook is made here. Returns the number of
 * ids claimed. A refused send releases what was not sent (due at once) and switches this tick
 * back to doing that kind of work itself.
 */
export async function dispatchPhase(ctx: TickContext, kind: WorkKind, dispatch: Dispatch): Promise<number> {
  const { db, config, clock, budget, leaseToken } = ctx;
  const leaseMs = queuedLeaseMs(kind === "poll" ? config.upstreamTimeoutMs : config.deliveryTimeoutMs);
  let claimed = 0;
  while (dispatch.state === "open" && clock.now() < budget.deadline) {
    const now = clock.now();
    const limit = Math.min(DISPATCH_CHUNK, MAX_QUEUED_PER_TICK - dispatch.queued);
    const options = { now, limit, leaseToken, leaseMs };
    const ids = kind === "poll" ? (await claimDueTasks(db, options)).map((t) => t.taskId) : await claimDueMessageIds(db, options);
    if (ids.length === 0) break;
    claimed += ids.length;
    const sent = await sendWork(dispatch.queue, kind, leaseToken, ids);
    if (!sent.ok) {
      dispatch.queued += ids.length - sent.unsent.length;
      dispatch.sendErrors += 1;
      dispatch.state = "failed";
      console.error(JSON.stringify({ event: "queue_send_error", kind, unsent: sent.unsent.length, error: sent.error }));
      const at = clock.now();
      if (kind === "poll") await releaseTasks(db, sent.unsent, leaseToken, at, at);
      else await releaseMessages(db, sent.unsent, leaseToken, at);
      break;
    }
    dispatch.queued += ids.length;
    if (dispatch.queued >= MAX_QUEUED_PER_TICK) dispatch.state = "capped";
    if (ids.length < limit) break;
  }
  return claimed;
}
