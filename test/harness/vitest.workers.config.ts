import path from "node:path";
import { defineConfig } from "vitest/config";
import { MAX_WORKERS } from "./max-workers.ts";
import { ROOT } from "./workers-pool.ts";

/**
 * `npm run test:workers`: the four Workers pools in one vitest run, as projects: the suites
 * (vitest.config.ts), the unit suites of src/domain and src/lib (vitest.unit.config.ts, without
 * isolation), the queue suites (vitest.queues.config.ts, on wrangler.toml's `[env.queues]`) and the
 * migration upgrade test (vitest.migration.config.ts); and the few Node-side unit tests
 * (vitest.node.config.ts) and the client package's (packages/client). One run instead of one per
 * pool in a row, and the files of all of them share the workers.
 */
export default defineConfig({
  test: {
    root: ROOT,
    projects: [
      ...[
        "vitest.config.ts",
        "vitest.unit.config.ts",
        "vitest.queues.config.ts",
        "vitest.migration.config.ts",
        "vitest.node.config.ts",
      ].map((config) => path.join(ROOT, "test/harness", config)),
      // The client package's own tests (Node): packages/client/vitest.config.ts, side by side with
      // the others (its config, the package's own, does not say maxWorkers: max-workers.ts).
      {
        extends: path.join(ROOT, "packages/client/vitest.config.ts"),
        test: { name: "client", root: path.join(ROOT, "packages/client"), maxWorkers: MAX_WORKERS },
      },
    ],
    // Also said by each project (max-workers.ts).
    maxWorkers: MAX_WORKERS,
    // Root-only option (a project cannot set it): logs only for tests that fail.
    silent: "passed-only",
  },
});
