import type { MiddlewareHandler } from "hono";
import { loadConfig } from "../config";
import type { Env } from "../env";
import { systemClock } from "../lib/clock";
import { FixedWindows } from "../lib/fixed-windows";
import { ApiError } from "./api-error";

const WINDOW_MS = 60_000;
/**
 * The per-isolate cap's counters: fixed one-minute windows per API key, in this isolate's memory.
 * Every isolate counts on its own, and forgets when it is evicted.
 */
const perIsolateWindows = new FixedWindows(WINDOW_MS);

/**
 * Takes `count` registrations from the key's window if they all fit; a request that does not fit
 * takes nothing (so a smaller batch may still pass).
 */
function withinPerIsolateCap(key: string, cap: number, now: number, count: number): { ok: boolean; retryAfterSeconds: number } {
  const window = perIsolateWindows.current(key, now);
  const ok = window.count + count <= cap;
  if (ok) window.count += count;
  return { ok, retryAfterSeconds: Math.max(1, Math.ceil((window.startedAt + WINDOW_MS - now) / 1000)) };
}

const refused = (retryAfterSeconds: number) =>
  new ApiError("rate_limited", "too many registrations for this API key; retry later", undefined, retryAfterSeconds);

/**
 * Counts `count` registrations (a batch's items) against the API key's limit, or throws 429
 * `rate_limited` with `Retry-After` for the whole request. With the `REGISTRATION_LIMITER` binding
 * (Cloudflare's rate limiting, shared by every isolate of a location) its configured limit applies:
 * the binding counts one per `limit()` call and has no cost argument, so it is called once per
 * registration, all at once; if any call is refused the request is, and the calls that succeeded
 * stay counted (the binding cannot give them back), so a batch refused at the edge of a window
 * uses up what was left of it. Without the binding there is only a per-isolate cap: at most
 * `REGISTRATION_RATE_LIMIT` registrations a minute per key *in each isolate*, counted exactly (a
 * batch that does not fit takes nothing). A deployment served by many isolates admits up to that
 * many times more, so the cap is no global limit: it only stops one runaway client from flooding
 * D1 through one isolate.
 */
export async function takeRegistrations(env: Env, key: string, count: number): Promise<void> {
  const limiter = env.REGISTRATION_LIMITER;
  if (limiter) {
    const outcomes = await Promise.all(Array.from({ length: count }, () => limiter.limit({ key })));
    // The binding does not say when its window ends: its period is at most 60 s.
    if (!outcomes.every((o) => o.success)) throw refused(60);
    return;
  }
  const outcome = withinPerIsolateCap(key, loadConfig(env).registrationRateLimit, systemClock.now(), count);
  if (!outcome.ok) throw refused(outcome.retryAfterSeconds);
}

/** `POST /v1/tasks`: one registration per request (see `takeRegistrations`). */
export function registrationRateLimit(): MiddlewareHandler<{ Bindings: Env; Variables: { apiKeyId: string } }> {
  return async function limitRegistrations(c, next) {
    await takeRegistrations(c.env, c.get("apiKeyId"), 1);
    await next();
  };
}
