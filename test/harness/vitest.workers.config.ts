import { availableParallelism } from "node:os";
import path from "node:path";
import { defineConfig } from "vitest/config";
import { ROOT } from "./workers-pool.ts";

/**
 * `npm run test:workers`: the four Workers pools in one vitest run, as projects: the suites
 * (vitest.config.ts), the unit suites of src/domain and src/lib (vitest.unit.config.ts, without
 * isolation), the queue suites (vitest.queues.config.ts, one file after the other) and the
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
      // The client package's own tests (Node): packages/client/vitest.config.ts.
      path.join(ROOT, "packages/client/vitest.config.ts"),
    ],
    // Every file has a workerd, a D1 and a loopback network of its own (workers-pool.ts), so files
    // may run side by side. vitest's default (one worker fewer than the cores) is a single worker
    // on CI's 2 cores, which leaves about half of them idle: a file spends much of its time
    // waiting between vitest and its workerd. At least 2, then.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // Root-only option (a project cannot set it): logs only for tests that fail.
    silent: "passed-only",
  },
});
