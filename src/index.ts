import type { Env } from "./env";
import { app } from "./http/app";
import { consumeBatch } from "./queue/consume-batch";
import { runTick } from "./tick/run-tick";

/**
 * One way in per event: HTTP requests go to the Hono app, cron triggers run the tick, and queue
 * batches (only with the queues of `[env.queues]` in wrangler.toml) go to the consumer.
 */
export default {
  fetch: app.fetch,
  async scheduled(_controller, env) {
    await runTick(env);
  },
  async queue(batch, env) {
    await consumeBatch(batch, env);
  },
} satisfies ExportedHandler<Env>;
