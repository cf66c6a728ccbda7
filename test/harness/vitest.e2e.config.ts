import path from "node:path";
import { defineConfig } from "vitest/config";
import { toolchainReporter } from "./toolchain-reporter.ts";

const root = path.resolve(import.meta.dirname, "../..");

/** End-to-end tests: Node drives the real `wrangler dev` over HTTP, as an outside app would. */
export default defineConfig({
  test: {
    root,
    include: ["test/e2e/**/*.e2e.test.ts"],
    environment: "node",
    // The default reporter, and one line for each file whose tests skip for want of a toolchain.
    reporters: [toolchainReporter(), "default"],
    // One wrangler dev per file is plenty for 2 cores: files run one after another.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
