/** `POST /v1/tasks/batch`: many registrations in one request, one result per item, one D1 batch of writes. */
import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { createRelayClient, unwrap } from "../packages/client/src";
import { app } from "../src/app";
import { ADMIN_KEY, API_KEY, api, postJson, resetDb, unique } from "./support/relay";

type Json = Record<string, any>;

const item = (extra: Json = {}) => ({
  task_id: unique("task"),
  action: "videos",
  action2: "text2video",
  callback_url: "https://example.com/hook",
  ...extra,
});

async function batch(tasks: unknown[], key: string = API_KEY, headers: Record<string, string> = {}) {
  const res = await api(
    "/v1/tasks/batch",
    { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ tasks }) },
    key,
  );
  const text = await res.text();
  expect(res.status, text).toBeLessThan(500);
  return { status: res.status, body: JSON.parse(text) as Json };
}

const count = async (sql: string, ...params: unknown[]) =>
  (
    await env.DB.prepare(sql)
      .bind(...params)
      .first<{ n: number }>()
  )?.n;

/** A D1 binding that runs everything for real and records each `batch` call's statement count. */
function countingBatches(db: D1Database, batches: number[]): D1Database {
  return new Proxy(db, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (prop === "batch")
        return (statements: D1PreparedStatement[]) => {
          batches.push(statements.length);
          return target.batch(statements);
        };
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function fetchBatch(tasks: unknown[], envOverrides: Record<string, unknown>, key = API_KEY) {
  return app.fetch(
    new Request("http://relay.test/v1/tasks/batch", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ tasks }),
    }),
    { ...env, ...envOverrides },
  );
}

/** A tenant and a key of it, made through the admin API. */
async function tenantKey(name: string) {
  const tenant = (await (await postJson("/v1/admin/tenants", { name }, ADMIN_KEY)).json()) as Json;
  const key = (await (await postJson(`/v1/admin/tenants/${tenant.id}/keys`, {}, ADMIN_KEY)).json()) as Json;
  // Lent the operator's account, and trusted with any task id on it.
  await api(
    `/v1/admin/tenants/${tenant.id}`,
    { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ shared_upstream: true, trusted: true }) },
    ADMIN_KEY,
  );
  return { id: tenant.id as string, key: key.key as string };
}

