/**
 * `npm start` (tools/demo.ts) ends cleanly on every way out tested here: Ctrl-C while the
 * relay starts, a SIGTERM sent to npm, its deadline, and a wrangler dev that stops answering. Each
 * test runs the demo as `npm start` does (tsx; one through npm itself), in a process group of its
 * own as a terminal would, then checks that it exited in time with a clear message, that its state
 * folder (the demo's keys, the local D1) is gone and that no process of the wrangler groups it
 * started survives.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const TSX = path.join(ROOT, "node_modules/.bin/tsx");
/** Cleanup stops wrangler dev (SIGTERM, SIGKILL after 5 s): the exit may come that much later. */
const CLEANUP_MARGIN_MS = 12_000;

interface DemoRun {
  pid: number;
  tmp: string;
  output(): string;
  exit: Promise<{ code: number | null; at: number }>;
}

const runs: DemoRun[] = [];

/** The demo as its script runs it (tsx), or through npm itself (`npm start`, whose script execs tsx). */
function startDemo(env: Record<string, string> = {}, via: "tsx" | "npm start" = "tsx"): DemoRun {
  // A TMPDIR of the test's own: what the demo leaves in it shows.
  const tmp = mkdtempSync(path.join(tmpdir(), "demo-exits-"));
  const [command, args] = via === "tsx" ? [TSX, ["tools/demo.ts"]] : ["npm", ["start"]];
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, TMPDIR: tmp, ...env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const run: DemoRun = {
    pid: child.pid!,
    tmp,
    output: () => output,
    // When it exited, and then what it wrote: `exit` can come before the last bytes of its pipes
    // are read ("cleaned up" was missing once), `close` once they are (bounded: a grandchild that
    // kept the pipes open must not hang the test; expectAllGone checks those).
    exit: new Promise((resolve) =>
      child.once("exit", (code) => {
        const at = Date.now();
        const done = () => resolve({ code, at });
        const bound = setTimeout(done, 5_000);
        child.once("close", () => {
          clearTimeout(bound);
          done();
        });
      }),
    ),
  };
  runs.push(run);
  return run;
}

afterEach(async () => {
  // A failed test must not leave its demo running, nor the wrangler groups of a demo killed
  // before its own cleanup (their arguments name the state folder under the run's TMPDIR).
  for (const run of runs.splice(0)) {
    const groups = new Set([
      run.pid,
      ...processes()
        .filter((p) => p.args.includes(run.tmp) && p.args.includes("wrangler"))
        .map((p) => p.pgid),
    ]);
    for (const group of groups) {
      try {
        process.kill(-group, "SIGKILL");
      } catch {
        // ended
      }
    }
    rmSync(run.tmp, { recursive: true, force: true });
  }
});

async function until<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not seen within ${timeoutMs / 1000} s: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function processes(): { pid: number; pgid: number; args: string }[] {
  return execFileSync("ps", ["-eo", "pid=,pgid=,args="], { encoding: "utf8" })
    .split("\n")
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((m) => m !== null)
    .map((m) => ({ pid: Number(m[1]), pgid: Number(m[2]), args: m[3]! }));
}

/** The demo's state folder, from its "state in ..." line. */
const stateDirOf = (run: DemoRun) => /state in (\S+), deleted on exit/.exec(run.output())?.[1];

/** The process groups of the wrangler commands working on that folder (workerd runs in them too). */
const wranglerGroups = (stateDir: string) => [
  ...new Set(
    processes()
      .filter((p) => p.args.includes(stateDir) && p.args.includes("wrangler"))
      .map((p) => p.pgid),
  ),
];

/** Waits until the demo named its state folder and wrangler dev runs on it: the folder and dev's process group. */
async function relayStarting(run: DemoRun, timeoutMs = 30_000): Promise<{ stateDir: string; devGroup: number }> {
  const stateDir = await until("the state folder line", () => stateDirOf(run), 30_000);
  let exited = false;
  void run.exit.then(() => (exited = true));
  const devGroup = await until(
    "wrangler dev on the state folder",
    () => {
      // A demo that ended first (its deadline, under load) can never show it: say so at once.
      if (exited) throw new Error(`the demo exited before wrangler dev started:\n${run.output()}`);
      return processes().find((p) => p.args.includes(stateDir) && / dev /.test(p.args))?.pgid;
    },
    timeoutMs,
  );
  return { stateDir, devGroup };
}

