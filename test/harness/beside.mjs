#!/usr/bin/env node
/**
 * `node test/harness/beside.mjs BESIDE -- SCRIPT...`: runs the npm script BESIDE in the background
 * while the npm scripts SCRIPT... run one after the other in the foreground (as `&&` would: the
 * first failure stops the rest), then waits for BESIDE. Exits non-zero when any of them failed.
 *
 * `npm test` runs its static checks (`npm run checks`: tsc, Biome, the import rules, the bundle)
 * beside test:workers, whose files leave about half a core idle waiting on their workerds; and
 * the one-minute soak (test:soak) beside test:e2e and test:browser: the soak
 * spends its two minutes waiting on the real clock (about a fifth of a core on average), so they
 * fit beside it, and its figures (tick durations, drain, delays) stay those of a soak run alone.
 * `npm test` runs the interpreters' and Chromium's installer (ensure-toolchains.ts) before, so that
 * no apt-get runs beside the soak on a fresh machine. BESIDE's output goes to .tmp/BESIDE.log as it
 * comes and is printed in full when it ends (not interleaved with the foreground's). Ctrl-C or
 * SIGTERM stops both.
 */
import { spawn } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");
const args = process.argv.slice(2);
const dashes = args.indexOf("--");
if (dashes !== 1 || args.length < 3) {
  console.error("usage: node test/harness/beside.mjs BESIDE -- SCRIPT...");
  process.exit(2);
}
const beside = args[0];
const scripts = args.slice(2);
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

mkdirSync(path.join(ROOT, ".tmp"), { recursive: true });
const logPath = path.join(ROOT, ".tmp", `${beside.replace(/[^a-z0-9-]/gi, "-")}.log`);
const log = createWriteStream(logPath);
const started = Date.now();
const seconds = () => `${Math.round((Date.now() - started) / 1000)} s`;

console.log(`> npm run ${beside} (beside ${scripts.join(", ")}; output in ${path.relative(ROOT, logPath)}, shown when it ends)`);
// Its own process group, so that stopping it stops what it started (vitest, wrangler dev, workerd).
const background = spawn(npm, ["run", beside], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] });
background.stdout.pipe(log, { end: false });
background.stderr.pipe(log, { end: false });
const backgroundDone = new Promise((resolve) => {
  background.once("error", (error) => {
    log.write(`${error.stack ?? error}\n`);
    resolve(1);
  });
  background.once("close", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
});

let foreground;
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    stopping = true;
    try {
      process.kill(-background.pid, signal);
    } catch {
      // already ended
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

if (!stopping) console.log(`\n[${seconds()}] waiting for npm run ${beside}...`);
const backgroundCode = await backgroundDone;
await new Promise((resolve) => log.end(resolve));
console.log(`\n> npm run ${beside} (ran beside ${scripts.join(", ")}; ended after ${seconds()}, exit code ${backgroundCode})\n`);
process.stdout.write(readFileSync(logPath, "utf8"));
process.exitCode = foregroundCode !== 0 ? foregroundCode : backgroundCode;