describe("POST /v1/tasks/batch", () => {
  beforeEach(resetDb);

  it("answers each item as POST /v1/tasks would, in order, and stores only the valid ones", async () => {
    const existing = item({ metadata: { v: 1 } });
    const other = item({ callback_url: "https://example.com/other" });
    expect((await postJson("/v1/tasks", existing)).status).toBe(201);
    expect((await postJson("/v1/tasks", other)).status).toBe(201);
    const fresh = item({ metadata: { n: 1 } });
    const { status, body } = await batch([
      fresh,
      { ...existing, metadata: { v: 2 } },
      item({ callback_url: "ftp://example.com/x" }),
      // The task is registered as videos/text2video.
      { ...other, action: "images", action2: "generations", callback_url: "https://example.com/third" },
      item({ metadata: { big: "x".repeat(4100) } }),
      // The same subscription as the first item: the URL is normalised first.
      { ...fresh, callback_url: "https://EXAMPLE.com/hook", metadata: null },
      item({ color: "red" }),
    ]);
    expect(status).toBe(200);
    expect(body.results.map((r: Json) => r.status)).toEqual([201, 200, 400, 409, 400, 409, 400]);
    const [created, updated, badUrl, conflict, bigMetadata, duplicate, unknown] = body.results;
    expect(created.subscription).toMatchObject({ task_id: fresh.task_id, status: "active", callback_url: "https://example.com/hook" });
    expect(updated.subscription).toMatchObject({ task_id: existing.task_id, metadata: { v: 2 } });
    expect(badUrl.error).toMatchObject({ code: "invalid_request", details: [{ field: "callback_url", message: expect.any(String) }] });
    expect(conflict.error).toEqual({ code: "conflict", message: `task ${other.task_id} is already registered as videos/text2video` });
    expect(bigMetadata.error).toMatchObject({ code: "invalid_request", details: [{ field: "metadata" }] });
    expect(duplicate.error).toEqual({ code: "conflict", message: expect.stringContaining("item 0 of this batch") });
    expect(unknown.error).toMatchObject({ code: "invalid_request", details: [{ field: "color", message: "is not a known field" }] });

    expect([await count("SELECT count(*) AS n FROM tasks"), await count("SELECT count(*) AS n FROM subscriptions")]).toEqual([3, 3]);
    // Each item's metadata is stored exactly as it was written.
    const exact = await api("/v1/tasks/batch", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"tasks":[${JSON.stringify(item()).replace(/}$/, ',"metadata":{"n":1}}')},${JSON.stringify(item()).replace(/}$/, ',"metadata":{"n":12345678901234567890123, "e": 1E400}}')}]}`,
    });
    const [, big] = ((await exact.json()) as Json).results;
    const stored = await env.DB.prepare("SELECT metadata FROM subscriptions WHERE id = ?").bind(big.subscription.id).first<Json>();
    expect(stored?.metadata).toBe('{"n":12345678901234567890123,"e":1E400}');
    // The answers are what the API shows afterwards.
    expect(await (await api(`/v1/subscriptions/${updated.subscription.id}`)).json()).toMatchObject(updated.subscription);
  });

  it("admits every item in one D1 batch of reads, then writes them and reads them back in one batch of the same statements whatever their number", async () => {
    const sizes: number[][] = [];
    for (const n of [1, 100]) {
      const batches: number[] = [];
      const tasks = Array.from({ length: n }, (_, i) => item({ callback_url: `https://example.com/hook/${i % 7}` }));
      const res = await fetchBatch(tasks, { DB: countingBatches(env.DB, batches) });
      expect(res.status).toBe(200);
      const { results } = (await res.json()) as Json;
      expect(results.map((r: Json) => r.status)).toEqual(Array(n).fill(201));
      sizes.push(batches);
    }
    expect(sizes[0]!.length).toBe(2);
    expect(sizes[1]).toEqual(sizes[0]);
    expect(await count("SELECT count(*) AS n FROM subscriptions")).toBe(101);
    expect(await count("SELECT count(*) AS n FROM endpoints")).toBe(7);
  });

  it("takes 100 items; more, fewer than one, or no array is a 400 for the whole request", async () => {
    const hundred = await batch(Array.from({ length: 100 }, () => item()));
    expect(hundred.status).toBe(200);
    expect(hundred.body.results).toHaveLength(100);
    for (const tasks of [Array.from({ length: 101 }, () => item()), [], { a: 1 }, "x"]) {
      const res = await batch(tasks as unknown[]);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: "invalid_request", details: [{ field: "tasks" }] });
    }
    const noTasks = await postJson("/v1/tasks/batch", { task: [] });
    expect(noTasks.status).toBe(400);
    expect(await count("SELECT count(*) AS n FROM subscriptions")).toBe(100);
  });

  it("takes far more than 16 KiB, and answers 413 past 512 KiB", async () => {
    const metadata = { note: "y".repeat(3000) };
    const roomy = await batch(Array.from({ length: 100 }, () => item({ metadata })));
    expect(roomy.status).toBe(200);
    expect(roomy.body.results.every((r: Json) => r.status === 201)).toBe(true);
    const huge = await batch(Array.from({ length: 100 }, () => item({ metadata: { note: "z".repeat(5300) } })));
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe("payload_too_large");
    expect(await count("SELECT count(*) AS n FROM subscriptions")).toBe(100);
  });

  it("counts items, not requests, against the per-isolate cap; a batch that does not fit writes and takes nothing", async () => {
    const { key } = await tenantKey("limited");
    const fallback = { REGISTRATION_LIMITER: undefined, REGISTRATION_RATE_LIMIT: "5" };
    const statuses = [];
    for (const n of [3, 3, 2, 1])
      statuses.push(
        (
          await fetchBatch(
            Array.from({ length: n }, () => item()),
            fallback,
            key,
          )
        ).status,
      );
    expect(statuses).toEqual([200, 429, 200, 429]);
    // Invalid items count too.
    const { key: other } = await tenantKey("limited-2");
    expect((await fetchBatch([{}, {}, {}, {}, {}], fallback, other)).status).toBe(200);
    const refused = await fetchBatch([item()], fallback, other);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await count("SELECT count(*) AS n FROM subscriptions")).toBe(5);
  });

  it("calls the REGISTRATION_LIMITER binding once per item, and refuses the request when any call is refused", async () => {
    let calls = 0;
    const limiter = { limit: async () => ({ success: ++calls <= 150 }) };
    const first = await fetchBatch(
      Array.from({ length: 100 }, () => item()),
      { REGISTRATION_LIMITER: limiter },
    );
    expect(first.status).toBe(200);
    expect(calls).toBe(100);
    const second = await fetchBatch(
      Array.from({ length: 100 }, () => item()),
      { REGISTRATION_LIMITER: limiter },
    );
    expect(second.status).toBe(429);
    expect(second.headers.get("retry-after")).toBe("60");
    expect(calls).toBe(200);
    expect(await count("SELECT count(*) AS n FROM subscriptions")).toBe(100);
  });

  it("registers into the key's tenant, as POST /v1/tasks does (the admin names it with Relay-Tenant)", async () => {
    const tenant = await tenantKey("batcher");
    const taskId = unique("shared");
    expect((await batch([item({ task_id: taskId })], tenant.key)).body.results[0].status).toBe(201);
    // The default tenant registers a task of its own by the same id.
    expect((await batch([item({ task_id: taskId })])).body.results[0].status).toBe(201);
    const adminItem = item();
    expect((await batch([adminItem], ADMIN_KEY, { "relay-tenant": tenant.id })).body.results[0].status).toBe(201);
    expect((await batch([adminItem], ADMIN_KEY)).status).toBe(400);
    expect(await count("SELECT count(*) AS n FROM tasks WHERE tenant_id = ?", tenant.id)).toBe(2);
    expect(await count("SELECT count(*) AS n FROM tasks WHERE tenant_id = 'default'")).toBe(1);
    expect((await api(`/v1/tasks/${adminItem.task_id}`)).status).toBe(404);
    expect((await api(`/v1/tasks/${adminItem.task_id}`, {}, tenant.key)).status).toBe(200);
    expect((await batch([item()], "wrong-key-0123456789012345")).status).toBe(401);
  });

  it("is called by the typed client", async () => {
    const client = createRelayClient("https://relay.test", {
      apiKey: API_KEY,
      fetch: (request) => exports.default.fetch(request),
    });
    const taskId = unique("typed");
    const { results } = await unwrap(
      client.POST("/v1/tasks/batch", {
        body: { tasks: [{ task_id: taskId, action: "videos", action2: "text2video", callback_url: "https://example.com/typed" }] },
      }),
    );
    const [result] = results;
    expect(result?.status).toBe(201);
    if (result && "subscription" in result) expect(result.subscription.task_id).toBe(taskId);
    else expect.unreachable("the item was registered");
  });
});
