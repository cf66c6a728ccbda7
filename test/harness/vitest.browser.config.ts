import path from "node:path";
import { defineConfig } from "vitest/config";
import { toolchainReporter } from "./toolchain-reporter.ts";

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
    // The default reporter, and one line for each file whose tests skip for want of a toolchain.
    reporters: [toolchainReporter(), "default"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
