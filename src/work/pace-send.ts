import type { SendPacer, SendSlot } from "../domain/send-pacing";
import { systemClock } from "../lib/clock";
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
    slot = await ctx.pacer.reserve(message.endpointId, rate, PACING_MAX_WAIT_MS);
  } catch (error) {
    console.error(JSON.stringify({ event: "pacer_error", endpoint_id: message.endpointId, error: (error as Error).message }));
    slot = { kind: "later", retryAt: ctx.clock.now() + PACER_ERROR_RETRY_MS };
  }
  if (slot.kind === "later") {
    ctx.budget.refund(1);
    ctx.report.deferred = (ctx.report.deferred ?? 0) + 1;
    return { messageId: message.id, retryAt: slot.retryAt };
  }
  if (slot.waitMs > 0) await systemClock.sleep?.(slot.waitMs);
  return null;
}
