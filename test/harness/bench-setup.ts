import type { TestProject } from "vitest/node";
import { startLoopbackNetwork } from "../../tools/loopback-network.ts";
import type { BenchTable } from "../support/bench-table.ts";
import type { Lifecycle } from "../support/cost-model.ts";
import { withCostTable, writeBenchResults } from "./bench-results.ts";
import { copyScalarAssets, UPSTREAM_KEY } from "./global-setup.ts";
import { createMemoryProbe } from "./process-memory.ts";

/**
 * Starts the loopback network for the benchmarks and prints what they reported when all ran. It
 * also serves `/_bench/memory/{start|stop}`: the resident memory of the workerd asking
 * (process-memory.ts), which a benchmark cannot read from inside.
 */
export default async function setup(project: TestProject) {
  copyScalarAssets();
  let mediaServed = () => 0;
  const memory = createMemoryProbe(() => mediaServed());
  const network = await startLoopbackNetwork({
    apiKey: UPSTREAM_KEY,
    seed: 3,
    extraRoutes: async (req, res, parts) => {
      if (parts[0] !== "_bench" || parts[1] !== "memory" || req.method !== "POST") return false;
      await memory.serve(req, res, parts[2] ?? "");
      return true;
    },
  });
  mediaServed = () => network.simulator.media.stats().bytesServed;
  project.provide("fakeUrl", network.url);
  return async () => {
    const chaos = process.env.RESULTS_NAME === "chaos";
    writeBenchResults(
      process.env.RESULTS_NAME ?? "bench",
      chaos ? "Chaos" : "Benchmark",
      withCostTable(network.benchResults as (BenchTable | Lifecycle)[]),
    );
    memory.close();
    await network.close();
  };
}
