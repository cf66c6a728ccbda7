import { app } from "./app";
import { ConfigError, loadConfig } from "./config";
import type { Env } from "./env";
import { consumeBatch } from "./queue/consume-batch";
import { queueDispatchers } from "./queue/send-work";
import { boundedD1 } from "./storage/bounded-d1";
import { drillD1 } from "./storage/d1-faults";
import { emptyUsage } from "./storage/metered-d1";
import { isStorageUnavailable, storageErrorMessage } from "./storage/storage-errors";
import { runTick } from "./tick/run-tick";
import { systemClock } from "./work/work-context";

/** Durable Object classes are exported by the Worker's main module (wrangler.toml's ENDPOINT_PACER). */
export { EndpointPacer } from "./ratelimit/endpoint-pacer";

/**
 * A tick or a batch the configuration does not allow: one JSON line naming the settings at fault
 * (never a value), not a stack for every minute's tick. Anything else is thrown on.
 */
function logIfMisconfigured(during: "tick" | "queue_batch", error: unknown): void {
  if (!(error instanceof ConfigError)) throw error;
  console.error(JSON.stringify({ event: "configuration_error", during, settings: error.settings, error: error.message }));
}

/** D1_TIMEOUT_SECONDS's default, for a relay whose configuration does not load (it then does no work anyway). */
const DEFAULT_D1_TIMEOUT_MS = 15_000;
const bounded = new WeakMap<Env, Env>();

/**
 * The env every way in works with: its D1 gives up on a round trip after D1_TIMEOUT_SECONDS
 * (storage/bounded-d1.ts), and fails D1_FAULT_RATE of them on purpose in a drill. Made once per
 * env object, as the configuration is read once per env object (config.ts).
 */
function withBoundedD1(env: Env): Env {
  let out = bounded.get(env);
  if (!out) {
    let timeoutMs = DEFAULT_D1_TIMEOUT_MS;
    let faultRate = 0;
    try {
      ({ d1TimeoutMs: timeoutMs, d1FaultRate: faultRate } = loadConfig(env));
    } catch {
      // Misconfigured: every way in says so on its own; the default bounds D1 meanwhile.
    }
    // A drill (D1_FAULT_RATE, soaks only) fails round trips below the bound, as D1 itself would.
    const db = boundedD1(faultRate > 0 ? drillD1(env.DB, faultRate, systemClock.random) : env.DB, timeoutMs);
    out = new Proxy(env, { get: (target, prop) => (prop === "DB" ? db : Reflect.get(target, prop)) });
    bounded.set(env, out);
  }
  return out;
}

/**
 * One way in per event: HTTP requests go to the Hono app, cron triggers run the tick, and queue
 * batches (only with the queues of `[env.queues]` in wrangler.toml) go to the consumer. The tick
 * reaches the queues only through the dispatchers made here from the env's bindings. A
 * misconfigured relay does no work (the next tick tries again; a batch is retried, as after any
 * failure) and says why in one line; its HTTP routes answer 503 `misconfigured` (api-kit). Each
 * works with its D1 bounded in time (`withBoundedD1`).
 */
export default {
  fetch: (request, env, ctx) => app.fetch(request, withBoundedD1(env), ctx),
  async scheduled(_controller, env) {
    // Counted out here: a tick that D1 ends logs no tick line, and says what it got through.
    const started = systemClock.now();
    const usage = emptyUsage();
    await runTick(withBoundedD1(env), systemClock, queueDispatchers(env), usage).catch((error: unknown) => {
      // D1 unavailable for now: the tick ends, its leases run out, the next tick claims the work.
      if (isStorageUnavailable(error))
        console.error(
          JSON.stringify({
            event: "storage_unavailable",
            during: "tick",
            error: storageErrorMessage(error),
            durationMs: systemClock.now() - started,
            d1: usage,
          }),
        );
      else logIfMisconfigured("tick", error);
    });
  },
  async queue(batch, env) {
    await consumeBatch(batch, withBoundedD1(env)).catch((error: unknown) => {
      // D1 unavailable for now, as for the tick: one line in D1's own words (thrown on, it would
      // reach the platform as an uncaught error quoting drizzle's statement and its parameters).
      if (isStorageUnavailable(error))
        console.error(JSON.stringify({ event: "storage_unavailable", during: "queue_batch", error: storageErrorMessage(error) }));
      else logIfMisconfigured("queue_batch", error);
      // Nothing was acknowledged: Queues retries the batch later (then dead-letters it), as on any
      // failure; its work stays leased in D1 meanwhile, and every write is safe to repeat.
      batch.retryAll();
    });
  },
} satisfies ExportedHandler<Env>;
