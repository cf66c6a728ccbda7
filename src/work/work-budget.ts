/**
 * Workers keep at most 6 connections open per invocation; a 7th request waits for a free one,
 * and its timeout would run while it waits. So never more than 6 in flight.
 */
export const MAX_IN_FLIGHT = 6;

/**
 * What one invocation (a tick, or a queue consumer) may still spend: subrequests (upstream polls
 * and webhooks, counted when claimed) and wall time.
 */
export class WorkBudget {
  private subrequests: number;
  readonly deadline: number;

  constructor(subrequests: number, deadline: number) {
    this.subrequests = subrequests;
    this.deadline = deadline;
  }

  get remaining(): number {
    return this.subrequests;
  }

  spend(count: number): void {
    this.subrequests -= count;
  }

  refund(count: number): void {
    this.subrequests += count;
  }

  /**
   * How many more requests with timeout `timeoutMs` may be claimed now: none past the deadline;
   * within the budget (less `reserve`); and no more outstanding than could finish by the deadline
   * if every one timed out, but always one wave, so an invocation works right up to its deadline
   * (what a tick starts late may overlap the next tick: leases keep them apart).
   */
  claimable(now: number, timeoutMs: number, outstanding: number, reserve = 0): number {
    if (now >= this.deadline) return 0;
    const waves = Math.max(1, Math.floor((this.deadline - now) / timeoutMs));
    return Math.max(0, Math.min(this.subrequests - reserve, waves * MAX_IN_FLIGHT - outstanding));
  }
}
