import path from "node:path";
import { defineConfig } from "vitest/config";
import { ROOT, relayWorkersPool } from "./workers-pool.ts";

/**
 * `npm run bench`: the relay's tick inside workerd with a local D1, against the Kling simulator
 * on loopback. Results are printed as tables at the end and written to .tmp/bench-results.md.
 */
export default defineConfig({
  plugins: [relayWorkersPool()],
  test: {
    root: ROOT,
    include: ["test/bench/**/*.bench.ts"],
    // Node's side (vitest.bench-cpu.config.ts): it starts wrangler dev, which workerd cannot.
    exclude: ["test/bench/node/**"],
    // One section at a time: each measures throughput, so they must not share the 2 cores.
    fileParallelism: false,
    silent: true,
    testTimeout: 600_000,
    globalSetup: [path.join(ROOT, "test/harness/bench-setup.ts")],
    setupFiles: [path.join(ROOT, "test/support/apply-migrations.ts")],
  },
});
