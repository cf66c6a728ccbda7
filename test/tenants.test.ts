import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { verifyWebhook } from "../packages/client/src/verify-webhook";
import { logIn, page } from "./support/dashboard";
import { ADMIN_KEY, API_KEY, api, manualClock, postJson, receiver, resetDb, tick, upstreamTask } from "./support/relay";
import { asJson, newTenant } from "./support/tenants";

const DEFAULT_SECRET = "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0MTI=";
const HOUR = 3_600_000;

const admin = (path: string, init: RequestInit = {}) => api(`/v1/admin${path}`, init, ADMIN_KEY);
const adminJson = (method: string, path: string, body: unknown) =>
  admin(path, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

const registerAs = (key: string, body: Record<string, unknown>) =>
  postJson("/v1/tasks", { action: "videos", action2: "text2video", ...body }, key).then(asJson);

/** Every row of every table but the hourly counters, to prove a refused request changed nothing. */
async function snapshot() {
  const tables = ["tenants", "api_keys", "endpoints", "tasks", "subscriptions", "messages", "delivery_attempts"];
  return Promise.all(tables.map(async (t) => (await env.DB.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()).results));
}

describe("the admin API", () => {
  beforeEach(resetDb);

  it("creates, lists and renames tenants, with the built-in default among them", async () => {
    const created = await asJson(await adminJson("POST", "/tenants", { name: "  acme  " }));
    expect(created).toEqual({
      status: 201,
      body: {
        id: expect.stringMatching(/^ten_[0-9a-f]{24}$/),
        name: "acme",
        shared_upstream: false,
        trusted: false,
        caps: { endpoints: 100, subscriptions_per_task: 10, active_tasks: 100_000, passthrough_per_minute: 120 },
        created_at: expect.any(String),
        updated_at: expect.any(String),
        suspended_at: null,
      },
    });
    const renamed = await asJson(await adminJson("PATCH", `/tenants/${created.body.id}`, { name: "acme video" }));
    expect(renamed).toMatchObject({ status: 200, body: { id: created.body.id, name: "acme video" } });
    const list = await asJson(await admin("/tenants"));
    expect(list.body.data.map((t: { id: string; name: string }) => [t.id, t.name])).toEqual([
      ["default", "default"],
      [created.body.id, "acme video"],
    ]);
  });

  it("refuses bad names and unknown ids with the envelope, changing nothing", async () => {
    const before = await snapshot();
    for (const body of [
      {},
      { name: "" },
      { name: "   " },
      { name: "x".repeat(101) },
      { name: "a\u0000b" },
      { name: 7 },
      { name: "ok", extra: 1 },
    ])
      expect((await adminJson("POST", "/tenants", body)).status).toBe(400);
    expect((await adminJson("PATCH", "/tenants/ten_missing", { name: "x" })).status).toBe(404);
    expect((await admin("/tenants/ten_missing/keys", { method: "POST" })).status).toBe(404);
    expect((await admin("/tenants/ten_missing/keys")).status).toBe(404);
    expect((await admin("/keys/key_missing", { method: "DELETE" })).status).toBe(404);
    expect(await snapshot()).toEqual(before);
  });

  it("shows a key once, stores only its hash, lists it by prefix, and never logs it", async () => {
    const logged: string[] = [];
    const spies = (["log", "info", "warn", "error"] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(" "))),
    );
    const tenant = await newTenant();
    // Used, mistyped, used on the dashboard, revoked: the key still appears in no log line.
    expect((await api("/v1/endpoints", {}, tenant.key)).status).toBe(200);
    expect((await api("/v1/endpoints", {}, `${tenant.key}x`)).status).toBe(401);
    await logIn(tenant.key);
    expect(tenant.key).toMatch(/^rk_[A-Za-z0-9_-]{43}$/);
    expect(tenant.prefix).toBe(tenant.key.slice(0, 11));
    const listed = await admin(`/tenants/${tenant.id}/keys`);
    const text = await listed.text();
    expect(text).not.toContain(tenant.key);
    expect(JSON.parse(text).data).toEqual([
      { id: tenant.keyId, tenant_id: tenant.id, prefix: tenant.prefix, created_at: expect.any(String), revoked_at: null },
    ]);
    // Nothing in D1 holds the key in clear: only its SHA-256.
    const rows = JSON.stringify((await env.DB.prepare("SELECT * FROM api_keys").all()).results);
    expect(rows).not.toContain(tenant.key);
    expect(rows).not.toContain(tenant.key.slice(11));
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(tenant.key)));
    expect(rows).toContain([...digest].map((b) => b.toString(16).padStart(2, "0")).join(""));
    expect((await admin(`/keys/${tenant.keyId}`, { method: "DELETE" })).status).toBe(204);
    expect((await api("/v1/endpoints", {}, tenant.key)).status).toBe(401);
    for (const spy of spies) spy.mockRestore();
    expect(logged.join("\n")).not.toContain(tenant.key.slice(3));
  });

  it("answers 404 to a tenant's key and 401 to no key, as if the admin API did not exist", async () => {
    const tenant = await newTenant();
    for (const key of [tenant.key, API_KEY]) {
      const res = await asJson(await api("/v1/admin/tenants", {}, key));
      expect(res).toEqual({ status: 404, body: { error: { code: "not_found", message: "no route for GET /v1/admin/tenants" } } });
    }
    expect((await api("/v1/admin/tenants", {}, null)).status).toBe(401);
  });

  it("without ADMIN_API_KEY is a 404 for every key, and the former admin key is just unknown", async () => {
    const { app } = await import("../src/app");
    const as = (key: string) =>
      app.fetch(new Request("http://relay.test/v1/admin/tenants", { headers: { authorization: `Bearer ${key}` } }), {
        ...env,
        ADMIN_API_KEY: "",
      });
    expect((await as(API_KEY)).status).toBe(404);
    expect((await as(ADMIN_KEY)).status).toBe(401);
  });

  it("acts for one tenant on the tenant routes with Relay-Tenant, and only then", async () => {
    const tenant = await newTenant();
    const hook = await receiver();
    const sub = await registerAs(tenant.key, { task_id: "shared-task", callback_url: hook.url });
    expect(sub.status).toBe(201);
    const asAdmin = (tenantId: string | null) =>
      api("/v1/tasks/shared-task", { headers: tenantId ? { "relay-tenant": tenantId } : {} }, ADMIN_KEY).then(asJson);
    expect(await asAdmin(tenant.id)).toMatchObject({ status: 200, body: { task_id: "shared-task" } });
    expect(await asAdmin(null)).toMatchObject({ status: 400, body: { error: { code: "invalid_request" } } });
    expect(await asAdmin("ten_nobody")).toMatchObject({ status: 404, body: { error: { message: "no tenant ten_nobody" } } });
    expect(await asAdmin("default")).toMatchObject({ status: 404 });
  });

  it("answers a tenant id of no tenant id's shape (domain/ids.ts) as an unknown one: 404, never a 500", async () => {
    const malformed = "a b";
    const asAdmin = api("/v1/tasks/shared-task", { headers: { "relay-tenant": malformed } }, ADMIN_KEY).then(asJson);
    expect(await asAdmin).toMatchObject({ status: 404, body: { error: { code: "not_found", message: "no tenant a b" } } });
    const path = `/tenants/${encodeURIComponent(malformed)}`;
    for (const res of [
      await admin(path),
      await adminJson("PATCH", path, { name: "x" }),
      await admin(`${path}/keys`, { method: "POST" }),
      await admin(`${path}/suspend`, { method: "POST" }),
      await admin(path, { method: "DELETE" }),
      await admin(`${path}/credentials/cometapi`),
    ])
      expect(await asJson(res)).toMatchObject({ status: 404, body: { error: { code: "not_found", message: "no tenant a b" } } });
  });
});

