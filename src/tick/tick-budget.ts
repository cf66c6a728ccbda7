/**
 * Workers keep at most 6 connections open per invocation; a 7th request waits for a free one,
 * and its timeout would run while it waits. So never more than 6 in flight.
 */
export const MAX_IN_FLIGHT = 6;
/** Extra lease time beyond the worst case, for the D1 write that records the work. */
const LEASE_MARGIN_MS = 30_000;

/** What one invocation may still spend: subrequests (upstream polls and webhooks) and wall time. */
export class TickBudget {
  constructor(
    private subrequests: number,
    private readonly deadline: number,
  ) {}

  get remaining(): number {
    return this.subrequests;
  }

  spend(count: number): void {
    this.subrequests -= count;
  }

  /**
   * How many requests with timeout `timeoutMs` may still be claimed: no more than the budget, and
   * only as many as could finish by the deadline even if every one timed out.
   */
  claimable(now: number, timeoutMs: number, cap = this.subrequests): number {
    const waves = Math.floor((this.deadline - now) / timeoutMs);
    if (waves < 1) return 0;
    return Math.max(0, Math.min(cap, this.subrequests, waves * MAX_IN_FLIGHT));
  }

  /** A lease that outlives the worst case of work claimed now. */
  leaseMs(now: number, timeoutMs: number): number {
    return Math.max(0, this.deadline - now) + timeoutMs + LEASE_MARGIN_MS;
  }
}
