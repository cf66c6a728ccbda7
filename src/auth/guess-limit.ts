import { loadConfig } from "../config";
import type { Env } from "../env";
import { systemClock } from "../lib/clock";
import { boundMap, FixedWindows } from "../lib/fixed-windows";
import { type Caller, resolveCaller } from "./caller";
import { visiblePrefix } from "./keys";

/**
 * Limits guessing of API keys, wherever a key is checked: `/v1` (the admin API included) and the
 * dashboard's login form. FAILED checks are counted per client address (`CF-Connecting-IP`; one
 * shared "unknown" bucket without it, i.e. outside Cloudflare) and per presented key prefix
 * (`visiblePrefix`: its first 11 characters, so guessing the rest of a key whose start is known is
 * limited even from many addresses). A right key is never counted.
 *
 * Past the limit an address (or a prefix) is blocked until its window ends: EVERY key check from
 * it is refused, the right key too, or a guesser would still learn at full speed when a guess
 * succeeds. The counting:
 *
 * - With the `AUTH_FAILURE_LIMITER` binding (Cloudflare's rate limiting, `simple = { limit, period }`
 *   in wrangler.toml) its counts are shared by every isolate of a Cloudflare location. It has no
 *   "peek" and does not say when its window ends, so when it says a bucket is over, this isolate
 *   remembers the bucket as blocked for the binding's period (at most 60 s). Across isolates the
 *   block is best effort: another isolate learns it on its first further failure from that bucket
 *   (which the binding refuses), and until then lets a right key through.
 * - Without it, a per-isolate stand-in with the same rules: fixed 60 s windows, `AUTH_FAILURE_LIMIT`
 *   failures (default 20) per bucket and window *in each isolate*. Each isolate counts on its own
 *   and forgets when evicted, so a deployment of many isolates admits more: it is no global limit.
 *
 * A request that presents no key (no `Authorization: Bearer <key>`, an empty login field) is not
 * counted: it checks no key, so it is no guess. It is still refused while its address is blocked.
 */

/** The stand-in's window, and how long a block the binding reports lasts (its period is at most 60 s). */
const WINDOW_MS = 60_000;
/** Buckets remembered per isolate (blocks, and the stand-in's windows); the oldest go first. */
const MAX_BUCKETS = 10_000;
/** Where requests without `CF-Connecting-IP` are counted together (only outside Cloudflare). */
export const UNKNOWN_ADDRESS = "unknown";

/** This isolate's blocks: bucket → when (ms) it is let through again. */
const blockedUntil = new Map<string, number>();
/** The stand-in's counters: fixed one-minute windows per bucket, in this isolate's memory. */
const perIsolateWindows = new FixedWindows(WINDOW_MS, MAX_BUCKETS);

/** The buckets a key check is counted in: the address always, the prefix when a key was presented. */
export function guessBuckets(clientAddress: string | null | undefined, presented: string | null): string[] {
  const address = clientAddress?.trim().toLowerCase().slice(0, 64) || UNKNOWN_ADDRESS;
  return presented ? [`ip:${address}`, `prefix:${visiblePrefix(presented)}`] : [`ip:${address}`];
}

/** Seconds until every one of `buckets` is let through again, or null when none is blocked here. */
function blockedFor(buckets: readonly string[], now: number): number | null {
  let until = 0;
  for (const bucket of buckets) {
    const end = blockedUntil.get(bucket);
    if (end === undefined) continue;
    if (end <= now) blockedUntil.delete(bucket);
    else until = Math.max(until, end);
  }
  return until > now ? Math.max(1, Math.ceil((until - now) / 1000)) : null;
}

function block(bucket: string, until: number, now: number) {
  if ((blockedUntil.get(bucket) ?? 0) > now) return;
  boundMap(blockedUntil, MAX_BUCKETS, (end) => end <= now);
  blockedUntil.set(bucket, until);
  // The address is logged; a key prefix is not: for a configured key (RELAY_API_KEYS,
  // ADMIN_API_KEY) its first 11 characters are a good part of the secret, and a mistyped right
  // key would leave them in the logs.
  const [kind, value] = [bucket.slice(0, bucket.indexOf(":")), bucket.slice(bucket.indexOf(":") + 1)];
  console.warn(
    JSON.stringify({
      event: "auth_failures_blocked",
      by: kind === "ip" ? "address" : "key_prefix",
      ...(kind === "ip" ? { address: value } : {}),
      seconds: Math.ceil((until - now) / 1000),
    }),
  );
}

/** The stand-in: counts one failure of `bucket` and says when its window ends if that puts it over. */
function countInThisIsolate(bucket: string, limit: number, now: number): number | null {
  const window = perIsolateWindows.current(bucket, now);
  window.count += 1;
  return window.count > limit ? window.startedAt + WINDOW_MS : null;
}

/**
 * Counts one failed key check in each of `buckets` (all of them, even once one is over) and
 * returns the seconds to wait if that blocked any of them, else null.
 */
async function countFailure(env: Env, buckets: readonly string[], now: number): Promise<number | null> {
  const limiter = env.AUTH_FAILURE_LIMITER;
  const limit = loadConfig(env).authFailureLimit;
  const ends = await Promise.all(
    buckets.map(async (bucket) => {
      if (limiter) return (await limiter.limit({ key: bucket })).success ? null : now + WINDOW_MS;
      return countInThisIsolate(bucket, limit, now);
    }),
  );
  buckets.forEach((bucket, i) => {
    const end = ends[i];
    if (end != null) block(bucket, end, now);
  });
  return blockedFor(buckets, now);
}

export type KeyCheck =
  | { kind: "caller"; caller: Caller }
  /** No key, or a key nobody has: the caller's 401. */
  | { kind: "refused" }
  /** Too many failures from this address or for this key prefix: 429 with `Retry-After`. */
  | { kind: "blocked"; retryAfterSeconds: number };

/** Who a presented key proves the caller is, or null for a key nobody has (`resolveCaller`). */
export type ResolveCaller = (env: Env, presented: string) => Promise<Caller | null>;

/**
 * `resolve` behind the guessing limit: refused while the address (or the presented key's prefix)
 * is blocked, without checking the key; a failed check is counted, and answers `blocked` instead
 * of `refused` when it is the one that goes over. The blocks and counts are this module's, shared
 * by every check made with it (the API's and the dashboard's login).
 */
export const limitGuesses =
  (resolve: ResolveCaller) =>
  async (env: Env, clientAddress: string | null | undefined, presented: string | null): Promise<KeyCheck> => {
    const buckets = guessBuckets(clientAddress, presented || null);
    const blocked = blockedFor(buckets, systemClock.now());
    if (blocked !== null) return { kind: "blocked", retryAfterSeconds: blocked };
    if (!presented) return { kind: "refused" };
    const caller = await resolve(env, presented);
    if (caller) return { kind: "caller", caller };
    const retryAfterSeconds = await countFailure(env, buckets, systemClock.now());
    return retryAfterSeconds === null ? { kind: "refused" } : { kind: "blocked", retryAfterSeconds };
  };

/** `resolveCaller` behind the guessing limit: the one key check of `/v1`, CometAPI's paths and the dashboard's login. */
export const checkKey = limitGuesses(resolveCaller);
