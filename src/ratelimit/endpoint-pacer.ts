import { DurableObject } from "cloudflare:workers";
import { SendPacing, type SendSlot } from "../domain/send-pacing";
import { systemClock } from "../lib/clock";

/**
 * One endpoint's pacer (one object per endpoint id: `idFromName`), bound as ENDPOINT_PACER: the
 * one place that counts the endpoint's sends, whichever invocation makes them (the tick, 25 queue
 * consumers, a callback's push), which counting in each invocation could not. A Durable Object
 * runs one call at a time, so `reserve` needs no lock; its state is in memory (SendPacing): an
 * evicted object forgets its pacing and starts afresh, which at worst lets one interval's sends
 * through early. Its own clock, not its callers': every caller is paced on the same time.
 */
export class EndpointPacer extends DurableObject {
  private readonly pacing = new SendPacing();

  /** A slot for one send at `ratePerSecond`, within `maxWaitMs`; or when to come back. */
  reserve(ratePerSecond: number, maxWaitMs: number): SendSlot {
    return this.pacing.reserve(systemClock.now(), ratePerSecond, maxWaitMs);
  }
}
