import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startLoopbackNetwork } from "../../tools/loopback-network.ts";
import type { BenchTable } from "../support/bench-table.ts";
import { copyScalarAssets, UPSTREAM_KEY } from "./global-setup.ts";
import { createMemoryProbe } from "./process-memory.ts";
import { ROOT } from "./workers-pool.ts";

const markdown = (t: BenchTable) =>
  [
    `### ${t.title}`,
    "",
    `| ${t.columns.join(" | ")} |`,
    `|${t.columns.map(() => "---").join("|")}|`,
    ...t.rows.map((r) => `| ${r.join(" | ")} |`),
    ...(t.notes?.length ? ["", ...t.notes] : []),
  ].join("\n");

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
    const tables = (network.benchResults as BenchTable[]).sort((a, b) => a.order - b.order);
    const text = [
      `${process.env.RESULTS_NAME === "chaos" ? "Chaos" : "Benchmark"} run ${new Date().toISOString()} (node ${process.version}, ${process.arch})`,
      "",
      ...tables.map(markdown),
    ].join("\n\n");
    process.stdout.write(`\n${text}\n`);
    mkdirSync(path.join(ROOT, ".tmp"), { recursive: true });
    writeFileSync(path.join(ROOT, `.tmp/${process.env.RESULTS_NAME ?? "bench"}-results.md`), `${text}\n`);
    memory.close();
    await network.close();
  };
}
