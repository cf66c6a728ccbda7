/**
 * Runs the real `wrangler dev` (workerd, a local D1) as a child process, for the demo, the
 * end-to-end tests and the benchmarks. Vars and secrets go through an env file, so wrangler
 * prints them as "(hidden)". Each wrangler runs in its own process group, which stop() ends
 * (SIGTERM, then SIGKILL after 5 s), crash() kills at once (SIGKILL, the state kept for a restart)
 * and which is killed anyway when this process exits, so no workerd is left behind; a state
 * folder of our own is deleted on stop and on exit too.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fetchText } from "./http-helpers";

const ROOT = path.resolve(import.meta.dirname, "..");
const WRANGLER = path.join(ROOT, "node_modules/.bin/wrangler");
const QUIET_ENV = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", FORCE_COLOR: "0" };
/** What a snapshot copies: what wrangler needs to build and migrate the Worker (the build command's script too). */
const SNAPSHOT = ["src", "packages/client/src", "migrations", "wrangler.toml", "tsconfig.json", "package.json", "tools/scalar-assets.mjs"];
const STOP_GRACE_MS = 5_000;
/**
 * Local D1s with every migration applied, kept for the next start (see `migrateLocalD1`), one
 * folder per `migratedD1Key`.
 */
const MIGRATED_D1S = path.join(ROOT, ".tmp/migrated-d1");

/** Process groups started here and still running, and folders to delete: the exit handler's list. */
const liveGroups = new Set<ChildProcess>();
const leftoverDirs = new Set<string>();
process.once("exit", () => {
  for (const child of liveGroups) signalGroup(child, "SIGKILL");
  for (const dir of leftoverDirs) rmSync(dir, { recursive: true, force: true });
});

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** How many times a server is started when a port found free for it is taken first. */
export const PORT_ATTEMPTS = 3;

/**
 * Runs `start` on `fixed`, or on a port found free just before; when `start` says the port was
 * taken before it listened ("port_in_use"), on another, up to PORT_ATTEMPTS times in all. A port
 * found free may be taken in the seconds before the server binds it, by any process's outgoing
 * connection on loopback (tests beside make thousands); a port the caller chose is not changed.
 */
