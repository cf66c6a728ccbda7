/**
 * Where a suspended (or deleted) tenant's due rows wait: a claim that meets one moves its
 * `next_poll_at` / `next_attempt_at` here, past any real time, so it drops out of every claim until
 * the tenant is resumed (why, and how they are found again: src/storage/parking.ts). 2^52 ms is
 * year 144,683, and still an exact integer in a double.
 */
export const PARKED_FROM = 2 ** 52;

/**
 * Whether a due time is a parked one: not a date to show (it would read ~142,000 years away), but
 * "waiting for the tenant to be resumed".
 * @example isParked(task.nextPollAt) ? null : new Date(task.nextPollAt).toISOString()
 */
export const isParked = (ms: number | null): boolean => ms !== null && ms >= PARKED_FROM;
