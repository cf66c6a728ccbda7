import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type BenchTable, benchMarkdown } from "../support/bench-table.ts";
import { costTable, type Lifecycle, type WorkKind } from "../support/cost-model.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");

/**
 * Prints a run's tables (in their `order`) and writes them to `.tmp/{name}-results.md`: what the
 * workerd benchmarks' global setup does when they all ran, and the Node-side CPU benchmark too.
 */
export function writeBenchResults(name: string, heading: string, tables: BenchTable[]): void {
  const sorted = [...tables].sort((a, b) => a.order - b.order);
  const text = [
    `${heading} run ${new Date().toISOString()} (node ${process.version}, ${process.arch})`,
    "",
    ...sorted.map(benchMarkdown),
  ].join("\n\n");
  process.stdout.write(`\n${text}\n`);
  mkdirSync(path.join(ROOT, ".tmp"), { recursive: true });
  writeFileSync(path.join(ROOT, `.tmp/${name}-results.md`), `${text}\n`);
}

const CPU_PER_OP = path.join(ROOT, ".tmp/cpu-per-op.json");

/** The CPU benchmark's ms per unit of work, for the cost model that `npm run bench` prints after it. */
export function writeCpuPerOp(cpuMsPer: Record<WorkKind, number>): void {
  mkdirSync(path.dirname(CPU_PER_OP), { recursive: true });
  writeFileSync(CPU_PER_OP, `${JSON.stringify(cpuMsPer, null, 2)}\n`);
}

/** How recent the CPU figures must be to price this run: `npm run bench` measures them just before. */
const CPU_FIGURES_FRESH_MS = 60 * 60_000;

/**
 * What the benchmarks reported, tables and lifecycle runs apart; with lifecycle runs, the cost
 * table they make priced (with the CPU figures of the CPU benchmark, if it ran within the hour).
 */
export function withCostTable(reported: readonly (BenchTable | Lifecycle)[]): BenchTable[] {
  const tables = reported.filter((r): r is BenchTable => !("kind" in r && r.kind === "lifecycle"));
  const lifecycles = reported.filter((r): r is Lifecycle => "kind" in r && r.kind === "lifecycle");
  if (lifecycles.length === 0) return tables;
  const fresh = existsSync(CPU_PER_OP) && Date.now() - statSync(CPU_PER_OP).mtimeMs < CPU_FIGURES_FRESH_MS;
  const cpu = fresh ? (JSON.parse(readFileSync(CPU_PER_OP, "utf8")) as Record<WorkKind, number>) : null;
  return [...tables, costTable(lifecycles, cpu, 14)];
}
