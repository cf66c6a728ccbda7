import path from "node:path";
import { defineConfig } from "vitest/config";
import { ROOT, relayWorkersPool } from "./workers-pool";

/**
 * The upgrade test of migration 0005 (test/migration-0005.test.ts; `npm run test:workers` runs it
 * after the others): the Workers pool without the setup file that applies every migration, so the
 * test finds `DB` empty, applies 0000-0004 itself, fills it as the relay before tenants did, then
 * applies 0005 and drives the real Worker (its fetch and its cron) on what that made.
 * `MIGRATION_TEST` tells the test it runs here; the default pool, whose DB is migrated, skips it.
 */
export default defineConfig({
  plugins: [relayWorkersPool({ MIGRATION_TEST: "true" }, { network: "per-file" })],
  test: {
    name: "migration",
    root: ROOT,
    include: ["test/migration-0005.test.ts"],
    silent: "passed-only",
    testTimeout: 30_000,
    globalSetup: [path.join(ROOT, "test/harness/global-setup.ts")],
  },
});
