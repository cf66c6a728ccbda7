import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";
import { loadConfig } from "../../src/config";
import type { Env } from "../../src/env";
import { parseSecretsKeys } from "../../src/lib/sealed-secrets";
import { runDeploy } from "../../tools/deploy/run-deploy";

/**
 * `npm run deploy` (tools/deploy.ts) against a stub `wrangler` first on PATH
 * (stub-wrangler.mjs: records every call, keeps an account's state in its folder) and a loopback
 * server standing in for the deployed relay, at the URL the stub's deploy reports. No network.
 */
const ROOT = path.resolve(import.meta.dirname, "../..");
const TSX = path.join(ROOT, "node_modules/.bin/tsx");
const GENERATED = ["RELAY_API_KEYS", "WEBHOOK_SECRETS", "ADMIN_API_KEY", "SECRETS_KEY", "INBOUND_TOKEN", "ARCHIVE_LINK_SECRET"];
const UPSTREAM_KEY = "sk-upstream-key-from-the-environment";

interface Call {
  args: string[];
  stdin?: string;
}

/** A project folder (a copy of wrangler.toml), the stub on PATH, its state, and the stand-in relay. */
async function setUp() {
  const dir = mkdtempSync(path.join(tmpdir(), "deploy-test-"));
  const project = path.join(dir, "project");
  const bin = path.join(dir, "bin");
  const stub = path.join(dir, "stub");
  for (const d of [project, bin, stub]) mkdirSync(d);
  copyFileSync(path.join(ROOT, "wrangler.toml"), path.join(project, "wrangler.toml"));
  writeFileSync(
    path.join(bin, "wrangler"),
    `#!/bin/sh\nexec "${process.execPath}" "${path.join(import.meta.dirname, "stub-wrangler.mjs")}" "$@"\n`,
    { mode: 0o755 },
  );
  const requests: { path: string; authorization?: string }[] = [];
  /** The default Worker's secrets as the stub's account holds them. */
  const secrets = (): Record<string, string> =>
    JSON.parse(readFileSync(path.join(stub, "state.json"), "utf8")).workers["kling-webhook-relay"]?.secrets ?? {};
  const server: Server = createServer((req, res) => {
    requests.push({ path: req.url ?? "", authorization: req.headers.authorization });
    if (req.url === "/healthz") return res.writeHead(200).end('{"ok":true}');
    if (req.url === "/v1/endpoints") {
      const keys = secrets().RELAY_API_KEYS?.split(",") ?? [];
      const ok = keys.some((key) => req.headers.authorization === `Bearer ${key}`);
      return res.writeHead(ok ? 200 : 401).end(ok ? '{"data":[]}' : '{"error":{"code":"unauthorized"}}');
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // Only what the tool needs: none of the caller's secrets or wrangler settings leak in.
  const env = (extra: Record<string, string>): Record<string, string> => ({
    PATH: [bin, path.dirname(process.execPath), process.env.PATH].join(path.delimiter),
    HOME: dir,
    STUB_DIR: stub,
    STUB_URL: url,
    DEPLOY_CHECK_SECONDS: "2",
    ...extra,
  });
  /** runDeploy in this process (loading wrangler's config reader once for every run). */
  const run = async (extra: Record<string, string> = {}, flags = { withQueues: false, withArchive: false }) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runDeploy(flags, { cwd: project, env: env(extra), log: (l) => out.push(l), error: (l) => err.push(l) });
    return { code, stdout: out.join("\n"), stderr: err.join("\n") };
  };
  /** `npm run deploy` itself, as a process. */
  const runCli = (extra: Record<string, string> = {}) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        TSX,
        [path.join(ROOT, "tools/deploy.ts")],
        { cwd: project, env: env(extra) as unknown as NodeJS.ProcessEnv },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
  const calls = (): Call[] =>
    readFileSync(path.join(stub, "calls.jsonl"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Call);
  const toml = () => readFileSync(path.join(project, "wrangler.toml"), "utf8");
  const close = () => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { project, url, run, runCli, calls, toml, secrets, requests, stub, close };
}

type Fixture = Awaited<ReturnType<typeof setUp>>;
const argsOf = (calls: Call[]) => calls.map((c) => c.args.join(" "));

describe("npm run deploy, from nothing and then again", () => {
  let f: Fixture;
  let first: Awaited<ReturnType<Fixture["run"]>>;
  beforeAll(async () => {
    f = await setUp();
    first = await f.run({ COMETAPI_KEY: UPSTREAM_KEY });
  }, 30_000);
  afterAll(() => f.close());

  it("a first run provisions, migrates, deploys, sets every secret through stdin, deploys again with PUBLIC_BASE_URL", () => {
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(argsOf(f.calls())).toEqual([
      "whoami --json",
      "d1 list --json",
      "d1 create kling-webhook-relay",
      "d1 list --json",
      "d1 migrations apply kling-webhook-relay --remote --env=",
      "deploy --env=",
      "secret list --format json --env=queues",
      "secret list --format json --env=",
      "secret bulk --env=",
      "deploy --env=",
    ]);
  });

  it("writes the database id into both environments and PUBLIC_BASE_URL from the deployed URL", () => {
    const config = (env: string) => unstable_readConfig({ config: path.join(f.project, "wrangler.toml"), env }, { hideWarnings: true });
    for (const env of ["", "queues"]) expect(config(env).d1_databases[0]?.database_id).toBe("5e1f0c2a-0000-4000-8000-000000000001");
    expect(config("").vars.PUBLIC_BASE_URL).toBe(f.url);
  });

  it("sets secrets the relay accepts: its own configuration check passes, the sealing key parses", () => {
    const config = unstable_readConfig({ config: path.join(f.project, "wrangler.toml") }, { hideWarnings: true });
    const secrets = f.secrets();
    expect(Object.keys(secrets).sort()).toEqual([...GENERATED, "COMETAPI_KEY"].sort());
    expect(secrets.COMETAPI_KEY).toBe(UPSTREAM_KEY);
    expect(() => loadConfig({ ...config.vars, ...secrets } as unknown as Env)).not.toThrow();
    expect(parseSecretsKeys(secrets.SECRETS_KEY)).not.toBeNull();
    expect(secrets.WEBHOOK_SECRETS).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
  });

  it("no secret value is ever in wrangler's arguments, only in stdin; each made one is printed once, the upstream key not", () => {
    const values = Object.values(f.secrets());
    const args = f.calls().flatMap((c) => c.args);
    for (const value of values) expect(args.some((a) => a.includes(value))).toBe(false);
    expect(f.calls().filter((c) => c.stdin !== undefined)).toHaveLength(1);
    for (const name of GENERATED) expect(first.stdout.split(`${name}=${f.secrets()[name]}`)).toHaveLength(2);
    expect(first.stdout).not.toContain(UPSTREAM_KEY);
  });

  it("checks the live relay: /healthz, then /v1 with the new relay key", () => {
    const key = f.secrets().RELAY_API_KEYS;
    expect(f.requests.map((r) => [r.path, r.authorization])).toEqual([
      ["/healthz", undefined],
      ["/v1/endpoints", `Bearer ${key}`],
    ]);
    expect(first.stdout).toContain(`The relay is live at ${f.url}`);
  });

  it("a second run changes nothing (no create, no secret, one deploy) and still checks the relay", async () => {
    const before = { toml: f.toml(), secrets: f.secrets(), calls: f.calls().length };
    f.requests.length = 0;
    const second = await f.run();
    expect(second.stderr).toBe("");
    expect(second.code).toBe(0);
    expect(argsOf(f.calls().slice(before.calls))).toEqual([
      "whoami --json",
      "d1 list --json",
      "d1 migrations apply kling-webhook-relay --remote --env=",
      "deploy --env=",
      "secret list --format json --env=queues",
      "secret list --format json --env=",
    ]);
    expect(f.toml()).toBe(before.toml);
    expect(f.secrets()).toEqual(before.secrets);
    expect(second.stdout).not.toContain("Keep these");
    // No key at hand now (Cloudflare never shows one again): a request without one must get 401, not 503.
    expect(f.requests.map((r) => [r.path, r.authorization])).toEqual([
      ["/healthz", undefined],
      ["/v1/endpoints", undefined],
    ]);
  }, 30_000);
});

describe("npm run deploy stops with the step that failed", () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await setUp();
  });
  afterAll(() => f.close());

  it("not logged in: npm run deploy says to run wrangler login, calls nothing else, and exits 1", async () => {
    const run = await f.runCli({ STUB_LOGGED_OUT: "1" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('deploy failed at step "login"');
    expect(run.stderr).toContain("npx wrangler login");
    expect(argsOf(f.calls())).toEqual(["whoami --json"]);
  }, 30_000);

  it("a failing deploy: names the step and shows wrangler's error", async () => {
    const run = await f.run({ STUB_FAIL: "deploy" });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('deploy failed at step "deploy"');
    expect(run.stderr).toContain("A request to the Cloudflare API failed.");
    expect(argsOf(f.calls()).at(-1)).toBe("deploy --env=");
  }, 30_000);
});

describe("npm run deploy -- --with-queues --with-archive, after the default Worker", () => {
  let f: Fixture;
  const both = { withQueues: true, withArchive: true };
  beforeAll(async () => {
    f = await setUp();
    expect((await f.run({ COMETAPI_KEY: UPSTREAM_KEY })).code).toBe(0);
  }, 30_000);
  afterAll(() => f.close());

  it("creates the bucket and the three queues, turns the binding on, and will not make secrets the other Worker has", async () => {
    const before = f.calls().length;
    const run = await f.run({}, both);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('deploy failed at step "secrets"');
    expect(run.stderr).toContain("RELAY_API_KEYS, WEBHOOK_SECRETS, ADMIN_API_KEY, SECRETS_KEY, INBOUND_TOKEN, ARCHIVE_LINK_SECRET");
    expect(argsOf(f.calls().slice(before))).toEqual([
      "whoami --json",
      "d1 list --json",
      "r2 bucket list",
      "r2 bucket create kling-webhook-relay-archive",
      "queues list",
      "queues create kling-webhook-relay-polls",
      "queues create kling-webhook-relay-deliveries",
      "queues create kling-webhook-relay-dlq",
      "d1 migrations apply kling-webhook-relay --remote --env=queues",
      "deploy --env=queues",
      "secret list --format json --env=",
      "secret list --format json --env=queues",
    ]);
    const queues = unstable_readConfig({ config: path.join(f.project, "wrangler.toml"), env: "queues" }, { hideWarnings: true });
    expect(queues.r2_buckets).toEqual([expect.objectContaining({ binding: "ARCHIVE", bucket_name: "kling-webhook-relay-archive" })]);
    expect(queues.vars.PUBLIC_BASE_URL).toBe(f.url);
  }, 30_000);

  it("given the kept values, sets them on the queues Worker, creates nothing again, and checks /v1 with the key", async () => {
    const kept = f.secrets();
    const before = f.calls().length;
    f.requests.length = 0;
    const run = await f.run(kept, both);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const calls = f.calls().slice(before);
    expect(argsOf(calls).filter((a) => a.includes("create"))).toEqual([]);
    const bulk = calls.find((c) => c.args[1] === "bulk");
    expect(bulk?.args).toEqual(["secret", "bulk", "--env=queues"]);
    expect(JSON.parse(bulk?.stdin ?? "{}")).toEqual(kept);
    expect(run.stdout).not.toContain("Keep these");
    expect(f.requests.at(-1)).toEqual({ path: "/v1/endpoints", authorization: `Bearer ${kept.RELAY_API_KEYS}` });
  }, 30_000);
});
