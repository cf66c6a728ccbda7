/**
 * The verification examples of examples/verify/ (Node, Python, Go, PHP, Ruby, each with its
 * standard library only) against a real delivery: the real `wrangler dev` and the Kling simulator
 * on loopback, a task registered and ticked to the end, and the headers and raw body a receiver
 * got, the endpoint signing `v1a` too. Each program runs as an app would run it (a child process,
 * bounded by a timeout) and must print `verified` for the delivery as sent (with `WEBHOOK_SECRETS`,
 * the endpoint's own secret, or its `whpk_` key where the language has Ed25519), and refuse it with
 * its body changed, with a wrong secret or with a stale timestamp. docs/webhooks.md shows each program's `verify` as it is here.
 * `npm run test:e2e` installs the interpreters first where it can (test/harness/ensure-toolchains.ts);
 * a language whose toolchain is still missing has its tests skipped (CI=true: they fail), and the
 * run says why in one line (test/harness/toolchain-reporter.ts).
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newSigningKeyPair, newWebhookSecret } from "../../src/domain/webhook-secret";
import { signWebhook } from "../../src/webhooks/sign";
import { createSimulatedTask, type RelayStack, startRelayStack } from "../../tools/relay-stack";
import type { ReceivedWebhook } from "../../tools/webhook-receivers";
import { ciErrorLine, isCI, missingToolchains, type ToolchainName, VERIFY_TEST } from "../harness/toolchains";

const ROOT = path.resolve(import.meta.dirname, "../..");
const EXAMPLES = path.join(ROOT, "examples/verify");
const SECRET = `whsec_${randomBytes(32).toString("base64")}`;
const API_KEY = `e2e-${randomBytes(12).toString("hex")}`;
const UPSTREAM_KEY = `sim-${randomBytes(12).toString("hex")}`;
/** Each program run: a few hundred ms at most when healthy (an interpreter's start), killed past this. */
const RUN_TIMEOUT_MS = 10_000;
const BUILD_DIR = mkdtempSync(path.join(tmpdir(), "verify-go-"));

interface Verifier {
  language: string;
  file: string;
  command: string;
  args: string[];
  /** Whether the language's standard library has Ed25519, so the program checks v1a. */
  ed25519: boolean;
}

/** What runs each example beyond Node (test/harness/toolchains.ts). */
const TOOLCHAIN: Record<string, ToolchainName> = { Python: "python3", Go: "go", PHP: "php", Ruby: "ruby" };

const VERIFIERS: Verifier[] = [
  { language: "Node", file: "verify.mjs", command: process.execPath, args: [path.join(EXAMPLES, "verify.mjs")], ed25519: true },
  { language: "Python", file: "verify.py", command: "python3", args: [path.join(EXAMPLES, "verify.py")], ed25519: false },
  // Built once in beforeAll (`go run` per case would compile each time).
  { language: "Go", file: "verify.go", command: path.join(BUILD_DIR, "verify"), args: [], ed25519: true },
  { language: "PHP", file: "verify.php", command: "php", args: [path.join(EXAMPLES, "verify.php")], ed25519: true },
  { language: "Ruby", file: "verify.rb", command: "ruby", args: [path.join(EXAMPLES, "verify.rb")], ed25519: true },
];
/** The toolchains not on this machine: their languages' tests skip (under CI=true, beforeAll fails). */
const MISSING = missingToolchains(Object.values(TOOLCHAIN), process.env);
const skipped = (verifier: Verifier) => MISSING.includes(TOOLCHAIN[verifier.language]!) && !isCI(process.env);

interface Signed {
  key: string;
  id: string;
  timestamp: string;
  signature: string;
  body: string;
}

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs one program with the webhook in its environment and the body on stdin, as its main expects. */
function runVerifier(verifier: Verifier, webhook: Signed): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(verifier.command, verifier.args, {
      env: {
        ...process.env,
        WEBHOOK_KEY: webhook.key,
        WEBHOOK_ID: webhook.id,
        WEBHOOK_TIMESTAMP: webhook.timestamp,
        WEBHOOK_SIGNATURE: webhook.signature,
      },
      stdio: ["pipe", "pipe", "pipe"],
      timeout: RUN_TIMEOUT_MS,
      killSignal: "SIGKILL",
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
    });
    // A program that exits before reading its stdin must not fail the write.
    child.stdin.on("error", () => {});
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(webhook.body);
  });
}

