import type { Env } from "./env";
import { app } from "./http/app";
import { runTick } from "./tick/run-tick";

/** One way in per event: HTTP requests go to the Hono app, cron triggers run the tick. */
export default {
  fetch: app.fetch,
  async scheduled(_controller, env) {
    await runTick(env);
  },
} satisfies ExportedHandler<Env>;
