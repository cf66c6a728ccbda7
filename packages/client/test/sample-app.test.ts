/**
 * The package as an app gets it: built (`tsc`, as `npm pack` does), then a sample app (main.ts and
 * the README's example) compiled against the built `dist/` with an ordinary strict tsconfig (no
 * types, no JSX) and run in Node, against a loopback server that answers as the relay does. The
 * client against the real relay: the root's test/typed-client.test.ts.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const PACKAGE = path.resolve(import.meta.dirname, "..");
const TSC = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const README_URL = "https://relay.example.workers.dev";

/** The README's example, between its sample-app markers. */
function readmeExample(): string {
  const readme = readFileSync(path.join(PACKAGE, "README.md"), "utf8");
  const block = /<!-- sample-app:begin -->\n```ts\n([\s\S]*?)```\n<!-- sample-app:end -->/.exec(readme)?.[1];
  if (!block) throw new Error("README.md has no ```ts block between <!-- sample-app:begin --> and <!-- sample-app:end -->");
  return block;
}

/** What the stand-in relay saw, and the secret it hands out. */
const seen: { method: string; url: string; authorization: string | undefined; body: string }[] = [];
const SECRET = `whsec_${randomBytes(32).toString("base64")}`;
const TIMESTAMP = "2026-11-24T05:06:09.935Z";

function answer(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/** The three answers the sample needs, shaped as the relay's (see its OpenAPI document); else its 404 envelope. */
async function relay(req: IncomingMessage, res: ServerResponse) {
  let body = "";
  for await (const chunk of req) body += chunk;
  seen.push({ method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization, body });
  if (req.method === "POST" && req.url === "/v1/tasks") {
    const registration = JSON.parse(body) as { task_id: string; action: string; action2: string; callback_url: string };
    return answer(res, 201, {
      id: "sub_01JD7Z3Q",
      provider: "cometapi",
      task_id: registration.task_id,
      endpoint_id: "ep_01JD7Z3Q",
      action: registration.action,
      action2: registration.action2,
      callback_url: registration.callback_url,
      events: ["task.succeeded", "task.failed", "task.expired"],
      metadata: null,
      status: "active",
      status_reason: null,
      task_status: null,
      created_at: TIMESTAMP,
      updated_at: TIMESTAMP,
    });
  }
  if (req.method === "GET" && req.url === "/v1/endpoints/ep_01JD7Z3Q/secret") return answer(res, 200, { key: SECRET });
  if (req.method === "GET" && req.url === "/_sample/webhook") {
    // Signed by the Standard Webhooks library, not by the package under test.
    const event = JSON.stringify({
      type: "task.succeeded",
      timestamp: TIMESTAMP,
      subscription_id: "sub_01JD7Z3Q",
      provider: "cometapi",
      task_id: "859254771946229860",
      metadata: null,
      reason: null,
      outputs: [{ type: "video", id: "v1", url: "https://cdn.example/v1.mp4" }],
      failure_message: null,
      data: { task_status: "succeed" },
    });
    const id = "msg_01JD7Z3Q";
    const now = new Date();
    const headers = {
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "webhook-signature": new Webhook(SECRET).sign(id, now, event),
    };
    return answer(res, 200, { body: event, headers });
  }
  answer(res, 404, { error: { code: "not_found", message: "Not found" } });
}

let server: Server;
let relayUrl: string;
let app: string;

beforeAll(async () => {
  server = createServer((req, res) => void relay(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  relayUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  app = mkdtempSync(path.join(tmpdir(), "relay-client-sample-"));
  for (const file of ["package.json", "tsconfig.json", "main.ts"])
    cpSync(path.join(import.meta.dirname, "sample-app", file), path.join(app, file));
  writeFileSync(path.join(app, "example.ts"), readmeExample().replace(README_URL, relayUrl));
  // As `npm install <tarball or path>` leaves it: the package under node_modules, its dependency
  // (openapi-fetch) found from the package's own location.
  mkdirSync(path.join(app, "node_modules/@kling-webhook-relay"), { recursive: true });
  symlinkSync(PACKAGE, path.join(app, "node_modules/@kling-webhook-relay/client"), "dir");
  await run(process.execPath, [TSC, "-p", path.join(PACKAGE, "tsconfig.json")]);
}, 60_000);

afterAll(async () => {
  server?.close();
  if (app) rmSync(app, { recursive: true, force: true });
});

describe("a sample app on the built package", () => {
  it("compiles with a plain strict tsconfig and no types, against dist/*.d.ts", async () => {
    const compiled = await run(process.execPath, [TSC, "-p", path.join(app, "tsconfig.json")]).then(
      () => "",
      (error: { stdout: string }) => error.stdout,
    );
    expect(compiled).toBe("");
  }, 60_000);

  it("runs the README's example in Node: registers, reads the endpoint's secret, verifies the webhook and refuses it tampered", async () => {
    const { stdout } = await run(process.execPath, [path.join(app, "out/main.js"), relayUrl]);
    expect(stdout.trim().split("\n")).toEqual(["[ 'https://cdn.example/v1.mp4' ]", "verified: 204", "tampered: no matching signature"]);
    const key = /apiKey: "([^"]+)"/.exec(readmeExample())?.[1];
    expect(seen.map((r) => `${r.method} ${r.url} ${r.authorization}`)).toEqual([
      `POST /v1/tasks Bearer ${key}`,
      `GET /v1/endpoints/ep_01JD7Z3Q/secret Bearer ${key}`,
      "GET /_sample/webhook undefined",
    ]);
    expect(JSON.parse(seen[0]!.body)).toMatchObject({
      action: "videos",
      action2: "text2video",
      callback_url: "https://app.example/hooks/kling",
    });
  }, 30_000);
});
