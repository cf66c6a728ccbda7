/**
 * The import rules of src/ (`npm run check:deps`): dependency-cruiser's rules
 * (.dependency-cruiser.cjs), and no two rooms of src/ importing each other, from one run of
 * dependency-cruiser (its JSON: the violations of its rules and the module graph). A room is a folder of src/ (`src/http/`, `src/work/`, ...) or a file at its top
 * (`src/app.ts`, `src/config.ts`, ...). dependency-cruiser's `no-cycles` rule sees modules: two rooms
 * can import each other through modules that form no cycle (a.ts → b/x.ts, b/y.ts → a/z.ts), and
 * then neither room can be read, changed or tested without the other. This reads the module graph
 * dependency-cruiser builds and fails on any pair of rooms with arrows both ways.
 * `import type` counts too: a type names the room it comes from as much as a value does.
 */
import { execFileSync } from "node:child_process";

type Dependency = { resolved: string; dependencyTypes: string[] };
type Module = { source: string; dependencies: Dependency[] };
type Violation = { from: string; to: string; rule: { name: string; severity: string } };
type Rule = { name: string; comment?: string };

const roomOf = (path: string): string | null => {
  const match = /^src\/([^/]+)(\/)?/.exec(path);
  const name = match?.[1];
  if (name === undefined) return null;
  return match?.[2] ? `${name}/` : name;
};

const output = execFileSync("npx", ["depcruise", "src", "--config", ".dependency-cruiser.cjs", "--output-type", "json"], {
  encoding: "utf8",
  maxBuffer: 64 * 1024 * 1024,
});
const { modules, summary } = JSON.parse(output) as {
  modules: Module[];
  summary: { violations: Violation[]; ruleSetUsed: { forbidden?: Rule[] } };
};

const errors = summary.violations.filter((v) => v.rule.severity === "error");
if (errors.length > 0) {
  const why = new Map((summary.ruleSetUsed.forbidden ?? []).map((r) => [r.name, r.comment ?? ""]));
  const lines = errors.map((v) => `  ${v.rule.name}: ${v.from} → ${v.to}\n    ${why.get(v.rule.name)}`);
  console.error(`✘ ${errors.length} import(s) against the rules of .dependency-cruiser.cjs:\n${lines.join("\n")}`);
  process.exit(1);
}
console.log(`✔ no import against the rules of .dependency-cruiser.cjs (${modules.length} modules)`);

/** room → the rooms it imports, each with one module's import as the example. */
const arrows = new Map<string, Map<string, string>>();
for (const module of modules) {
  const from = roomOf(module.source);
  if (from === null) continue;
  for (const dependency of module.dependencies) {
    const to = roomOf(dependency.resolved);
    if (to === null || to === from) continue;
    const targets = arrows.get(from) ?? new Map<string, string>();
    if (!targets.has(to)) targets.set(to, `${module.source} → ${dependency.resolved}`);
    arrows.set(from, targets);
  }
}

const pairs: string[] = [];
for (const [from, targets] of arrows)
  for (const [to, example] of targets) {
    const back = arrows.get(to)?.get(from);
    if (back !== undefined && from < to) pairs.push(`  ${from} ⇄ ${to}\n    ${example}\n    ${back}`);
  }

if (pairs.length > 0) {
  console.error(`✘ rooms of src/ that import each other (each pair with one import either way):\n${pairs.join("\n")}`);
  process.exit(1);
}
console.log(`✔ no two rooms of src/ import each other (${arrows.size} rooms)`);
