/**
 * Tenants isolated all the way to upstream, on the operator's account: lent, never shared. Every
 * cross-tenant attempt is compared with the answer for an id nobody has, and the other tenant's
 * rows are compared before and after.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { Env } from "../src/env";
import { ADMIN_KEY, API_KEY, api, manualClock, relayRequest, resetDb, tenantWithKey, tick, unique } from "./support/relay";

type Json = Record<string, any>;
const asJson = async (res: Response) => ({ status: res.status, body: (await res.json()) as Json });

const send = (key: string, method: string, path: string, body?: unknown, overrides: Partial<Env> = {}) =>
  relayRequest(
    path,
    {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    },
    overrides,
  );
const register = (key: string, taskId: string, url = `https://app.example.com/${unique("h")}`) =>
  send(key, "POST", "/v1/tasks", { task_id: taskId, action: "videos", action2: "text2video", callback_url: url }).then(asJson);
const createVia = (key: string, url = `https://app.example.com/${unique("h")}`) =>
  send(key, "POST", "/v1/tasks", {
    action: "videos",
    action2: "text2video",
    callback_url: url,
    create: { prompt: "p", x_sim: { submittedMs: 60_000, processingMs: 60_000 } },
  }).then(asJson);
const dropInQuery = (key: string, taskId: string, overrides: Partial<Env> = {}) =>
  send(key, "GET", `/kling/v1/videos/text2video/${taskId}`, undefined, overrides);
const admin = (method: string, path: string, body?: unknown) => send(ADMIN_KEY, method, `/v1/admin${path}`, body).then(asJson);

const sim = (path: string, init?: RequestInit) => fetch(`${env.FAKE_URL}/_sim/${path}`, init);
const simRequests = async () => ((await (await sim("stats")).json()) as { requests: { cometapi: number } }).requests.cometapi;

/** Every row that names `tenantId`, to prove a refused request changed nothing of it. */
async function rowsOf(tenantId: string) {
  const all = async (query: string) => (await env.DB.prepare(query).bind(tenantId).all()).results;
  return {
    tenant: await all("SELECT * FROM tenants WHERE id = ?"),
    tasks: await all("SELECT * FROM tasks WHERE tenant_id = ? ORDER BY id"),
    subscriptions: await all("SELECT * FROM subscriptions WHERE tenant_id = ? ORDER BY id"),
    endpoints: await all("SELECT * FROM endpoints WHERE tenant_id = ? ORDER BY id"),
    messages: await all("SELECT m.* FROM messages m JOIN subscriptions s ON s.id = m.subscription_id WHERE s.tenant_id = ? ORDER BY m.id"),
    owners: await all("SELECT * FROM upstream_owners WHERE tenant_id = ? ORDER BY task_id"),
  };
}

