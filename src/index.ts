import { app } from "./app";
import { ConfigError } from "./config";
import type { Env } from "./env";
import { consumeBatch } from "./queue/consume-batch";
import { queueDispatchers } from "./queue/send-work";
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

/**
 * One way in per event: HTTP requests go to the Hono app, cron triggers run the tick, and queue
 * batches (only with the queues of `[env.queues]` in wrangler.toml) go to the consumer. The tick
 * reaches the queues only through the dispatchers made here from the env's bindings. A
 * misconfigured relay does no work (the next tick tries again; a batch is retried, as after any
 * failure) and says why in one line; its HTTP routes answer 503 `misconfigured` (api-kit).
 */
export default {
  fetch: app.fetch,
  async scheduled(_controller, env) {
    await runTick(env, systemClock, queueDispatchers(env)).catch((error: unknown) => logIfMisconfigured("tick", error));
  },
  async queue(batch, env) {
    await consumeBatch(batch, env).catch((error: unknown) => {
      logIfMisconfigured("queue_batch", error);
      // Nothing was done: Queues retries the batch later (then dead-letters it), as on any failure.
      batch.retryAll();
    });
  },
} satisfies ExportedHandler<Env>;
