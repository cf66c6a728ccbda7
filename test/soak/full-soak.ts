/**
 * `npm run soak`: the relay under the real clock for 10 minutes (2,000 tasks), then until every
 * expected webhook arrived; prints the figures (also written to .tmp/soak-results.md) and exits
 * non-zero if a webhook was lost, a tick ran past its wall budget + one upstream timeout + a
 * margin, or a fired tick never returned. SOAK_MINUTES, SOAK_TASKS, SOAK_TICK_EVERY_SECONDS,
 * SOAK_WALL_SECONDS (default: the relay's, 58), SOAK_BATCH_EVERY_SECONDS, SOAK_TIME_SCALE,
 * SOAK_DRAIN_SECONDS, SOAK_MARGIN_SECONDS, SOAK_DEADLINE_SECONDS, SOAK_SEED, SOAK_D1_FAULT_RATE,
 * SOAK_NEW_API_SHARE, SOAK_QUEUES=1; SOAK_ECHO_RELAY=1 prints wrangler's output. Or as flags, which
 * win over the env (soak-flags.ts): `npm run soak -- --tasks 20000 --minutes 25 --queues`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { capacityProblem, envFromFlags } from "./soak-flags";
import { runSoak, soakOptionsFromEnv } from "./soak-run";

const ROOT = path.resolve(import.meta.dirname, "../..");
const say = (line: string) => process.stdout.write(`${line}\n`);

// Ctrl-C stops the run through its signal: wrangler dev runs in its own process group, which
// runSoak ends on the way out.
const interrupt = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => interrupt.abort());

let options: ReturnType<typeof soakOptionsFromEnv>;
try {
  options = soakOptionsFromEnv({ ...process.env, ...envFromFlags(process.argv.slice(2)) }, say);
  const problem = capacityProblem(options);
  if (problem) throw new Error(problem);
} catch (error) {
  say(error instanceof Error ? error.message : String(error));
  process.exit(2);
}
const { figures, problems, table, figuresLine } = await runSoak({ ...options, signal: interrupt.signal });
const command = `npm run soak${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`;
const text = [
  `Soak run ${new Date().toISOString()} (node ${process.version}, ${process.arch}): ${command}`,
  "",
  table,
  "",
  "Figures line (README):",
  "",
  figuresLine,
].join("\n");
say(`\n${text}\n`);
mkdirSync(path.join(ROOT, ".tmp"), { recursive: true });
writeFileSync(path.join(ROOT, ".tmp/soak-results.md"), `${text}\n`);
if (interrupt.signal.aborted) process.exit(130);
if (problems.length > 0 || figures.lost > 0) {
  say(`SOAK FAILED: ${problems.length} problem(s), ${figures.lost} lost`);
  process.exit(1);
}
say("SOAK PASSED: nothing lost, every tick returned within its limit");
process.exit(0);
