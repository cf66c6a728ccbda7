import { aroundRoundTrips } from "./d1-round-trips";

/**
 * A D1 binding whose every round trip gives up after `timeoutMs`, failing as D1 fails when its
 * storage operation runs past its time: a D1 that does not answer must not hold a tick past its
 * wall budget, nor an API request until the platform cuts it. The round trip itself is not
 * cancelled (nothing can cancel it) and may still commit: every write of the relay is guarded by
 * an id, a lease token or a unique key, so whoever retries it finds it done.
 */
export function boundedD1(db: D1Database, timeoutMs: number): D1Database {
  return aroundRoundTrips(db, (run) => {
    let timer = 0;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`D1_ERROR: D1 storage operation exceeded timeout (no answer within ${timeoutMs} ms, D1_TIMEOUT_SECONDS)`)),
        timeoutMs,
      ) as unknown as number;
    });
    return Promise.race([run(), timeout]).finally(() => clearTimeout(timer));
  });
}
