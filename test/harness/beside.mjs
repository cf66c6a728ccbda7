#!/usr/bin/env node
/**
 * `node test/harness/beside.mjs BESIDE... -- SCRIPT...`: runs the npm scripts BESIDE... in the
 * background, all at once, while the npm scripts SCRIPT... run one after the other in the
 * foreground (as `&&` would: the first failure stops the rest), then waits for the background
 * ones. Exits non-zero when any of them failed.
 *
 * `npm test` runs test:workers in the foreground with its static checks (`npm run checks`: tsc,
 * Biome, the import rules, the bundle) and the one-minute soak (test:soak) beside it: the workers'
 * files leave about half a core idle waiting on their workerds, the checks fit in it, and the soak
 * spends its three minutes waiting on the real clock (about a fifth of a core on average). Then
 * test:e2e and test:browser. Each BESIDE's output goes to .tmp/BESIDE.log as it comes and is
 * printed in full when it ends (not interleaved with the foreground's). Ctrl-C or SIGTERM stops
 * them all.
 */
import { spawn } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");
const args = process.argv.slice(2);
const dashes = args.indexOf("--");
if (dashes < 1 || dashes === args.length - 1) {
  console.error("usage: node test/harness/beside.mjs BESIDE... -- SCRIPT...");
  process.exit(2);
}
const besides = args.slice(0, dashes);
const scripts = args.slice(dashes + 1);
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

mkdirSync(path.join(ROOT, ".tmp"), { recursive: true });
const started = Date.now();
const seconds = () => `${Math.round((Date.now() - started) / 1000)} s`;

/** One background script: its own process group, so that stopping it stops what it started (vitest, wrangler dev, workerd). */
function startBeside(beside) {
  const logPath = path.join(ROOT, ".tmp", `${beside.replace(/[^a-z0-9-]/gi, "-")}.log`);
  const log = createWriteStream(logPath);
  console.log(`> npm run ${beside} (beside ${scripts.join(", ")}; output in ${path.relative(ROOT, logPath)}, shown when it ends)`);
  const child = spawn(npm, ["run", beside], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  const done = new Promise((resolve) => {
    child.once("error", (error) => {
      log.write(`${error.stack ?? error}\n`);
      resolve(1);
    });
    child.once("close", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  }).then(async (code) => {
    await new Promise((resolve) => log.end(resolve));
    return { code, endedAfter: seconds() };
  });
  return { beside, child, logPath, done };
}

const background = besides.map(startBeside);

let foreground;
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    stopping = true;
    for (const { child } of background) {
      try {
        process.kill(-child.pid, signal);
      } catch {
        // already ended
      }
    }
    foreground?.kill(signal);
  });
}

let foregroundCode = 0;
for (const script of scripts) {
  if (stopping) break;
  foreground = spawn(npm, ["run", script], { cwd: ROOT, stdio: "inherit" });
  foregroundCode = await new Promise((resolve) => {
    foreground.once("error", () => resolve(1));
    foreground.once("close", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
  foreground = undefined;
  if (foregroundCode !== 0) break;
}

let backgroundCode = 0;
for (const { beside, logPath, done } of background) {
  if (!stopping) console.log(`\n[${seconds()}] waiting for npm run ${beside}...`);
  const { code, endedAfter } = await done;
  console.log(`\n> npm run ${beside} (ran beside ${scripts.join(", ")}; ended after ${endedAfter}, exit code ${code})\n`);
  process.stdout.write(readFileSync(logPath, "utf8"));
  if (backgroundCode === 0) backgroundCode = code;
}
process.exitCode = foregroundCode !== 0 ? foregroundCode : backgroundCode;
