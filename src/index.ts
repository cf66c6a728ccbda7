import { app } from "./app";
import type { Env } from "./env";
import { consumeBatch } from "./queue/consume-batch";
import { queueDispatchers } from "./queue/send-work";
import { runTick } from "./tick/run-tick";
import { systemClock } from "./work/work-context";

/**
 * One way in per event: HTTP requests go to the Hono app, cron triggers run the tick, and queue
 * batches (only with the queues of `[env.queues]` in wrangler.toml) go to the consumer. The tick
 * reaches the queues only through the dispatchers made here from the env's bindings.
 */
export default {
  fetch: app.fetch,
  async scheduled(_controller, env) {
    await runTick(env, systemClock, queueDispatchers(env));
  },
  async queue(batch, env) {
    await consumeBatch(batch, env);
  },
} satisfies ExportedHandler<Env>;
