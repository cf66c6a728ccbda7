import path from "node:path";
import { defineConfig } from "vitest/config";
import { MAX_WORKERS } from "./max-workers.ts";
import { ROOT, relayWorkersPool } from "./workers-pool.ts";

export default defineConfig({
  plugins: [relayWorkersPool({}, { network: "per-file" })],
  test: {
    name: "workers",
    root: ROOT,
    // Each file runs in a workerd of its own, with its own D1 and loopback network: isolation is the
    // design, said here so that vitest stops suggesting `isolate: false` at the end of every run.
    isolate: true,
    // Side by side (max-workers.ts: vitest 5 does not pass the root's on to projects).
    maxWorkers: MAX_WORKERS,
    include: ["test/**/*.test.ts"],
    // test/domain and test/lib: the unit project (vitest.unit.config.ts), without isolation.
    exclude: ["test/e2e/**", "test/browser/**", "test/node/**", "test/domain/**", "test/lib/**", "**/node_modules/**"],
    // The tick logs one JSON line per run: show logs only for tests that fail.
    silent: "passed-only",
    globalSetup: [path.join(ROOT, "test/harness/global-setup.ts")],
    setupFiles: [path.join(ROOT, "test/support/apply-migrations.ts")],
  },
});