const verified = { code: 0, signal: null, stdout: "verified\n" };
const refused = (reason: string) => ({ code: 1, signal: null, stdout: `${reason}\n` });

let stack: RelayStack | undefined;
let delivery: ReceivedWebhook;
/** The delivery as the relay sent it, with the `WEBHOOK_SECRETS` secret it signed with. */
let genuine: Signed;
/** The endpoint's own secret (`GET /v1/endpoints/{id}/secret`) and its `v1a` public key. */
let endpointSecret: string;
let publicKey: string;

beforeAll(async () => {
  if (MISSING.length > 0 && isCI(process.env)) throw new Error(ciErrorLine(VERIFY_TEST, MISSING));

  const build = spawnSync("go", ["build", "-o", path.join(BUILD_DIR, "verify"), "verify.go"], {
    cwd: EXAMPLES,
    // Its own cache and GOPATH, both thrown away; no module to fetch (standard library only).
    env: {
      ...process.env,
      GOCACHE: path.join(BUILD_DIR, "cache"),
      GOPATH: path.join(BUILD_DIR, "gopath"),
      GOTOOLCHAIN: "local",
      GOPROXY: "off",
      GOFLAGS: "",
    },
    timeout: 90_000,
    killSignal: "SIGKILL",
    encoding: "utf8",
  });
  // Without Go (its tests skip) the spawn fails at once.
  if (build.status !== 0 && !MISSING.includes("go")) throw new Error(`go build failed (${build.status ?? build.signal}): ${build.stderr}`);

  stack = await startRelayStack({ apiKey: API_KEY, secret: SECRET, upstreamKey: UPSTREAM_KEY, seed: 23 });
  const { network, relay, client } = stack;
  network.receivers.configure("stacks", { secret: SECRET });
  const taskId = await createSimulatedTask(network.url, UPSTREAM_KEY, "images", "generations", { submittedMs: 0, processingMs: 0 });
  const sub = await client.register({
    task_id: taskId,
    action: "images",
    action2: "generations",
    callback_url: `${network.url}/hooks/stacks`,
    metadata: { note: "naïve café ✓" },
  });
  // The endpoint signs v1a too, so the delivery carries an Ed25519 signature made by the relay.
  publicKey = (await client.setSigning(sub.endpoint_id, ["v1", "v1a"])).public_key!;
  endpointSecret = (await client.endpointSecret(sub.endpoint_id)).key;
  for (let tick = 0; (await client.subscription(sub.id)).status !== "delivered"; tick++) {
    if (tick === 40) throw new Error("the task was not delivered within 40 ticks");
    await relay.fireScheduled();
    await new Promise((r) => setTimeout(r, 300));
  }
  delivery = network.receivers.deliveries("stacks")[0]!;
  genuine = {
    key: SECRET,
    id: delivery.headers["webhook-id"]!,
    timestamp: delivery.headers["webhook-timestamp"]!,
    signature: delivery.headers["webhook-signature"]!,
    body: delivery.body,
  };
});

afterAll(async () => {
  await stack?.stop();
  rmSync(BUILD_DIR, { recursive: true, force: true });
});

describe("the captured delivery", () => {
  it("is a real, signed task.succeeded webhook that the standardwebhooks library verified on receipt", () => {
    expect(delivery.verified).toBe(true);
    expect(genuine.id).toMatch(/^msg_/);
    // WEBHOOK_SECRETS (the default tenant's), the endpoint's own secret, its Ed25519 key.
    expect(genuine.signature).toMatch(/^v1,[A-Za-z0-9+/]{43}= v1,[A-Za-z0-9+/]{43}= v1a,[A-Za-z0-9+/]{86}==$/);
    expect(Math.abs(Date.now() / 1000 - Number(genuine.timestamp))).toBeLessThan(120);
    expect(JSON.parse(genuine.body)).toMatchObject({ type: "task.succeeded", metadata: { note: "naïve café ✓" } });
    // Non-ASCII text: the programs must hash the raw bytes.
    expect(genuine.body).toContain("naïve café ✓");
  });
});

