import { defineConfig } from "vitest/config";

/**
 * The client package's own tests, in Node (an app's runtime): the client over a stubbed fetch, and
 * a sample app compiled with a plain strict tsconfig against the built package. The root's
 * `npm run test:workers` runs them as a project beside the Workers suites.
 */
export default defineConfig({
  test: {
    name: "client",
    root: import.meta.dirname,
    // Each file in a fresh process (vitest's default, said so that it does not suggest `isolate: false`).
    isolate: true,
    include: ["test/**/*.test.ts"],
    environment: "node",
  },
});