describe("the operator's account is lent, not shared", () => {
  beforeEach(resetDb);

  it("an untrusted tenant reaches only what it created: every other id answers the same 403, changing nothing", async () => {
    const owner = await tenantWithKey(unique("tn"), "Owner", { trusted: false });
    const created = await createVia(owner.key);
    expect(created.status).toBe(201);
    const ownersTask = created.body.task_id as string;
    // Its own task: another subscription on it is fine.
    expect((await register(owner.key, ownersTask)).status).toBe(201);
    const operatorsTask = unique("op");
    expect((await register(API_KEY, operatorsTask)).status).toBe(201);

    const intruder = await tenantWithKey(unique("tn"), "Intruder", { trusted: false });
    const before = [await rowsOf(owner.id), await rowsOf("default"), await rowsOf(intruder.id)];
    const answers = [];
    for (const id of [ownersTask, operatorsTask, unique("nobody")]) {
      const registered = await register(intruder.key, id);
      const queried = await asJson(await dropInQuery(intruder.key, id));
      answers.push([registered, queried]);
    }
    expect(answers[0]![0]).toEqual({
      status: 403,
      body: {
        error: {
          code: "own_credentials_required",
          message: expect.stringContaining("PUT /v1/credentials/cometapi"),
        },
      },
    });
    expect(answers[0]?.[1]?.status).toBe(403);
    // The same answer for the other tenant's task, the operator's task and an id nobody has.
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    expect([await rowsOf(owner.id), await rowsOf("default"), await rowsOf(intruder.id)]).toEqual(before);
  });

  it("a trusted tenant registers any id but another tenant's created task, which answers 404 task_not_found", async () => {
    const owner = await tenantWithKey(unique("tn"), "Owner", { trusted: false });
    const created = await createVia(owner.key);
    const trusted = await tenantWithKey(unique("tn"), "Trusted");
    const before = await rowsOf(owner.id);
    const requestsBefore = await simRequests();
    const refused = await register(trusted.key, created.body.task_id);
    expect(refused).toEqual({
      status: 404,
      body: {
        error: { code: "task_not_found", message: `no task ${created.body.task_id} with provider cometapi is available to this tenant` },
      },
    });
    const queried = await asJson(await dropInQuery(trusted.key, created.body.task_id));
    expect(queried).toEqual(refused);
    // Nothing was asked of upstream for it, and nothing of the owner changed.
    expect(await simRequests()).toBe(requestsBefore);
    expect(await rowsOf(owner.id)).toEqual(before);
    expect((await rowsOf(trusted.id)).tasks).toEqual([]);
    // An id the relay did not create: registered, and passed through on a query.
    expect((await register(trusted.key, unique("free"))).status).toBe(201);
    expect((await dropInQuery(trusted.key, unique("free"))).headers.get("x-relay-cache")).toBe("pass");
  });

  it("a tenant with no account for the provider gets 400 upstream_not_configured, and nothing reaches upstream", async () => {
    const tenant = await tenantWithKey(unique("tn"), "Unlent", { sharedUpstream: false, trusted: false });
    const requestsBefore = await simRequests();
    const registered = await register(tenant.key, unique("t"));
    expect(registered).toMatchObject({
      status: 400,
      body: { error: { code: "upstream_not_configured", details: [{ field: "provider" }] } },
    });
    expect(registered.body.error.message).toContain("provider cometapi");
    expect((await createVia(tenant.key)).body.error.code).toBe("upstream_not_configured");
    expect((await send(tenant.key, "POST", "/kling/v1/videos/text2video", { prompt: "p" })).status).toBe(400);
    expect((await asJson(await dropInQuery(tenant.key, unique("t")))).body.error.code).toBe("upstream_not_configured");
    // Trusted alone lends nothing.
    const trustedOnly = await tenantWithKey(unique("tn"), "Trusted only", { sharedUpstream: false });
    expect((await register(trustedOnly.key, unique("t"))).status).toBe(400);
    expect(await simRequests()).toBe(requestsBefore);
    expect((await rowsOf(tenant.id)).tasks).toEqual([]);
  });

  it("refuses a batch item the tenant may not reach, alone: the others are written", async () => {
    const owner = await tenantWithKey(unique("tn"), "Owner", { trusted: false });
    const created = await createVia(owner.key);
    const own = await createVia(owner.key);
    const item = (taskId: string) => ({
      task_id: taskId,
      action: "videos",
      action2: "text2video",
      callback_url: "https://app.example.com/b",
    });
    const batch = await asJson(
      await send(owner.key, "POST", "/v1/tasks/batch", {
        tasks: [item(created.body.task_id), item(unique("other")), item(own.body.task_id)],
      }),
    );
    expect(batch.body.results.map((r: Json) => [r.status, r.error?.code])).toEqual([
      [201, undefined],
      [403, "own_credentials_required"],
      [201, undefined],
    ]);
  });

  it("remembers a task's creator for 35 days, past Kling's 30, then forgets it at a tick", async () => {
    const day = 86_400_000;
    const now = Date.now();
    await env.DB.batch(
      [
        ["old", now - 36 * day],
        ["young", now - 34 * day],
      ].map(([id, at]) =>
        env.DB.prepare("INSERT INTO upstream_owners (provider, task_id, tenant_id, created_at) VALUES ('cometapi', ?, 'default', ?)").bind(
          id,
          at,
        ),
      ),
    );
    await tick(manualClock(now));
    const left = await env.DB.prepare("SELECT task_id FROM upstream_owners ORDER BY task_id").all();
    expect(left.results).toEqual([{ task_id: "young" }]);
  });

  it("passes at most caps.passthrough_per_minute queries through a minute, then 429 with Retry-After", async () => {
    const tenant = await tenantWithKey(unique("tn"), "Prober");
    expect((await admin("PATCH", `/tenants/${tenant.id}`, { caps: { passthrough_per_minute: 3 } })).status).toBe(200);
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await dropInQuery(tenant.key, unique("probe"))).status);
    expect(statuses).toEqual([404, 404, 404, 429, 429]);
    const refused = await dropInQuery(tenant.key, unique("probe"));
    expect(await refused.json()).toMatchObject({ error: { code: "passthrough_limit_reached" } });
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    // Another tenant's allowance is its own.
    expect((await dropInQuery(API_KEY, unique("probe"))).status).toBe(404);
    // The binding, when bound, limits as well.
    const limiter = { limit: async () => ({ success: false }) } as unknown as RateLimit;
    expect((await dropInQuery(API_KEY, unique("probe"), { UPSTREAM_QUERY_LIMITER: limiter })).status).toBe(429);
  });
});

