/** What an endpoint's pacer answers a sender: go after `waitMs`, or come back at `retryAt`. */
export type SendSlot = { kind: "go"; waitMs: number } | { kind: "later"; retryAt: number };

/** What paces the sends of endpoints with a rate limit, across invocations (work/pace-send.ts). */
export interface SendPacer {
  reserve(endpointId: string, ratePerSecond: number, maxWaitMs: number): Promise<SendSlot>;
}

/** The most sends a second an endpoint may be limited to (PATCH /v1/endpoints/{id}). */
export const MAX_RATE_PER_SECOND = 1000;

/**
 * Spaces one endpoint's sends `1000 / rate` ms apart, whoever sends them: the tick and every queue
 * consumer ask the same pacer (a Durable Object per endpoint, src/ratelimit/endpoint-pacer.ts),
 * which holds one of these. No burst: slots follow each other at the interval, so any second holds
 * at most `rate + 1` of them (both ends of a closed window).
 *
 * A sender waits only up to `maxWaitMs` (it holds one of its invocation's 6 connections while it
 * waits). When the next free slot is further off, nothing is reserved (a message that gives up
 * wastes no slot) and it is told when to come back: messages sent away together are spread over
 * later slots, one interval apart (`promised`), instead of all coming back at once to be sent
 * away again. Kept in memory: an evicted pacer only forgets its pacing, which starts afresh.
 * @example new SendPacing().reserve(now, 10, 1500) // { kind: "go", waitMs: 0 }, then 100, 200, ...
 */
export class SendPacing {
  /** When the next slot is free: every slot before it is taken. */
  private nextFree = 0;
  /** The last time handed to a message sent away: the next one is told to come back after it. */
  private promised = 0;

  reserve(now: number, ratePerSecond: number, maxWaitMs: number): SendSlot {
    const interval = 1000 / Math.min(Math.max(ratePerSecond, 1), MAX_RATE_PER_SECOND);
    const slot = Math.max(now, this.nextFree);
    if (slot - now <= maxWaitMs) {
      this.nextFree = slot + interval;
      return { kind: "go", waitMs: slot - now };
    }
    // Back when its slot is about to come up: within the wait a sender may take, so that it is
    // then sent (unless senders that did not have to leave took those slots meanwhile).
    const retryAt = Math.ceil(Math.max(slot - maxWaitMs / 2, this.promised + interval));
    this.promised = retryAt;
    return { kind: "later", retryAt };
  }
}
