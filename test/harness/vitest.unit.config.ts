import path from "node:path";
import { defineConfig } from "vitest/config";
import { MAX_WORKERS } from "./max-workers.ts";
import { ROOT, relayWorkersPool } from "./workers-pool.ts";

/**
 * The unit suites of src/domain and src/lib (`npm run test:workers` runs them beside the others):
 * pure functions, no D1, no network, no Worker module state. They run in workerd as the Worker
 * does, but without isolation: each of vitest's workers starts one workerd and runs these files
 * one after the other in it, with the modules they import loaded once. Isolated, every file paid
 * for a workerd of its own and for loading the Worker's modules into it (about 3 s of CPU a file,
 * against a few milliseconds of tests); together they now take a few seconds.
 * A suite that needs D1, the loopback network or a fresh module state belongs in test/ (vitest.config.ts).
 */
export default defineConfig({
  plugins: [relayWorkersPool({}, { network: "per-file" })],
  test: {
    name: "unit",
    root: ROOT,
    isolate: false,
    // Side by side (max-workers.ts: vitest 5 does not pass the root's on to projects).
    maxWorkers: MAX_WORKERS,
    include: ["test/domain/**/*.test.ts", "test/lib/**/*.test.ts"],
    silent: "passed-only",
    globalSetup: [path.join(ROOT, "test/harness/global-setup.ts")],
  },
});