export async function onFreePort<T>(fixed: number | undefined, start: (port: number) => Promise<T | "port_in_use">): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const port = fixed ?? (await freePort());
    const started = await start(port);
    if (started !== "port_in_use") return started;
    if (fixed !== undefined) throw new Error(`port ${port} is in use`);
    if (attempt >= PORT_ATTEMPTS) throw new Error(`each of ${PORT_ATTEMPTS} ports found free was taken before the server listened`);
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals) {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

interface Group {
  child: ChildProcess;
  /** Resolves with the exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  done: boolean;
}

/** Starts wrangler in a process group of its own (so that stop() can end its workerd too). */
function startGroup(args: string[], cwd: string, onData: (chunk: Buffer) => void): Group {
  const child = spawn(WRANGLER, args, { cwd, env: QUIET_ENV, stdio: ["ignore", "pipe", "pipe"], detached: true });
  liveGroups.add(child);
  const group: Group = {
    child,
    done: false,
    exited: new Promise((resolve) => {
      child.once("error", () => resolve(null));
      child.once("exit", (code) => {
        group.done = true;
        liveGroups.delete(child);
        // Whatever wrangler left running in its group (a workerd) goes with it.
        signalGroup(child, "SIGKILL");
        resolve(code);
      });
    }),
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  return group;
}

/** True while any process of the group is alive (wrangler's workerd may outlive wrangler a moment). */
function groupAlive(child: ChildProcess): boolean {
  if (child.pid === undefined) return false;
  try {
    process.kill(-child.pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM (and SIGCONT, should the group be stopped), SIGKILL after a grace period; waits for the exit. */
async function endGroup(group: Group) {
  if (group.done) return;
  signalGroup(group.child, "SIGTERM");
  signalGroup(group.child, "SIGCONT");
  const timer = setTimeout(() => signalGroup(group.child, "SIGKILL"), STOP_GRACE_MS);
  await group.exited;
  clearTimeout(timer);
}

export interface WranglerDev {
  url: string;
  /** wrangler's inspector (Chrome DevTools Protocol) of the Worker's isolate: `/json` lists its WebSocket. */
  inspectorUrl: string;
  /** The state folder: the local D1, the env file with the vars and secrets, the snapshot. */
  dir: string;
  /** Everything wrangler and the Worker printed so far (the Worker's console lines included). */
  output(): string;
  /**
   * Fires the scheduled handler once, as the cron would, and waits for it to finish: at most
   * `timeoutMs` (default: the options' tickTimeoutMs).
   */
  fireScheduled(options?: { timeoutMs?: number }): Promise<void>;
  /** Ends wrangler dev's process group and deletes a state folder of our own. Idempotent. */
  stop(): Promise<void>;
  /**
   * SIGKILL to the whole process group at once (wrangler and its workerd), as a machine that loses
   * power: no handler runs, requests in flight are cut. Resolves once no process of the group is
   * left (within `timeoutMs`, default 10 s). The state folder stays, for another wrangler dev on the
   * same `persistTo`; a state folder of our own is deleted as stop() would.
   */
  crash(options?: { timeoutMs?: number }): Promise<void>;
}

export interface WranglerDevOptions {
  /** Vars and secrets, written to an env file; without them wrangler reads `.dev.vars`. */
  vars?: Record<string, string>;
  /** Default: a free port. */
  port?: number;
  /** Keep state here (default: a fresh temp dir, deleted on stop). */
  persistTo?: string;
  onLine?: (line: string) => void;
  readyTimeoutMs?: number;
  /**
   * Run a copy of the Worker's sources taken at start (in the state folder), not the working
   * tree: wrangler dev rebuilds on every saved change and holds requests while it reloads,
   * forever if the new code does not build; a snapshot is not edited while it runs.
   */
  snapshot?: boolean;
  /** Aborting it stops wrangler dev, during startup (which then rejects) or later. */
  signal?: AbortSignal;
  /**
   * A named environment of wrangler.toml (`queues`: the tick hands work to Queues, whose consumers
   * miniflare runs locally), for the migrations and for `wrangler dev` alike. Default: the top level.
   */
  env?: string;
  /**
   * R2 buckets to bind (binding name to bucket name), e.g. `{ ARCHIVE: "kling-webhook-relay-archive" }`:
   * wrangler.toml binds none by default (archiving is optional), so they are added to the
   * snapshot's copy (`snapshot` is required). wrangler dev keeps them locally, in the state folder.
   */
  r2Buckets?: Record<string, string>;
  /**
   * Time limit of a `/__scheduled` request. Default: what a tick may take with these vars (its
   * wall-time budget, plus an upstream and a delivery timeout it may be waiting on when the
   * budget runs out, plus 10 s), with src/config.ts's defaults for those not set.
   */
  tickTimeoutMs?: number;
}

/** The default time limit of one fired tick, from the vars the relay runs with. */
export function tickTimeoutFor(vars: Record<string, string> = {}): number {
  const seconds = (name: string, fallback: number) => {
    const value = Number(vars[name]);
    return Number.isFinite(value) && value > 0 ? value : fallback;
  };
  return (
    (seconds("TICK_WALL_BUDGET_SECONDS", 58) + seconds("UPSTREAM_TIMEOUT_SECONDS", 15) + seconds("DELIVERY_TIMEOUT_SECONDS", 15) + 10) *
    1000
  );
}

/**
 * Appends an `[[r2_buckets]]` table per binding to a copy of wrangler.toml (a header names its
 * table from the top, so the end of the file is as good as anywhere). A binding the file's own
 * top-level `[[r2_buckets]]` already makes is left as it is.
 */
function bindR2Buckets(configPath: string, buckets: Record<string, string>) {
  const uncommented = readFileSync(configPath, "utf8").replace(/#.*$/gm, "");
  for (const [binding, bucketName] of Object.entries(buckets)) {
    if (new RegExp(`^\\s*\\[\\[r2_buckets\\]\\][^[]*^\\s*binding\\s*=\\s*"${binding}"`, "m").test(uncommented)) continue;
    appendFileSync(configPath, `\n[[r2_buckets]]\nbinding = ${JSON.stringify(binding)}\nbucket_name = ${JSON.stringify(bucketName)}\n`);
  }
}

/** The settings a 503 `misconfigured` answer names, each with what it must be; null for any other answer. */
function misconfiguration(body: string): string | null {
  try {
    const { error } = JSON.parse(body) as { error?: { code?: string; message?: string; details?: { field: string; message: string }[] } };
    if (error?.code !== "misconfigured") return null;
    return [error.message, ...(error.details ?? []).map((d) => `  - ${d.message}`)].join("\n");
  } catch {
    return null;
  }
}

/**
 * What a migrated local D1 depends on: the migrations, wrangler.toml (the database's id names its
 * file), the `--env` and wrangler's version (miniflare's layout of the state folder).
 */
function migratedD1Key(env: string | undefined): string {
  const hash = createHash("sha256");
  const migrations = path.join(ROOT, "migrations");
  const files = readdirSync(migrations).filter((name) => name.endsWith(".sql"));
  for (const name of files.sort()) hash.update(`${name}\0${readFileSync(path.join(migrations, name), "utf8")}\0`);
  const wrangler = JSON.parse(readFileSync(path.join(ROOT, "node_modules/wrangler/package.json"), "utf8")).version;
  hash.update(`${readFileSync(path.join(ROOT, "wrangler.toml"), "utf8")}\0${env ?? ""}\0${wrangler}`);
  return hash.digest("hex").slice(0, 16);
}

/**
 * Gives the state folder `dir` a local D1 with every migration applied (`apply` runs wrangler's
 * own `d1 migrations apply` on a state folder). That command starts a fresh miniflare for each
 * migration, about a second each: 15-20 s for the nineteen, most of a start (wrangler dev itself
 * is up in about 3 s), and the end-to-end tests, the soak and the demo start a relay a dozen times
 * a run. So a fresh folder gets a copy of a D1 the same command migrated once into `migrated`
 * (.tmp/migrated-d1/<key>: built in a folder beside it, then renamed into place, so that two
 * processes starting at once never copy half of one). A folder that already has a D1 (a restart
 * on the same state, `npm run dev`'s) is migrated as before, applying only what it lacks.
 */
export async function migrateLocalD1(dir: string, migrated: string, apply: (persistTo: string) => Promise<void>) {
  const d1 = (root: string) => path.join(root, "v3/d1");
  if (existsSync(d1(dir))) return apply(dir);
  if (!existsSync(d1(migrated))) {
    mkdirSync(path.dirname(migrated), { recursive: true });
    const building = mkdtempSync(`${migrated}.building-`);
    leftoverDirs.add(building);
    try {
      await apply(building);
      try {
        renameSync(building, migrated);
      } catch (error) {
        // Another process put its own in place meanwhile: either is the same.
        if (!existsSync(d1(migrated))) throw error;
      }
    } finally {
      rmSync(building, { recursive: true, force: true });
      leftoverDirs.delete(building);
    }
  }
  cpSync(d1(migrated), d1(dir), { recursive: true });
}

export async function startWranglerDev(options: WranglerDevOptions): Promise<WranglerDev> {
  options.signal?.throwIfAborted();
  const ownDir = options.persistTo === undefined;
  const dir = options.persistTo ?? mkdtempSync(path.join(tmpdir(), "kling-relay-dev-"));
  const snapshotDir = path.join(dir, "worker-snapshot");
  const removable = ownDir ? dir : options.snapshot ? snapshotDir : undefined;
  if (removable) leftoverDirs.add(removable);

  let output = "";
  let pending = "";
  const onData = (chunk: Buffer) => {
    output += chunk;
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) options.onLine?.(line);
  };
  let current: Group | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      options.signal?.removeEventListener("abort", onAbort);
      if (current) await endGroup(current);
      if (removable) {
        rmSync(removable, { recursive: true, force: true });
        leftoverDirs.delete(removable);
      }
    })());
  const onAbort = () => void stop();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const checkAborted = () => {
    options.signal?.throwIfAborted();
    if (stopping) throw new Error("wrangler dev was stopped while starting");
  };

  let url = "";
  let inspectorPort = 0;
  /** Waits until the dev server answers /healthz ("ready"), or exits ("exited"); throws when it cannot run or is late. */
  const untilReady = async (dev: Group, timeoutMs: number): Promise<"ready" | "exited"> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      checkAborted();
      if (dev.done) return "exited";
      let health: Awaited<ReturnType<typeof fetchText>> | undefined;
      try {
        health = await fetchText(`${url}/healthz`, { timeoutMs: 5_000, signal: options.signal });
      } catch {
        // not listening yet, or not answering yet
      }
      if (health?.res.ok) return "ready";
      // Up, but it cannot run with these vars: waiting will not change them; its answer says what is wrong.
      const misconfigured = health?.res.status === 503 ? misconfiguration(health.text) : null;
      if (misconfigured) throw new Error(misconfigured);
      if (Date.now() > deadline) throw new Error(`wrangler dev not ready in time: ${output.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  try {
    let cwd = ROOT;
    if (options.snapshot) {
      // A wrangler dev killed on this state folder left its snapshot: take a fresh one.
      rmSync(snapshotDir, { recursive: true, force: true });
      mkdirSync(snapshotDir, { recursive: true });
      for (const entry of SNAPSHOT) cpSync(path.join(ROOT, entry), path.join(snapshotDir, entry), { recursive: true });
      if (!options.vars && existsSync(path.join(ROOT, ".dev.vars")))
        cpSync(path.join(ROOT, ".dev.vars"), path.join(snapshotDir, ".dev.vars"));
      symlinkSync(path.join(ROOT, "node_modules"), path.join(snapshotDir, "node_modules"), "dir");
      bindR2Buckets(path.join(snapshotDir, "wrangler.toml"), options.r2Buckets ?? {});
      cwd = snapshotDir;
    } else if (Object.keys(options.r2Buckets ?? {}).length > 0) {
      throw new Error("r2Buckets binds buckets in the snapshot's wrangler.toml: pass snapshot: true too");
    }
    const envFileArgs: string[] = [];
    if (options.vars) {
      const envFile = path.join(dir, "relay.env");
      writeFileSync(
        envFile,
        `${Object.entries(options.vars)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join("\n")}\n`,
        { mode: 0o600 },
      );
      envFileArgs.push("--env-file", envFile);
    }

    const envArgs = options.env ? ["--env", options.env] : [];
    const applyMigrations = async (persistTo: string) => {
      let migrationOutput = "";
      current = startGroup(
        ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo, ...envArgs],
        cwd,
        (d) => (migrationOutput += d),
      );
      const migrated = await current.exited;
      checkAborted();
      if (migrated !== 0) throw new Error(`wrangler d1 migrations apply exited ${migrated}: ${migrationOutput.slice(-2000)}`);
    };
    await migrateLocalD1(dir, path.join(MIGRATED_D1S, migratedD1Key(options.env)), applyMigrations);

    await onFreePort(options.port, async (port) => {
      url = `http://127.0.0.1:${port}`;
      inspectorPort = await freePort();
      checkAborted();
      const from = output.length;
      current = startGroup(
        [
          "dev",
          "--ip",
          "127.0.0.1",
          "--port",
          String(port),
          "--inspector-port",
          String(inspectorPort),
          "--persist-to",
          dir,
          ...envFileArgs,
          ...envArgs,
          "--test-scheduled",
          "--show-interactive-dev-session=false",
          "--log-level",
          "log",
        ],
        cwd,
        onData,
      );
      if ((await untilReady(current, options.readyTimeoutMs ?? 60_000)) === "ready") return "ready";
      // workerd's words when the main port or the inspector's was taken first.
      if (options.port === undefined && output.slice(from).includes("Address already in use")) {
        options.onLine?.("wrangler dev: a port found free was taken before it listened; starting it again on others");
        return "port_in_use";
      }
      throw new Error(`wrangler dev exited early: ${output.slice(-2000)}`);
    });
  } catch (error) {
    await stop();
    throw error;
  }

  const tickTimeoutMs = options.tickTimeoutMs ?? tickTimeoutFor(options.vars);
  return {
    url,
    inspectorUrl: `http://127.0.0.1:${inspectorPort}`,
    dir,
    output: () => output,
    async fireScheduled({ timeoutMs = tickTimeoutMs } = {}) {
      const { res } = await fetchText(`${url}/__scheduled?cron=${encodeURIComponent("* * * * *")}`, {
        timeoutMs,
        signal: options.signal,
        what: "the tick (GET /__scheduled)",
      });
      if (!res.ok) throw new Error(`scheduled handler failed: ${res.status}`);
    },
    stop,
    async crash({ timeoutMs = 10_000 } = {}) {
      const group = current!;
      signalGroup(group.child, "SIGKILL");
      await group.exited;
      const until = Date.now() + timeoutMs;
      while (groupAlive(group.child)) {
        if (Date.now() > until) throw new Error(`wrangler dev's process group ${group.child.pid} outlived SIGKILL by ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
      await stop();
    },
  };
}
