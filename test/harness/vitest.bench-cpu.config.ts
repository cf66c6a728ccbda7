import path from "node:path";
import { defineConfig } from "vitest/config";

/**
 * `npm run bench:cpu` (and the end of `npm run bench`): the Worker's own CPU time per operation,
 * from Node: it starts the real `wrangler dev` and profiles its isolate through the inspector,
 * which a benchmark inside workerd cannot do. Results are printed and written to
 * .tmp/cpu-bench-results.md.
 */
export default defineConfig({
  test: {
    root: path.resolve(import.meta.dirname, "../.."),
    include: ["test/bench/node/**/*.bench.ts"],
    environment: "node",
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 120_000,
  },
});
