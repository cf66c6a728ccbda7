import path from "node:path";
import { defineConfig } from "vitest/config";
import { ROOT, relayWorkersPool } from "./workers-pool.ts";

/**
 * The sections whose figures do not depend on how fast the machine is: counted (D1 rows,
 * attempts) or in simulated time (the tick every simulated minute), and the paced burst, whose
 * figures are the pacer's on the real clock at 10 sends a second, far below what the cores can
 * do. They run side by side, each with a simulator of its own (several pin its clock), before
 * the throughput sections.
 */
const SIDE_BY_SIDE = [
  "test/bench/push-vs-poll.bench.ts",
  "test/bench/polling-vs-naive.bench.ts",
  "test/bench/paced-burst.bench.ts",
  "test/bench/storage-cost.bench.ts",
  "test/bench/dead-endpoint.bench.ts",
];

const common = {
  root: ROOT,
  testTimeout: 600_000,
  setupFiles: [path.join(ROOT, "test/support/apply-migrations.ts")],
};

/**
 * `npm run bench`: the relay's tick inside workerd with a local D1, against the Kling simulator
 * on loopback. Two groups, one after the other: the sections of SIDE_BY_SIDE, three at a time;
 * then the throughput sections (ratios to a ceiling), one at a time, alone on the cores. Results
 * are printed as tables at the end and written to .tmp/bench-results.md (bench-setup.ts collects
 * what every section reported).
 */
export default defineConfig({
  test: {
    root: ROOT,
    silent: true,
    globalSetup: [path.join(ROOT, "test/harness/bench-setup.ts")],
    projects: [
      {
        // The seed of bench-setup.ts's network, which these sections ran against when they shared it.
        plugins: [relayWorkersPool({}, { network: "per-file", networkSeed: 3 })],
        test: { ...common, name: "bench-side-by-side", include: SIDE_BY_SIDE, maxWorkers: 3, sequence: { groupOrder: 0 } },
      },
      {
        plugins: [relayWorkersPool()],
        test: {
          ...common,
          name: "bench-throughput",
          include: ["test/bench/**/*.bench.ts"],
          // Node's side (vitest.bench-cpu.config.ts): it starts wrangler dev, which workerd cannot.
          exclude: ["test/bench/node/**", ...SIDE_BY_SIDE],
          // One section at a time: each measures throughput, so they must not share the 2 cores.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
