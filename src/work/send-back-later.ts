import type { LeaseToken } from "../domain/ids";
import { type DeferredMessage, holdDeferred } from "../storage/defer-messages";
import type { LeasedWorkContext } from "./leased-work";
import { queuedLeaseMs } from "./leases";
import type { WorkDispatcher } from "./work-dispatcher";

/** Queues holds a message back at most 12 hours (`delaySeconds`). */
export const MAX_DELAY_SECONDS = 43_200;

/**
 * Queue mode: webhooks put off by their endpoint's rate limit go back to the deliveries queue,
 * each to come back by itself when its slot is near (`delaySeconds`), instead of waiting in D1 for
 * the next tick to claim them: a minute and more each time, which would stretch a paced burst of
 * 1,000 at 10/s from 100 s to many minutes. Grouped by the whole second they are due back (at
 * 10/s, one message of 10 ids a second), rounded up: a message back a little after its slot takes
 * the next free one, where one back early would wait past the pacer's limit and go round again.
 *
 * They stay leased meanwhile (`holdDeferred`): the tick leaves them alone, and claims them again
 * should the queued message be lost. Returns those not sent back (a refused send, or a slot past
 * the longest delay Queues allows), for the caller to put off in D1 as the tick does.
 */
export async function sendBackLater(
  ctx: LeasedWorkContext,
  queue: WorkDispatcher,
  leaseToken: LeaseToken,
  deferred: readonly DeferredMessage[],
): Promise<DeferredMessage[]> {
  const now = ctx.clock.now();
  const bySecond = new Map<number, DeferredMessage[]>();
  const left: DeferredMessage[] = [];
  for (const d of deferred) {
    const delaySeconds = Math.max(0, Math.ceil((d.retryAt - now) / 1000));
    if (delaySeconds > MAX_DELAY_SECONDS) left.push(d);
    else bySecond.set(delaySeconds, [...(bySecond.get(delaySeconds) ?? []), d]);
  }
  const held = [...bySecond.values()].flat();
  await holdDeferred(ctx.db, held, leaseToken, queuedLeaseMs(ctx.config.deliveryTimeoutMs), now);
  for (const [delaySeconds, group] of bySecond) {
    const sent = await queue.send(
      "deliver",
      leaseToken,
      group.map((d) => d.messageId),
      { delaySeconds },
    );
    if (sent.ok) {
      ctx.report.sentBack = (ctx.report.sentBack ?? 0) + group.length;
      continue;
    }
    console.error(JSON.stringify({ event: "queue_send_back_error", unsent: sent.unsent.length, error: sent.error }));
    const unsent = new Set<string>(sent.unsent);
    left.push(...group.filter((d) => unsent.has(d.messageId)));
  }
  return left;
}
