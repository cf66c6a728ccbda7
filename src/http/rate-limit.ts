import type { MiddlewareHandler } from "hono";
import { loadConfig } from "../config";
import type { Env } from "../env";
import { ApiError } from "./api-error";
import type { AuthVariables } from "./bearer-auth";

const WINDOW_MS = 60_000;
/** Fallback counters, per isolate: fixed one-minute windows per API key. */
const windows = new Map<string, { startedAt: number; count: number }>();

function withinFallbackLimit(key: string, limit: number, now: number): { ok: boolean; retryAfterSeconds: number } {
  let window = windows.get(key);
  if (!window || now - window.startedAt >= WINDOW_MS) {
    window = { startedAt: now, count: 0 };
    windows.set(key, window);
  }
  window.count += 1;
  return { ok: window.count <= limit, retryAfterSeconds: Math.max(1, Math.ceil((window.startedAt + WINDOW_MS - now) / 1000)) };
}

/**
 * Limits registrations per API key. With the `REGISTRATION_LIMITER` binding (Cloudflare's rate
 * limiting, shared by every isolate of a location) its configured limit applies; without it, an
 * in-memory limit per isolate (`REGISTRATION_RATE_LIMIT` a minute), which only approximates a
 * global limit but keeps one runaway client from flooding D1. Past the limit: 429 `rate_limited`
 * with `Retry-After`.
 */
export function registrationRateLimit(): MiddlewareHandler<{ Bindings: Env; Variables: AuthVariables }> {
  return async function limitRegistrations(c, next) {
    const key = c.get("apiKeyId");
    const limiter = c.env.REGISTRATION_LIMITER;
    if (limiter) {
      // The binding does not say when its window ends: its period is at most 60 s.
      if (!(await limiter.limit({ key })).success) throw new ApiError("rate_limited", "too many registrations for this API key; retry later", undefined, 60);
    } else {
      const outcome = withinFallbackLimit(key, loadConfig(c.env).registrationRateLimit, Date.now());
      if (!outcome.ok) throw new ApiError("rate_limited", "too many registrations for this API key; retry later", undefined, outcome.retryAfterSeconds);
    }
    await next();
  };
}
