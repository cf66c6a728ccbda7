import path from "node:path";
import { defineConfig } from "vitest/config";

const root = path.resolve(import.meta.dirname, "../..");

/**
 * The dashboard in a real browser: Node drives Debian's Chromium (playwright-core, no browser
 * download) against the real `wrangler dev` and the loopback simulator.
 */
export default defineConfig({
  test: {
    root,
    include: ["test/browser/**/*.browser.test.ts"],
    environment: "node",
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
