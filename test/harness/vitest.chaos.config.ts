import path from "node:path";
import { defineConfig } from "vitest/config";
import { ROOT, relayWorkersPool } from "./workers-pool.ts";

// The shared global setup prints what the run reported, to the terminal and .tmp/chaos-results.md.
process.env.RESULTS_NAME = "chaos";

/** `npm run chaos`: the full chaos run (test/chaos.test.ts runs a small one inside `npm test`). */
export default defineConfig({
  plugins: [relayWorkersPool()],
  test: {
    root: ROOT,
    include: ["test/chaos/**/*.chaos.ts"],
    silent: true,
    testTimeout: 900_000,
    globalSetup: [path.join(ROOT, "test/harness/bench-setup.ts")],
    setupFiles: [path.join(ROOT, "test/support/apply-migrations.ts")],
  },
});
