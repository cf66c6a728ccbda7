import path from "node:path";
import { defineConfig } from "vitest/config";

const root = path.resolve(import.meta.dirname, "../..");

/**
 * The one-minute soak (`npm run test:soak`, part of `npm test`): Node drives the real
 * `wrangler dev` under the real clock. `npm run soak` runs the full one (test/soak/full-soak.ts).
 */
export default defineConfig({
  test: {
    root,
    include: ["test/soak/**/*.soak.ts"],
    environment: "node",
    fileParallelism: false,
    testTimeout: 420_000,
    hookTimeout: 60_000,
  },
});