describe("caps per tenant", () => {
  beforeEach(resetDb);

  it("refuses a new endpoint, subscription or task past its cap with a code naming it, storing nothing of it", async () => {
    const tenant = await tenantWithKey(unique("tn"), "Capped");
    const set = await admin("PATCH", `/tenants/${tenant.id}`, { caps: { endpoints: 2, subscriptions_per_task: 2, active_tasks: 3 } });
    expect(set.body.caps).toEqual({ endpoints: 2, subscriptions_per_task: 2, active_tasks: 3, passthrough_per_minute: 120 });
    const [a, b, c] = ["https://app.example.com/a", "https://app.example.com/b", "https://app.example.com/c"];
    const t1 = unique("t");
    expect((await register(tenant.key, t1, a)).status).toBe(201);
    expect((await register(tenant.key, t1, b)).status).toBe(201);
    const before = await rowsOf(tenant.id);
    const third = await register(tenant.key, t1, c);
    expect(third).toMatchObject({ status: 409, body: { error: { code: "endpoint_limit_reached" } } });
    expect(third.body.error.message).toContain("DELETE /v1/endpoints/{id}");
    expect(await rowsOf(tenant.id)).toEqual(before);
    // Registering again what exists is never new.
    expect((await register(tenant.key, t1, a)).status).toBe(200);
    // More room for endpoints: now the subscriptions per task are the limit.
    await admin("PATCH", `/tenants/${tenant.id}`, { caps: { endpoints: null } });
    expect((await register(tenant.key, t1, c)).body.error.code).toBe("subscription_limit_reached");
    // Tasks: two more fit (three in all), the fourth does not.
    expect((await register(tenant.key, unique("t"), a)).status).toBe(201);
    expect((await register(tenant.key, unique("t"), a)).status).toBe(201);
    const over = await send(tenant.key, "POST", "/v1/tasks", {
      task_id: unique("t"),
      action: "videos",
      action2: "text2video",
      callback_url: a,
    });
    expect(over.status).toBe(429);
    expect(over.headers.get("retry-after")).toBe("60");
    expect(await over.json()).toMatchObject({ error: { code: "active_task_limit_reached" } });
    // A create past the cap is refused before upstream is asked.
    const requestsBefore = await simRequests();
    expect((await createVia(tenant.key, a)).status).toBe(429);
    expect(await simRequests()).toBe(requestsBefore);
    expect((await rowsOf(tenant.id)).tasks).toHaveLength(3);
  });

  it("counts a batch's own new endpoints and tasks against the caps of the items after them", async () => {
    const tenant = await tenantWithKey(unique("tn"), "Batch");
    await admin("PATCH", `/tenants/${tenant.id}`, { caps: { endpoints: 2, subscriptions_per_task: 10, active_tasks: 100 } });
    const t = unique("t");
    const items = ["a", "b", "c", "a"].map((h, i) => ({
      task_id: i === 3 ? unique("t") : t,
      action: "videos",
      action2: "text2video",
      callback_url: `https://app.example.com/${h}`,
    }));
    const batch = await asJson(await send(tenant.key, "POST", "/v1/tasks/batch", { tasks: items }));
    expect(batch.body.results.map((r: Json) => [r.status, r.error?.code])).toEqual([
      [201, undefined],
      [201, undefined],
      [409, "endpoint_limit_reached"],
      [201, undefined],
    ]);
    expect((await rowsOf(tenant.id)).endpoints).toHaveLength(2);
  });

  it("one tenant's caps never count another's rows", async () => {
    const first = await tenantWithKey(unique("tn"), "First");
    const second = await tenantWithKey(unique("tn"), "Second");
    await admin("PATCH", `/tenants/${first.id}`, { caps: { endpoints: 1 } });
    await admin("PATCH", `/tenants/${second.id}`, { caps: { endpoints: 1 } });
    expect((await register(first.key, unique("t"), "https://app.example.com/1")).status).toBe(201);
    expect((await register(second.key, unique("t"), "https://app.example.com/2")).status).toBe(201);
    expect((await register(second.key, unique("t"), "https://app.example.com/3")).status).toBe(409);
  });
});

