import type { TenantId } from "../domain/ids";
import type { Env } from "../env";
import { systemClock } from "../lib/clock";
import { FixedWindows } from "../lib/fixed-windows";
import { ApiError } from "./api-error";

const WINDOW_MS = 60_000;
/** Tenants remembered by the per-isolate counters at most (ended windows go first). */
const MAX_TENANTS = 10_000;
const perIsolateWindows = new FixedWindows(WINDOW_MS, MAX_TENANTS);

/**
 * Counts one drop-in query passed through to upstream (a task the relay does not have) against the
 * tenant's limit, or throws 429 `passthrough_limit_reached` with `Retry-After`. Each pass-through
 * spends an upstream request on the account the tenant uses, so it is held to the tenant's
 * `caps.passthrough_per_minute`, counted in this isolate (every isolate counts on its own), and,
 * with the `UPSTREAM_QUERY_LIMITER` binding, to that binding's limit per tenant as well, shared by
 * the isolates of a location.
 */
export async function takePassThrough(env: Env, tenantId: TenantId, perMinute: number): Promise<void> {
  const now = systemClock.now();
  const window = perIsolateWindows.current(tenantId, now);
  const retryAfter = Math.max(1, Math.ceil((window.startedAt + WINDOW_MS - now) / 1000));
  if (window.count >= perMinute) throw refused(perMinute, retryAfter);
  window.count += 1;
  // The binding does not say when its window ends: its period is at most 60 s.
  if (env.UPSTREAM_QUERY_LIMITER && !(await env.UPSTREAM_QUERY_LIMITER.limit({ key: tenantId })).success) throw refused(perMinute, 60);
}

const refused = (perMinute: number, retryAfterSeconds: number) =>
  new ApiError(
    "passthrough_limit_reached",
    `too many queries of tasks the relay does not have (this tenant's limit: ${perMinute} a minute); retry later, or register the task to have the relay poll it`,
    undefined,
    retryAfterSeconds,
  );
