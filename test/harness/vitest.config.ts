import path from "node:path";
import { defineConfig } from "vitest/config";
import { ROOT, relayWorkersPool } from "./workers-pool.ts";

export default defineConfig({
  plugins: [relayWorkersPool({}, { network: "per-file" })],
  test: {
    name: "workers",
    root: ROOT,
    include: ["test/**/*.test.ts"],
    exclude: ["test/e2e/**", "test/browser/**", "test/node/**", "**/node_modules/**"],
    // The tick logs one JSON line per run: show logs only for tests that fail.
    silent: "passed-only",
    globalSetup: [path.join(ROOT, "test/harness/global-setup.ts")],
    setupFiles: [path.join(ROOT, "test/support/apply-migrations.ts")],
  },
});
