/**
 * Runs the real `wrangler dev` (workerd, a local D1) as a child process, for the demo, the
 * end-to-end tests and the benchmarks. Vars and secrets go through an env file, so wrangler
 * prints them as "(hidden)"; the process group is ended on stop, so no workerd is left behind.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");
const WRANGLER = path.join(ROOT, "node_modules/.bin/wrangler");
const QUIET_ENV = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", FORCE_COLOR: "0" };

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

function run(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(WRANGLER, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(output) : reject(new Error(`wrangler ${args[0]} exited ${code}: ${output.slice(-2000)}`))));
  });
}

export interface WranglerDev {
  url: string;
  /** Everything wrangler and the Worker printed so far (the Worker's console lines included). */
  output(): string;
  /** Fires the scheduled handler once, as the cron would, and waits for it to finish. */
  fireScheduled(): Promise<void>;
  stop(): Promise<void>;
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
}

export async function startWranglerDev(options: WranglerDevOptions): Promise<WranglerDev> {
  const ownDir = options.persistTo === undefined;
  const dir = options.persistTo ?? mkdtempSync(path.join(tmpdir(), "kling-relay-dev-"));
  const envFileArgs: string[] = [];
  if (options.vars) {
    const envFile = path.join(dir, "relay.env");
    writeFileSync(envFile, Object.entries(options.vars).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join("\n") + "\n", { mode: 0o600 });
    envFileArgs.push("--env-file", envFile);
  }
  await run(["d1", "migrations", "apply", "DB", "--local", "--persist-to", dir], QUIET_ENV);

  const [port, inspectorPort] = [options.port ?? (await freePort()), await freePort()];
  const child: ChildProcess = spawn(
    WRANGLER,
    ["dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspectorPort), "--persist-to", dir, ...envFileArgs, "--test-scheduled", "--show-interactive-dev-session=false", "--log-level", "log"],
    { cwd: ROOT, env: QUIET_ENV, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  let output = "";
  let pending = "";
  const onData = (chunk: Buffer) => {
    output += chunk;
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) options.onLine?.(line);
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const stop = async () => {
    if (child.exitCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // already gone
      }
      const timer = setTimeout(() => child.pid !== undefined && tryKill(-child.pid), 5_000);
      await exited;
      clearTimeout(timer);
    }
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early: ${output.slice(-2000)}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev not ready in time: ${output.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    url,
    output: () => output,
    async fireScheduled() {
      const res = await fetch(`${url}/__scheduled?cron=${encodeURIComponent("* * * * *")}`);
      await res.text();
      if (!res.ok) throw new Error(`scheduled handler failed: ${res.status}`);
    },
    stop,
  };
}

function tryKill(pid: number) {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}