async function expectAllGone(run: DemoRun, stateDir: string, groups: number[]) {
  expect(existsSync(stateDir)).toBe(false);
  // Zombies whose parent just exited may linger for a moment until they are reaped.
  await until(
    "the wrangler process groups to end",
    () => (processes().some((p) => groups.includes(p.pgid) && !p.args.includes("<defunct>")) ? undefined : true),
    5_000,
  );
  // Nothing of the relay's in its TMPDIR (tsx and wrangler keep caches there: tsx-0, update-check).
  expect(readdirSync(run.tmp).filter((name) => name.startsWith("kling-relay"))).toEqual([]);
}

describe("npm start's ways out", () => {
  it("Ctrl-C while the relay starts stops wrangler dev, deletes the state folder and says so calmly", async () => {
    const run = startDemo();
    // wrangler dev runs in a process group of its own, which a terminal's Ctrl-C does not reach:
    // it outlived the demo, and so did the folder, when Ctrl-C came while the relay started.
    const { stateDir, devGroup } = await relayStarting(run);
    const groups = [...new Set([devGroup, ...wranglerGroups(stateDir)])];
    const sentAt = Date.now();
    process.kill(-run.pid, "SIGINT");
    const exit = await run.exit;
    expect(exit.code).toBe(130);
    expect(exit.at - sentAt).toBeLessThan(CLEANUP_MARGIN_MS);
    expect(run.output()).toContain("demo interrupted; cleaned up");
    expect(run.output()).not.toContain("demo failed");
    await expectAllGone(run, stateDir, groups);
  }, 60_000);

  it("a SIGTERM to `npm start`'s npm process reaches the demo, which stops wrangler dev and cleans up", async () => {
    const run = startDemo({}, "npm start");
    const { stateDir, devGroup } = await relayStarting(run);
    const groups = [...new Set([devGroup, ...wranglerGroups(stateDir)])];
    const sentAt = Date.now();
    // npm alone, not its process group: the script's `exec` leaves no shell between npm and tsx
    // to swallow the signal npm forwards.
    process.kill(run.pid, "SIGTERM");
    const exit = await run.exit;
    expect(exit.at - sentAt).toBeLessThan(CLEANUP_MARGIN_MS);
    expect(run.output()).toContain("demo terminated; cleaned up");
    // npm's own group holds tsx and the demo's node: nothing of it may outlive npm.
    await expectAllGone(run, stateDir, [...groups, run.pid]);
  }, 60_000);

  it("exits non-zero at its deadline, naming what it was waiting for, and cleans up", async () => {
    const startedAt = Date.now();
    const run = startDemo({ DEMO_TIMEOUT_SECONDS: "3" });
    const stateDir = await until("the state folder line", () => stateDirOf(run), 30_000);
    // Note the wrangler groups while it runs, to check them afterwards.
    let groups: number[] = [];
    let exited = false;
    void run.exit.then(() => (exited = true));
    while (!exited) {
      groups = [...new Set([...groups, ...wranglerGroups(stateDir)])];
      await new Promise((r) => setTimeout(r, 100));
    }
    const exit = await run.exit;
    expect(exit.code).toBe(1);
    expect(exit.at - startedAt).toBeLessThan(3_000 + CLEANUP_MARGIN_MS);
    expect(run.output()).toMatch(/demo timed out after 3 s: the relay to start under wrangler dev/);
    await expectAllGone(run, stateDir, groups);
  }, 60_000);

  it("still meets its deadline when wrangler dev stops answering, and ends the stopped wrangler", async () => {
    const startedAt = Date.now();
    // Requests that wait as long as the whole run: only the deadline can end this one.
    // 30 s: the migrations before wrangler dev took over 20 s once, on 2 cores beside the soak.
    const run = startDemo({ DEMO_TIMEOUT_SECONDS: "30", DEMO_REQUEST_TIMEOUT_SECONDS: "120" });
    const { stateDir, devGroup } = await relayStarting(run, 30_000);
    // Frozen: it accepts connections (the kernel does) and answers nothing.
    process.kill(-devGroup, "SIGSTOP");
    const exit = await run.exit;
    expect(exit.code).toBe(1);
    expect(exit.at - startedAt).toBeLessThan(30_000 + CLEANUP_MARGIN_MS);
    // Frozen before it was ready, as a rule; should it have been ready first, a request hangs.
    expect(run.output()).toMatch(
      /demo timed out after 30 s: (the relay to start under wrangler dev|the relay to create|the relay to register)/,
    );
    await expectAllGone(run, stateDir, [devGroup]);
  }, 75_000);
});