describe("the admin's flags and caps", () => {
  beforeEach(resetDb);

  it("shows and changes a tenant's flags and caps; a null cap goes back to its default", async () => {
    const created = await admin("POST", "/tenants", { name: "acme" });
    expect(created.body).toMatchObject({ shared_upstream: false, trusted: false });
    const id = created.body.id as string;
    const changed = await admin("PATCH", `/tenants/${id}`, { shared_upstream: true, caps: { endpoints: 5, active_tasks: 0 } });
    expect(changed).toMatchObject({
      status: 200,
      body: { name: "acme", shared_upstream: true, trusted: false, caps: { endpoints: 5, active_tasks: 0, subscriptions_per_task: 10 } },
    });
    expect(await admin("GET", `/tenants/${id}`)).toEqual(changed);
    const reset = await admin("PATCH", `/tenants/${id}`, { caps: { endpoints: null } });
    expect(reset.body.caps).toMatchObject({ endpoints: 100, active_tasks: 0 });
    expect((await admin("GET", "/tenants/default")).body).toMatchObject({ shared_upstream: true, trusted: true });
  });

  it("refuses bad changes with the envelope, changing nothing; a missing tenant is a 404", async () => {
    const id = (await admin("POST", "/tenants", { name: "acme" })).body.id as string;
    const before = await rowsOf(id);
    for (const body of [
      {},
      { shared_upstream: "yes" },
      { caps: { endpoints: -1 } },
      { caps: { endpoints: 1.5 } },
      { caps: { endpoints: 1e12 } },
      { caps: { unknown: 1 } },
      { trusted: true, extra: 1 },
    ])
      expect((await admin("PATCH", `/tenants/${id}`, body)).status, JSON.stringify(body)).toBe(400);
    expect(await rowsOf(id)).toEqual(before);
    const unlend = await admin("PATCH", "/tenants/default", { trusted: false });
    expect(unlend).toMatchObject({ status: 400, body: { error: { code: "invalid_request", details: [{ field: "trusted" }] } } });
    expect((await admin("GET", "/tenants/ten_missing")).status).toBe(404);
    expect((await admin("PATCH", "/tenants/ten_missing", { trusted: true })).status).toBe(404);
    // Only the admin: a tenant's key gets the 404 of a route that does not exist.
    expect((await send(API_KEY, "PATCH", `/v1/admin/tenants/${id}`, { trusted: true })).status).toBe(404);
    expect((await api(`/v1/admin/tenants/${id}`)).status).toBe(404);
  });
});
