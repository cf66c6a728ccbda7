import { pollableOf } from "../config";
import { claimDueArchiveFiles, releaseArchiveFiles } from "../storage/archive-files";
import { claimDueMessageIds } from "../storage/claim-messages";
import { claimDueTasks } from "../storage/claim-tasks";
import { DUE_LANES, type DueLane } from "../storage/due-lanes";
import { releaseMessages } from "../storage/record-deliveries";
import { releaseTasks } from "../storage/record-polls";
import { queuedLeaseMs } from "../work/leases";
import type { WorkDispatcher } from "../work/work-dispatcher";
import type { WorkKind } from "../work/work-message";
import { claimLeaseMs, type TickContext } from "./tick-context";

/**
 * Ids one tick hands to each queue, at most. It bounds the tick's calls to Cloudflare services
 * (two per `idsPerSend` ids: one D1 claim, one send; far under the 1,000 an invocation may make),
 * keeps the tick under the queue's 5,000 messages/s (it sends this many ids in messages of
 * IDS_PER_MESSAGE, work-message.ts), and is about what one D1 database absorbs in a minute (see
 * docs/queues.md): past it, work would only wait in the queue while its lease
 * runs out.
 */
export const MAX_QUEUED_PER_TICK = 30_000;

/** What the tick sends one kind of work to, and how that went this tick. */
export interface Dispatch {
  dispatcher: WorkDispatcher;
  /** Ids sent this tick. */
  queued: number;
  sendErrors: number;
  /** `capped`: this tick sent its share; `failed`: the queue refused, the tick does the work itself. */
  state: "open" | "capped" | "failed";
}

export const openDispatch = (dispatcher: WorkDispatcher): Dispatch => ({ dispatcher, queued: 0, sendErrors: 0, state: "open" });

/**
 * Queue mode: claims due work by index, with the longer queued lease, and sends the ids to the
 * queue for consumers to do; no upstream call and no webhook is made here. Returns the number of
 * ids claimed. A refused send releases what was not sent (due at once) and switches this tick
 * back to doing that kind of work itself.
 */
export async function dispatchPhase(ctx: TickContext, kind: WorkKind, dispatch: Dispatch): Promise<number> {
  const { db, config, clock, budget, leaseToken } = ctx;
  const leaseMs = queuedLeaseMs(
    kind === "poll" ? config.upstreamTimeoutMs : kind === "deliver" ? config.deliveryTimeoutMs : config.archiveCopyTimeoutMs,
  );
  let claimed = 0;
  /**
   * Sends ids claimed under the tick's lease, and returns how many there were, or null when the
   * send was refused: then what was not sent is released (due at once) and the dispatch fails.
   * Generic so that each kind's ids keep their own type (task keys for polls) from claim to release.
   */
  async function send<Id extends string>(ids: Id[], release: (unsent: Id[], at: number) => Promise<void>): Promise<number | null> {
    if (ids.length === 0) return 0;
    claimed += ids.length;
    const sent = await dispatch.dispatcher.send(kind, leaseToken, ids);
    if (sent.ok) {
      dispatch.queued += ids.length;
      return ids.length;
    }
    dispatch.queued += ids.length - sent.unsent.length;
    dispatch.sendErrors += 1;
    dispatch.state = "failed";
    console.error(JSON.stringify({ event: "queue_send_error", kind, unsent: sent.unsent.length, error: sent.error }));
    await release(sent.unsent, clock.now());
    return null;
  }
  // Tasks are claimed a due lane at a time (storage/due-lanes.ts), the lanes taking turns until
  // each has none left this tick: no lane waits behind the other's backlog, and no claim reads
  // the other's tasks (merging the two in due order cost a row read more a task).
  const lanes: DueLane[] = [...DUE_LANES];
  let turn = 0;
  while (dispatch.state === "open" && clock.now() < budget.deadline) {
    const now = clock.now();
    const limit = Math.min(dispatch.dispatcher.idsPerSend, MAX_QUEUED_PER_TICK - dispatch.queued);
    // Tenants' own accounts, and what the operator's credentials can poll (storage/claim-tasks.ts `Pollable`).
    const options = { now, limit, leaseToken, leaseMs: claimLeaseMs(ctx, leaseMs), pollable: pollableOf(config) };
    const lane = lanes[turn % lanes.length] as DueLane;
    turn += 1;
    const count =
      kind === "poll"
        ? await send(
            (await claimDueTasks(db, { ...options, only: lane })).map((t) => t.key),
            (unsent, at) => releaseTasks(db, unsent, leaseToken, at, at),
          )
        : kind === "deliver"
          ? await send(await claimDueMessageIds(db, options), (unsent, at) => releaseMessages(db, unsent, leaseToken, at))
          : await send(
              (await claimDueArchiveFiles(db, options)).map((f) => f.id),
              (unsent, at) => releaseArchiveFiles(db, unsent, leaseToken, at),
            );
    if (count === null) break;
    if (dispatch.queued >= MAX_QUEUED_PER_TICK) dispatch.state = "capped";
    if (count < limit) {
      // This lane (or kind) has nothing more due now; the other lane may.
      if (kind !== "poll") break;
      lanes.splice(lanes.indexOf(lane), 1);
      if (lanes.length === 0) break;
    }
  }
  return claimed;
}
