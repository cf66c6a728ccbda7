import path from "node:path";
import { defineConfig } from "vitest/config";
import { MAX_WORKERS } from "./max-workers.ts";
import { ROOT, relayWorkersPool } from "./workers-pool.ts";

/**
 * The upgrade tests of migrations (`npm run test:workers` runs them after the others): the Workers
 * pool without the setup file that applies every migration, so each test file finds `DB` empty
 * (each file has its own storage). test/migration-0005.test.ts applies 0000-0004 itself, fills it as
 * the relay before tenants did, then applies 0005 and drives the real Worker (its fetch and its
 * cron) on what that made; test/migration-0013.test.ts applies 0000-0012, writes messages with the
 * old Worker's statements, and checks their states after 0013.
 * `MIGRATION_TEST` tells the tests they run here; the default pool, whose DB is migrated, skips them.
 */
export default defineConfig({
  plugins: [relayWorkersPool({ MIGRATION_TEST: "true" }, { network: "per-file" })],
  test: {
    name: "migration",
    root: ROOT,
    // A workerd per file, as in vitest.config.ts (said, so vitest does not suggest `isolate: false`).
    isolate: true,
    // Side by side (max-workers.ts: vitest 5 does not pass the root's on to projects).
    maxWorkers: MAX_WORKERS,
    include: ["test/migration-0005.test.ts", "test/migration-0013.test.ts"],
    silent: "passed-only",
    testTimeout: 30_000,
    globalSetup: [path.join(ROOT, "test/harness/global-setup.ts")],
  },
});
