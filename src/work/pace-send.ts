import type { SendPacer, SendSlot } from "../domain/send-pacing";
import { type Clock, systemClock } from "../lib/clock";
import type { EndpointPacer } from "../ratelimit/endpoint-pacer";
import type { ClaimedMessage } from "../storage/claim-messages";
import type { DeferredMessage } from "../storage/defer-messages";
import type { WorkContext } from "./work-context";

/**
 * The longest a send waits for its endpoint's slot. It holds one of the invocation's 6
 * connections meanwhile, so short: one slow endpoint must not hold every lane for long. A message
 * whose slot is further off is put off instead (released, due when its slot comes near).
 */
export const PACING_MAX_WAIT_MS = 1500;

/** When the pacer cannot be asked (an error): the message is put off this long, not sent unpaced. */
const PACER_ERROR_RETRY_MS = 5_000;

/**
 * The pacer of the ENDPOINT_PACER binding: one Durable Object per endpoint. Undefined without the
 * binding (a deployment that did not add it): then rate limits are stored and shown, not enforced.
 */
export function durablePacer(namespace: DurableObjectNamespace<EndpointPacer> | undefined): SendPacer | undefined {
  if (!namespace) return undefined;
  return {
    reserve: (endpointId, ratePerSecond, maxWaitMs) => namespace.get(namespace.idFromName(endpointId)).reserve(ratePerSecond, maxWaitMs),
  };
}

/**
 * Before sending `message`: for an endpoint with a rate limit, waits for its slot, or returns the
 * message put off until its slot comes near (its subrequest refunded, counted as `deferred`);
 * null when it may go now. An endpoint without a limit, or no pacer: null at once.
 * The wait is on the real clock, whatever `ctx.clock`: the pacer keeps real time.
 */
export async function waitForSlot(ctx: WorkContext, message: ClaimedMessage): Promise<DeferredMessage | null> {
  const rate = message.rateLimitPerSecond;
  if (rate === null || !ctx.pacer) return null;
  let slot: SendSlot;
  try {
    slot = await takeSlot(ctx.pacer, message.endpointId, rate, systemClock);
  } catch (error) {
    console.error(JSON.stringify({ event: "pacer_error", endpoint_id: message.endpointId, error: (error as Error).message }));
    slot = { kind: "later", retryAt: ctx.clock.now() + PACER_ERROR_RETRY_MS };
  }
  if (slot.kind === "go") return null;
  ctx.budget.refund(1);
  ctx.report.deferred = (ctx.report.deferred ?? 0) + 1;
  return { messageId: message.id, retryAt: slot.retryAt };
}

/** How often a sender whose wait ended late asks for a fresh slot before it sends anyway. */
const LATE_ASKS = 2;

/**
 * Reserves a slot and waits for it: `go` once it came. A wait that ends late (its invocation was
 * busy: the timer fired after the slot) would send on top of the following slots' sends, and a
 * stall of a few lanes at once would bunch them: late by more than half an interval, the sender
 * asks for a fresh slot instead (the one it missed stays unused), at most LATE_ASKS times.
 * @example await takeSlot(pacer, "ep_1", 10, systemClock) // { kind: "go", waitMs: 100 } after 100 ms
 */
export async function takeSlot(
  pacer: SendPacer,
  endpointId: string,
  ratePerSecond: number,
  clock: Pick<Clock, "now" | "sleep">,
): Promise<SendSlot> {
  const lateAfterMs = 500 / Math.max(ratePerSecond, 1);
  for (let asked = 0; ; asked++) {
    const slot = await pacer.reserve(endpointId, ratePerSecond, PACING_MAX_WAIT_MS);
    if (slot.kind === "later" || slot.waitMs <= 0) return slot;
    const due = clock.now() + slot.waitMs;
    await clock.sleep?.(slot.waitMs);
    if (clock.now() - due <= lateAfterMs || asked === LATE_ASKS) return slot;
  }
}
