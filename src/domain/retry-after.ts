/**
 * A `Retry-After` value (delta seconds or HTTP date) in milliseconds, or null when absent or
 * unreadable. Capped: a buggy or hostile header must not park work for days.
 */
export const RETRY_AFTER_CAP_MS = 6 * 3_600_000;

export function parseRetryAfter(value: string | null | undefined, now: number): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    const date = Date.parse(trimmed);
    if (Number.isNaN(date)) return null;
    ms = date - now;
  }
  return Math.min(Math.max(ms, 0), RETRY_AFTER_CAP_MS);
}

/** Spreads retries so that many failures at once do not come back at once: ±`spread` of `ms`. */
export function withJitter(ms: number, random: () => number, spread = 0.1): number {
  return Math.round(ms * (1 - spread + 2 * spread * random()));
}