describe("revoking a key", () => {
  beforeEach(resetDb);

  it("stops the key and its dashboard sessions at once; the tenant's other keys go on", async () => {
    const tenant = await newTenant();
    const second = await asJson(await admin(`/tenants/${tenant.id}/keys`, { method: "POST" }));
    expect((await api("/v1/endpoints", {}, tenant.key)).status).toBe(200);
    const browser = await logIn(tenant.key);
    expect((await page("/dashboard/tasks", {}, browser)).status).toBe(200);

    expect((await admin(`/keys/${tenant.keyId}`, { method: "DELETE" })).status).toBe(204);
    expect((await admin(`/keys/${tenant.keyId}`, { method: "DELETE" })).status).toBe(204);
    expect((await api("/v1/endpoints", {}, tenant.key)).status).toBe(401);
    expect((await page("/dashboard/tasks", {}, browser)).status).toBe(401);
    expect((await api("/v1/endpoints", {}, second.body.key)).status).toBe(200);
    const [listed] = (await asJson(await admin(`/tenants/${tenant.id}/keys`))).body.data;
    expect(listed).toMatchObject({ id: tenant.keyId, revoked_at: expect.any(String) });
  });
});

describe("isolation between tenants", () => {
  beforeEach(resetDb);

  it("answers 404 to every route with another tenant's ids, exactly as for missing ones, and changes nothing", async () => {
    const a = await newTenant("a");
    const b = await newTenant("b");
    const task = await upstreamTask([{ status: "succeed" }]);
    const hook = await receiver();
    const sub = (await registerAs(a.key, { task_id: task.id, callback_url: hook.url, metadata: { owner: "a" } })).body;
    await tick(manualClock());
    expect(await hook.deliveries()).toHaveLength(1);
    const endpointId = sub.endpoint_id as string;
    const routes: [string, string, (id: { task: string; sub: string; ep: string }) => string, unknown?][] = [
      ["GET", "task", (x) => `/v1/tasks/${x.task}`],
      ["GET", "task", (x) => `/v1/tasks/${x.task}/outputs`],
      ["GET", "subscription", (x) => `/v1/subscriptions/${x.sub}`],
      ["DELETE", "subscription", (x) => `/v1/subscriptions/${x.sub}`],
      ["POST", "subscription", (x) => `/v1/subscriptions/${x.sub}/redeliver`],
      ["GET", "endpoint", (x) => `/v1/endpoints/${x.ep}`],
      ["GET", "endpoint", (x) => `/v1/endpoints/${x.ep}/secret`],
      ["POST", "endpoint", (x) => `/v1/endpoints/${x.ep}/rotate-secret`],
      ["PATCH", "endpoint", (x) => `/v1/endpoints/${x.ep}`, { signing: ["v1", "v1a"] }],
      ["PATCH", "endpoint", (x) => `/v1/endpoints/${x.ep}`, { rate_limit_per_second: 1 }],
    ];
    const before = await snapshot();
    const theirs = { task: task.id, sub: sub.id, ep: endpointId };
    const missing = { task: "no-such-task", sub: "sub_000000000000000000000000", ep: "ep_000000000000000000000000" };
    for (const [method, , path, body] of routes) {
      const init: RequestInit = body ? { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) } : { method };
      for (const key of [b.key, API_KEY]) {
        const other = await asJson(await api(path(theirs), init, key));
        const none = await asJson(await api(path(missing), init, key));
        expect(other.status, `${method} ${path(theirs)}`).toBe(404);
        // The same answer but for the id it names: nothing says the row exists.
        expect(JSON.stringify(other.body).replace(/task [^ "]+|sub_\w+|ep_\w+/g, "ID")).toBe(
          JSON.stringify(none.body).replace(/task [^ "]+|sub_\w+|ep_\w+/g, "ID"),
        );
      }
    }
    expect((await asJson(await api("/v1/endpoints", {}, b.key))).body.data).toEqual([]);
    expect(await snapshot()).toEqual(before);
    expect(await hook.deliveries()).toHaveLength(1);
  });

  it("gives each tenant its own task for the same upstream id: no squatting, no overwriting, each polled for itself", async () => {
    const a = await newTenant("a");
    const b = await newTenant("b");
    const task = await upstreamTask([{ status: "succeed" }]);
    const [hookA, hookB] = [await receiver(), await receiver()];
    // B registers first, with another action pair and the same URL A will use.
    const squat = await registerAs(b.key, { task_id: task.id, action: "images", action2: "generations", callback_url: hookA.url });
    expect(squat.status).toBe(201);
    const mine = await registerAs(a.key, { task_id: task.id, callback_url: hookA.url, metadata: { owner: "a" } });
    expect(mine.status).toBe(201);
    expect(mine.body.endpoint_id).not.toBe(squat.body.endpoint_id);
    const other = await registerAs(b.key, {
      task_id: task.id,
      action: "images",
      action2: "generations",
      callback_url: hookB.url,
      metadata: { owner: "b" },
    });
    expect(other.status).toBe(201);
    expect((await asJson(await api(`/v1/subscriptions/${mine.body.id}`, {}, a.key))).body.metadata).toEqual({ owner: "a" });
    const rows = await env.DB.prepare("SELECT tenant_id, action FROM tasks WHERE task_id = ? ORDER BY tenant_id").bind(task.id).all();
    expect(rows.results).toEqual(
      [
        { tenant_id: a.id, action: "videos" },
        { tenant_id: b.id, action: "images" },
      ].sort((x, y) => x.tenant_id.localeCompare(y.tenant_id)),
    );
    // A's answer reaches only A's subscription; B's task asked another path upstream and stays its own.
    await tick(manualClock());
    const delivered = (await hookA.deliveries()).map((d) => JSON.parse(d.body) as { subscription_id: string });
    expect(delivered.map((d) => d.subscription_id)).toContain(mine.body.id);
  });
});

describe("per-endpoint signing secrets", () => {
  beforeEach(resetDb);

  const secretOf = async (key: string, endpointId: string) =>
    (await asJson(await api(`/v1/endpoints/${endpointId}/secret`, {}, key))).body.key as string;

  it("signs each tenant's webhook with its endpoint's secret only: no receiver can forge another's", async () => {
    const [a, b] = [await newTenant("a"), await newTenant("b")];
    const [hookA, hookB] = [await receiver(), await receiver()];
    const [taskA, taskB] = [await upstreamTask([{ status: "succeed" }]), await upstreamTask([{ status: "succeed" }])];
    const subA = (await registerAs(a.key, { task_id: taskA.id, callback_url: hookA.url })).body;
    const subB = (await registerAs(b.key, { task_id: taskB.id, callback_url: hookB.url })).body;
    await tick(manualClock());
    const [secretA, secretB] = [await secretOf(a.key, subA.endpoint_id), await secretOf(b.key, subB.endpoint_id)];
    expect(secretA).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(atob(secretA.slice(6))).toHaveLength(32);
    const [deliveryA] = await hookA.deliveries();
    const [deliveryB] = await hookB.deliveries();
    expect(deliveryA!.headers["webhook-signature"]!.split(" ")).toHaveLength(1);
    await expect(verifyWebhook(deliveryA!.body, deliveryA!.headers, secretA)).resolves.toMatchObject({ subscription_id: subA.id });
    await expect(verifyWebhook(deliveryB!.body, deliveryB!.headers, secretB)).resolves.toMatchObject({ subscription_id: subB.id });
    await expect(verifyWebhook(deliveryA!.body, deliveryA!.headers, secretB)).rejects.toThrow();
    await expect(verifyWebhook(deliveryA!.body, deliveryA!.headers, DEFAULT_SECRET)).rejects.toThrow();
  });

  it("signs the default tenant's webhooks with WEBHOOK_SECRETS and the endpoint's own secret", async () => {
    const hook = await receiver();
    const task = await upstreamTask([{ status: "succeed" }]);
    const sub = (await registerAs(API_KEY, { task_id: task.id, callback_url: hook.url })).body;
    await tick(manualClock());
    const [delivery] = await hook.deliveries();
    expect(delivery!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    await expect(verifyWebhook(delivery!.body, delivery!.headers, DEFAULT_SECRET)).resolves.toBeTruthy();
    await expect(verifyWebhook(delivery!.body, delivery!.headers, await secretOf(API_KEY, sub.endpoint_id))).resolves.toBeTruthy();
  });

  it("signs with the old and the new secret during the rotation window, then with the new one only", async () => {
    const tenant = await newTenant();
    const hook = await receiver();
    const [first, second] = [await upstreamTask([{ status: "succeed" }]), await upstreamTask([{ status: "succeed" }])];
    const sub = (await registerAs(tenant.key, { task_id: first.id, callback_url: hook.url })).body;
    const old = await secretOf(tenant.key, sub.endpoint_id);
    const rotated = await asJson(await api(`/v1/endpoints/${sub.endpoint_id}/rotate-secret`, { method: "POST" }, tenant.key));
    expect(rotated.status).toBe(200);
    const until = Date.parse(rotated.body.previous_secret_expires_at);
    expect(until - Date.now()).toBeGreaterThan(23.9 * HOUR);
    expect(until - Date.now()).toBeLessThanOrEqual(24 * HOUR);
    const fresh = await secretOf(tenant.key, sub.endpoint_id);
    expect(fresh).not.toBe(old);

    await tick(manualClock(until - 60_000));
    const [during] = await hook.deliveries();
    expect(during!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    await expect(verifyWebhook(during!.body, during!.headers, old)).resolves.toBeTruthy();
    await expect(verifyWebhook(during!.body, during!.headers, fresh)).resolves.toBeTruthy();

    await registerAs(tenant.key, { task_id: second.id, callback_url: hook.url });
    await tick(manualClock(until + 1));
    const after = (await hook.deliveries())[1]!;
    expect(after.headers["webhook-signature"]!.split(" ")).toHaveLength(1);
    await expect(verifyWebhook(after.body, after.headers, fresh)).resolves.toBeTruthy();
    await expect(verifyWebhook(after.body, after.headers, old)).rejects.toThrow();
  });

  it("adds Ed25519 (v1a) signatures on request, verifiable with the public key alone", async () => {
    const tenant = await newTenant();
    const hook = await receiver();
    const task = await upstreamTask([{ status: "succeed" }]);
    const sub = (await registerAs(tenant.key, { task_id: task.id, callback_url: hook.url })).body;
    const patch = (signing: string[]) =>
      api(
        `/v1/endpoints/${sub.endpoint_id}`,
        { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ signing }) },
        tenant.key,
      ).then(asJson);
    const on = await patch(["v1", "v1a"]);
    expect(on.body).toMatchObject({ signing: ["v1", "v1a"], public_key: expect.stringMatching(/^whpk_/) });
    expect((await patch(["v1", "v1a"])).body.public_key).toBe(on.body.public_key);
    expect((await patch(["v1a"])).status).toBe(400);
    await tick(manualClock());
    const [delivery] = await hook.deliveries();
    expect(delivery!.headers["webhook-signature"]).toMatch(/^v1,\S+ v1a,\S+$/);
    await expect(verifyWebhook(delivery!.body, delivery!.headers, on.body.public_key)).resolves.toMatchObject({ subscription_id: sub.id });
    expect(JSON.stringify((await asJson(await api(`/v1/endpoints/${sub.endpoint_id}`, {}, tenant.key))).body)).not.toContain("whsk_");
    expect((await patch(["v1"])).body).toMatchObject({ signing: ["v1"], public_key: null });
  });
});
