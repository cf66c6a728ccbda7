import type { MiddlewareHandler } from "hono";
import { loadConfig } from "../config";
import type { Env } from "../env";
import { ApiError } from "./api-error";
import type { AuthVariables } from "./bearer-auth";

const WINDOW_MS = 60_000;
/**
 * The per-isolate cap's counters: fixed one-minute windows per API key, in this isolate's memory.
 * Every isolate counts on its own, and forgets when it is evicted.
 */
const perIsolateWindows = new Map<string, { startedAt: number; count: number }>();

function withinPerIsolateCap(key: string, cap: number, now: number): { ok: boolean; retryAfterSeconds: number } {
  let window = perIsolateWindows.get(key);
  if (!window || now - window.startedAt >= WINDOW_MS) {
    window = { startedAt: now, count: 0 };
    perIsolateWindows.set(key, window);
  }
  window.count += 1;
  return { ok: window.count <= cap, retryAfterSeconds: Math.max(1, Math.ceil((window.startedAt + WINDOW_MS - now) / 1000)) };
}

/**
 * Limits registrations per API key. With the `REGISTRATION_LIMITER` binding (Cloudflare's rate
 * limiting, shared by every isolate of a location) its configured limit applies. Without it there
 * is only a per-isolate cap: at most `REGISTRATION_RATE_LIMIT` registrations a minute per key *in
 * each isolate*. A deployment served by many isolates admits up to that many times more, so the cap
 * is no global limit: it only stops one runaway client from flooding D1 through one isolate. Past
 * either: 429 `rate_limited` with `Retry-After`.
 */
export function registrationRateLimit(): MiddlewareHandler<{ Bindings: Env; Variables: AuthVariables }> {
  return async function limitRegistrations(c, next) {
    const key = c.get("apiKeyId");
    const limiter = c.env.REGISTRATION_LIMITER;
    if (limiter) {
      // The binding does not say when its window ends: its period is at most 60 s.
      if (!(await limiter.limit({ key })).success)
        throw new ApiError("rate_limited", "too many registrations for this API key; retry later", undefined, 60);
    } else {
      const outcome = withinPerIsolateCap(key, loadConfig(c.env).registrationCapPerIsolate, Date.now());
      if (!outcome.ok)
        throw new ApiError("rate_limited", "too many registrations for this API key; retry later", undefined, outcome.retryAfterSeconds);
    }
    await next();
  };
}