describe.each(VERIFIERS)("examples/verify/$file ($language)", (verifier) => {
  const check = it.skipIf(skipped(verifier));
  check("verifies the relay's delivery (v1, HMAC-SHA256) with the relay's secret, and refuses it altered", async () => {
    const tampered = genuine.body.replace("task.succeeded", "task.succeedes");
    expect(tampered).not.toBe(genuine.body);
    const staleTimestamp = String(Number(genuine.timestamp) - 400);
    const stale = {
      ...genuine,
      timestamp: staleTimestamp,
      signature: await signWebhook([SECRET], genuine.id, Number(staleTimestamp), genuine.body),
    };
    const [ok, ownSecret, tamperedBody, wrongSecret, otherId, staleOutcome] = await Promise.all([
      runVerifier(verifier, genuine),
      runVerifier(verifier, { ...genuine, key: endpointSecret }),
      runVerifier(verifier, { ...genuine, body: tampered }),
      runVerifier(verifier, { ...genuine, key: newWebhookSecret() }),
      runVerifier(verifier, { ...genuine, id: `${genuine.id}x` }),
      runVerifier(verifier, stale),
    ]);
    expect(ok).toMatchObject(verified);
    expect(ownSecret).toMatchObject(verified);
    expect(tamperedBody).toMatchObject(refused("no matching signature"));
    expect(wrongSecret).toMatchObject(refused("no matching signature"));
    expect(otherId).toMatchObject(refused("no matching signature"));
    expect(staleOutcome).toMatchObject(refused("webhook-timestamp is not within 5 minutes of now"));
  });

  check(
    verifier.ed25519
      ? "verifies a v1a (Ed25519) signature of the same delivery with the whpk_ key, alone or beside the v1 one"
      : "says it cannot check v1a (no Ed25519 in the standard library), and still verifies the v1 entry of a mixed header",
    async () => {
      // The relay's own v1a entry of the delivery, alone, and the whole header as it came.
      const v1a = genuine.signature.split(" ").find((entry) => entry.startsWith("v1a,"))!;
      const signed: Signed = { ...genuine, key: publicKey, signature: v1a };
      const mixed = genuine.signature;
      const [ok, mixedWithPublicKey, mixedWithSecret, tamperedBody, otherKey, asV1] = await Promise.all([
        runVerifier(verifier, signed),
        runVerifier(verifier, { ...signed, signature: mixed }),
        runVerifier(verifier, { ...genuine, signature: mixed }),
        runVerifier(verifier, { ...signed, body: genuine.body.replace("task.succeeded", "task.succeedes") }),
        runVerifier(verifier, { ...signed, key: (await newSigningKeyPair()).publicKey }),
        runVerifier(verifier, { ...signed, signature: v1a.replace("v1a,", "v1,") }),
      ]);
      expect(mixedWithSecret).toMatchObject(verified);
      if (verifier.ed25519) {
        expect(ok).toMatchObject(verified);
        expect(mixedWithPublicKey).toMatchObject(verified);
        expect(tamperedBody).toMatchObject(refused("no matching signature"));
        expect(otherKey).toMatchObject(refused("no matching signature"));
        expect(asV1).toMatchObject(refused("no matching signature"));
      } else {
        for (const outcome of [ok, mixedWithPublicKey, tamperedBody, otherKey, asV1]) {
          expect(outcome).toMatchObject({ code: 1, signal: null });
          expect(outcome.stdout).toMatch(/no Ed25519/);
        }
      }
    },
  );
});

describe("docs/webhooks.md", () => {
  const page = readFileSync(path.join(ROOT, "docs/webhooks.md"), "utf8");

  it.each(VERIFIERS)("shows examples/verify/$file's verify function as it is in the tested file", ({ file }) => {
    const source = readFileSync(path.join(EXAMPLES, file), "utf8");
    const match = /^.*BEGIN verify\n([\s\S]*?)\n.*END verify$/m.exec(source);
    expect(match, `${file} has no BEGIN verify … END verify block`).not.toBeNull();
    const block = match![1]!.trim();
    expect(block).toContain("verify(");
    expect(page).toContain(block);
  });
});
