import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type BenchTable, benchMarkdown } from "../support/bench-table.ts";

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
