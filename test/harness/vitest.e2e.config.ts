import path from "node:path";
import { defineConfig } from "vitest/config";
import { MAX_WORKERS } from "./max-workers.ts";
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
    // Two files (two wrangler devs) at a time on 2 cores: most of a file's time is waiting on the
    // real clock (leases, ticks, the demo's processes), so two fit side by side. Each file has its
    // own state folder and ports (tools/wrangler-dev.ts picks ports again when one was taken).
    maxWorkers: MAX_WORKERS,
    fileParallelism: true,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
