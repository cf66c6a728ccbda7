/** Creating tasks through the relay: `POST /v1/tasks` with `create`, `Idempotency-Key`, refusals and lost answers. */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { Env } from "../src/env";
import { API_KEY, receiver, relayRequest, resetDb, unique } from "./support/relay";

const TOKEN = "create-test-inbound-token-0123456789ab";

/** The relay's public URL is a loopback receiver: the callbacks upstream sends to it are recorded there. */
async function relayWithCallbacks() {
  const inbound = await receiver();
  const overrides: Partial<Env> = { INBOUND_TOKEN: TOKEN, PUBLIC_BASE_URL: inbound.url };
  return { inbound, overrides };
}

const create = (body: Record<string, unknown>, overrides: Partial<Env>, headers: Record<string, string> = {}) =>
  relayRequest(
    "/v1/tasks",
    {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${API_KEY}`, ...headers },
      body: JSON.stringify(body),
    },
    overrides,
  );

const sim = (path: string, init?: RequestInit) => fetch(`${env.FAKE_URL}/_sim/${path}`, init);
const scriptCreates = (script: Record<string, unknown>) => sim("creates", { method: "PUT", body: JSON.stringify(script) });
const createCounts = async () =>
  ((await (await sim("creates")).json()) as { counts: Record<string, Record<string, number>> }).counts as Record<
    string,
    Record<string, number>
  >;
const totalCreates = async () =>
  Object.values(await createCounts()).reduce((n, c) => n + Object.values(c).reduce((a, b) => a + b, 0) - (c.invalid ?? 0), 0);
/** Requests CometAPI's routes of the simulator have answered so far (creates and lookups). */
const simRequests = async () => ((await (await sim("stats")).json()) as { requests: { cometapi: number } }).requests.cometapi;
const tasksNamed = async (taskId: string) => (await env.DB.prepare("SELECT * FROM tasks WHERE task_id = ?").bind(taskId).all()).results;
const taskCount = async () => (await env.DB.prepare("SELECT count(*) AS n FROM tasks").first<{ n: number }>())!.n;

const videoCreate = (hook: string, extra: Record<string, unknown> = {}) => ({
  action: "videos",
  action2: "text2video",
  callback_url: hook,
  create: {
    prompt: "a cat surfing at sunset",
    duration: "5",
    callback_url: "https://elsewhere.example/hook",
    x_sim: { submittedMs: 50, processingMs: 100 },
  },
  ...extra,
});

describe("POST /v1/tasks with create", () => {
  beforeEach(async () => {
    await resetDb();
    await scriptCreates({ mode: "ok" });
    await sim("creates", { method: "DELETE" });
  });

  it("creates through CometAPI with the relay's callback URL and its own external id, registers the task and answers 201", async () => {
    const { inbound, overrides } = await relayWithCallbacks();
    const hook = await receiver();
    const res = await create(videoCreate(hook.url), overrides);
    expect(res.status).toBe(201);
    const subscription = (await res.json()) as Record<string, any>;
    expect(subscription).toMatchObject({
      provider: "cometapi",
      action: "videos",
      action2: "text2video",
      callback_url: hook.url,
      status: "active",
    });
    expect(await tasksNamed(subscription.task_id)).toHaveLength(1);
    // Upstream calls the relay back, not the URL the app wrote in its create body.
    const callback = JSON.parse((await inbound.firstDelivery()).body);
    expect(callback).toMatchObject({ task_id: subscription.task_id, task_status: "submitted" });
    expect(callback.task_info.external_task_id).toMatch(/^rly-[0-9a-f]{32}$/);
    expect((await createCounts()).cometapi).toMatchObject({ ok: 1 });
  });

  it("creates through Kling's new API by path and through its legacy paths", async () => {
    const { overrides } = await relayWithCallbacks();
    const hook = await receiver();
    const newApi = await create(
      { provider: "kling", path: "text-to-video/kling-3.0-turbo", callback_url: hook.url, create: { prompt: "p", options: { foo: 1 } } },
      overrides,
    );
    expect(newApi.status).toBe(201);
    expect(await newApi.json()).toMatchObject({ provider: "kling", action: null, action2: null });
    const legacy = await create({ ...videoCreate(hook.url), provider: "kling" }, overrides);
    expect(legacy.status).toBe(201);
    expect(await legacy.json()).toMatchObject({ provider: "kling", action: "videos", action2: "text2video" });
    expect(await createCounts()).toMatchObject({ "kling-new": { ok: 1 }, "kling-legacy": { ok: 1 } });
  });

  it("answers an upstream refusal with 422 upstream_rejected, upstream's code and message, and registers nothing", async () => {
    const { overrides } = await relayWithCallbacks();
    await scriptCreates({ mode: "refuse", code: 1301, message: "content policy violation" });
    const res = await create(videoCreate((await receiver()).url), overrides);
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({
      error: {
        code: "upstream_rejected",
        message: "upstream refused to create the task",
        upstream: { code: 1301, message: "content policy violation" },
      },
    });
    expect(await taskCount()).toBe(0);
  });

  it("with an Idempotency-Key, answers a retry with the first result and creates upstream once", async () => {
    const { overrides } = await relayWithCallbacks();
    const body = videoCreate((await receiver()).url);
    const key = unique("idem");
    const first = await create(body, overrides, { "idempotency-key": key });
    expect(first.status).toBe(201);
    const firstText = await first.text();
    const again = await create(body, overrides, { "idempotency-key": key });
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.text()).toBe(firstText);
    expect(await totalCreates()).toBe(1);
    // The same key with another body is refused, changing nothing.
    const other = await create({ ...body, metadata: { n: 2 } }, overrides, { "idempotency-key": key });
    expect(other.status).toBe(409);
    expect(await totalCreates()).toBe(1);
    expect(await taskCount()).toBe(1);
  });

  it("with one Idempotency-Key sent twice at once, creates upstream once", async () => {
    const { overrides } = await relayWithCallbacks();
    const body = videoCreate((await receiver()).url);
    const key = unique("idem");
    const answers = await Promise.all([
      create(body, overrides, { "idempotency-key": key }),
      create(body, overrides, { "idempotency-key": key }),
    ]);
    const statuses = answers.map((r) => r.status).sort();
    // Either the second waited for nothing (409: still running) or came after the first (its replay).
    expect([
      [201, 409],
      [201, 201],
    ]).toContainEqual(statuses);
    expect(await totalCreates()).toBe(1);
    expect(await taskCount()).toBe(1);
  });

  it("finds the task by its external id when the create's answer times out or is lost", async () => {
    const { overrides } = await relayWithCallbacks();
    const hook = await receiver();
    for (const mode of ["timeout", "lost"]) {
      await scriptCreates({ mode, delayMs: 4_000 });
      const res = await create(videoCreate(hook.url, { metadata: { mode } }), { ...overrides, UPSTREAM_TIMEOUT_SECONDS: "1" });
      expect(res.status, mode).toBe(201);
      const { task_id: taskId } = (await res.json()) as { task_id: string };
      expect(await tasksNamed(taskId), mode).toHaveLength(1);
    }
    expect(await taskCount()).toBe(2);
  });

  it("answers 502 with nothing registered when upstream cannot be reached; a retry with the same key then creates once", async () => {
    const { overrides } = await relayWithCallbacks();
    const body = videoCreate((await receiver()).url);
    const key = unique("idem");
    // A port nobody listens on: the create fails, and so does the lookup.
    const down = await create(body, { ...overrides, UPSTREAM_BASE_URL: "http://127.0.0.1:9" }, { "idempotency-key": key });
    expect(down.status).toBe(502);
    expect(await down.json()).toMatchObject({ error: { code: "upstream_unavailable" } });
    expect(await taskCount()).toBe(0);
    // Nobody could tell whether it was created: the key is kept for the retry to look it up first.
    expect(await env.DB.prepare("SELECT state FROM idempotency_keys").all()).toMatchObject({ results: [{ state: "lost" }] });
    const retry = await create(body, overrides, { "idempotency-key": key });
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    expect(await totalCreates()).toBe(1);
  });

  it("keeps a key whose create lost its answer, and its retry looks the create up before creating (no duplicate)", async () => {
    const { overrides } = await relayWithCallbacks();
    const key = unique("idem");
    const body = videoCreate((await receiver()).url);
    // A first attempt created the task upstream under the key's external id, then its answer was
    // lost and the lookup could not tell: the relay answered 502 and kept the key as lost. The
    // external id is the relay's: rly- + SHA-256(tenant, method and path, key).
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`default\nPOST /v1/tasks\n${key}`)));
    const externalId = `rly-${[...digest]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("")
      .slice(0, 32)}`;
    const earlier = await fetch(`${env.FAKE_URL}/kling/v1/videos/text2video`, {
      method: "POST",
      headers: { authorization: "Bearer test-cometapi-key", "content-type": "application/json" },
      body: JSON.stringify({ prompt: "p", external_task_id: externalId }),
    });
    const { task_id: earlierId } = ((await earlier.json()) as { data: { task_id: string } }).data;
    const requestHash = [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify(body))))]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("");
    await env.DB.prepare(
      "INSERT INTO idempotency_keys (tenant_id, key, request_hash, state, created_at, updated_at) VALUES ('default', ?, ?, 'lost', ?, ?)",
    )
      .bind(`POST /v1/tasks\n${key}`, requestHash, Date.now(), Date.now())
      .run();
    const retry = await create(body, overrides, { "idempotency-key": key });
    expect(retry.status).toBe(201);
    expect(await retry.json()).toMatchObject({ task_id: earlierId });
    expect(await taskCount()).toBe(1);
    // Found by the lookup: no second create was even tried.
    expect(await createCounts()).toMatchObject({ cometapi: { ok: 1, invalid: 0 } });
  });

  it("never answers a refusal with a lookup, even with a key: 422 upstream_rejected", async () => {
    const { overrides } = await relayWithCallbacks();
    const key = unique("idem");
    const before = await simRequests();
    await scriptCreates({ mode: "refuse", code: 1201, message: "external_task_id already exists" });
    const refused = await create(videoCreate((await receiver()).url), overrides, { "idempotency-key": key });
    expect(refused.status).toBe(422);
    expect(await refused.json()).toMatchObject({ error: { code: "upstream_rejected", upstream: { code: 1201 } } });
    // The create, and nothing after it.
    expect((await simRequests()) - before).toBe(1);
    expect(await taskCount()).toBe(0);
  });

  it.each([
    ["both task_id and create", { task_id: "t1", ...videoCreate("https://app.example.com/h") }],
    ["create for Kling's new API without path", { provider: "kling", callback_url: "https://app.example.com/h", create: {} }],
    ["path with CometAPI", { ...videoCreate("https://app.example.com/h"), path: "text-to-video/kling-3.0" }],
    [
      "path without create",
      { provider: "kling", task_id: "t1", path: "text-to-video/kling-3.0", callback_url: "https://app.example.com/h" },
    ],
    ["a bad path", { provider: "kling", path: "text-to-video/../x", create: {}, callback_url: "https://app.example.com/h" }],
    ["create not an object", { ...videoCreate("https://app.example.com/h"), create: [1] }],
  ])("refuses %s with 400, calling nobody", async (_name, body) => {
    const res = await create(body, { INBOUND_TOKEN: TOKEN, PUBLIC_BASE_URL: "https://relay.example.com" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "invalid_request" } });
    expect(await totalCreates()).toBe(0);
  });

  it("refuses an invalid Idempotency-Key, and a create in a batch, with 400", async () => {
    const bad = await create(videoCreate("https://app.example.com/h"), {}, { "idempotency-key": "has space" });
    expect(bad.status).toBe(400);
    const batch = await relayRequest("/v1/tasks/batch", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${API_KEY}` },
      body: JSON.stringify({ tasks: [videoCreate("https://app.example.com/h")] }),
    });
    expect(batch.status).toBe(200);
    expect(await batch.json()).toMatchObject({ results: [{ status: 400, error: { code: "invalid_request" } }] });
    expect(await totalCreates()).toBe(0);
  });

  it("takes a create body up to 10 MiB (images as base64), while a registration stays within 16 KiB", async () => {
    const { overrides } = await relayWithCallbacks();
    const image = "A".repeat(200 * 1024);
    const res = await create({ ...videoCreate((await receiver()).url), create: { prompt: "p", image } }, overrides);
    expect(res.status).toBe(201);
    const registration = await create(
      {
        task_id: "t-big",
        action: "videos",
        action2: "text2video",
        callback_url: "https://app.example.com/h",
        metadata: { pad: "x".repeat(17 * 1024) },
      },
      overrides,
    );
    expect(registration.status).toBe(413);
  });
});
