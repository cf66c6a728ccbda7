import path from "node:path";
import { defineConfig } from "vitest/config";
import { MAX_WORKERS } from "./max-workers.ts";
import { ROOT, relayWorkersPool } from "./workers-pool.ts";

/**
 * The suites that need real queues (`npm run test:workers` runs them beside the others): the
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
    // Each file has a workerd, queues and a D1 of its own (workers-pool.ts), so they run side by
    // side, and with the other projects (max-workers.ts: the same number groups them).
    maxWorkers: MAX_WORKERS,
    testTimeout: 60_000,
    globalSetup: [path.join(ROOT, "test/harness/global-setup.ts")],
    setupFiles: [path.join(ROOT, "test/support/apply-migrations.ts")],
  },
});
