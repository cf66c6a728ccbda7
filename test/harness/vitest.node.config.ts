import path from "node:path";
import { defineConfig } from "vitest/config";
import { MAX_WORKERS } from "./max-workers.ts";

/**
 * Unit tests of the repository's own files (docs, example configuration), which read them from
 * disk: in Node, not in workerd. Fast; `npm run test:workers` runs them with the Workers suites.
 */
export default defineConfig({
  test: {
    name: "node",
    root: path.resolve(import.meta.dirname, "../.."),
    // Each file in a fresh process (vitest's default, said so that it does not suggest `isolate: false`).
    isolate: true,
    // Side by side (max-workers.ts: vitest 5 does not pass the root's on to projects).
    maxWorkers: MAX_WORKERS,
    include: ["test/node/**/*.test.ts"],
    environment: "node",
  },
});
