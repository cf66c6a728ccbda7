import path from "node:path";
import { defineConfig } from "vitest/config";
import { ROOT, relayWorkersPool } from "./workers-pool.ts";

/**
 * The suites that need real queues (`npm run test:workers` runs them after the others): the
 * Workers pool on wrangler.toml's `[env.queues]`, so the Worker has its POLL_QUEUE and
 * DELIVERY_QUEUE producers and miniflare delivers their messages to the Worker's own `queue`
 * handler, as Cloudflare would. The test bindings are those of workers-pool.ts.
 */
export default defineConfig({
  plugins: [relayWorkersPool({}, { environment: "queues", network: "per-file" })],
  test: {
    name: "queues",
    root: ROOT,
    // A workerd per file, as in vitest.config.ts (said, so vitest does not suggest `isolate: false`).
    isolate: true,
    // Only these suites: the others run once, in the default pool (where these skip themselves).
    include: ["test/queue-fanout.test.ts", "test/queue-equivalence.test.ts"],
    silent: "passed-only",
    // Both files drive the same queues and D1: one after the other.
    fileParallelism: false,
    testTimeout: 60_000,
    globalSetup: [path.join(ROOT, "test/harness/global-setup.ts")],
    setupFiles: [path.join(ROOT, "test/support/apply-migrations.ts")],
  },
});
