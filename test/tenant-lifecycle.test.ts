/**
 * A tenant's lifecycle: suspended (its keys refused, its work waiting, nothing lost), resumed (its
 * work goes on), deleted (404 at once, its rows removed by the tick in bounded steps), and
 * `DELETE /v1/endpoints/{id}`. Every refused or cross-tenant request is compared with the answer
 * to a missing id and with a snapshot of the rows before and after.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { PARKED_FROM } from "../src/storage/parking";
import { logIn, page, postForm } from "./support/dashboard";
import { ADMIN_KEY, API_KEY, api, manualClock, pollOnly, postJson, receiver, resetDb, tick, upstreamTask } from "./support/relay";
import { asJson, newTenant } from "./support/tenants";

const admin = (path: string, init: RequestInit = {}) => api(`/v1/admin${path}`, init, ADMIN_KEY);
const adminJson = (method: string, path: string, body: unknown) =>
  admin(path, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

const registerAs = (key: string, body: Record<string, unknown>) =>
  postJson("/v1/tasks", { action: "videos", action2: "text2video", ...body }, key).then(asJson);

const TABLES = [
  "tenants",
  "api_keys",
  "endpoints",
  "tasks",
  "subscriptions",
  "messages",
  "delivery_attempts",
  "archive_files",
  "tenant_credentials",
];
/** Every row of every table (or only `tenant`'s rows), to prove a request or a purge changed nothing else. */
async function snapshot(tenant?: string) {
  const only: Record<string, string> = {
    tenants: "id = ?1",
    api_keys: "tenant_id = ?1",
    endpoints: "tenant_id = ?1",
    tasks: "tenant_id = ?1",
    subscriptions: "tenant_id = ?1",
    messages: "subscription_id IN (SELECT id FROM subscriptions WHERE tenant_id = ?1)",
    delivery_attempts:
      "message_id IN (SELECT m.id FROM messages m JOIN subscriptions s ON s.id = m.subscription_id WHERE s.tenant_id = ?1)",
    archive_files: "task_key IN (SELECT id FROM tasks WHERE tenant_id = ?1)",
    tenant_credentials: "tenant_id = ?1",
  };
  return Promise.all(
    TABLES.map(async (t) => {
      const where = tenant === undefined ? "" : `WHERE ${only[t]}`;
      const stmt = env.DB.prepare(`SELECT * FROM ${t} ${where} ORDER BY rowid`);
      return (await (tenant === undefined ? stmt : stmt.bind(tenant)).all()).results;
    }),
  );
}

const messagesOf = async (tenant: string) =>
  (
    await env.DB.prepare(
      "SELECT m.status, m.attempts, m.next_attempt_at FROM messages m JOIN subscriptions s ON s.id = m.subscription_id WHERE s.tenant_id = ?",
    )
      .bind(tenant)
      .all<{ status: string; attempts: number; next_attempt_at: number | null }>()
  ).results;

describe("suspending a tenant", () => {
  beforeEach(resetDb);

  it("refuses its keys and sessions with 403 tenant_suspended, lets the admin act for it, and resumes", async () => {
    const a = await newTenant();
    const browser = await logIn(a.key);
    const suspended = await asJson(await admin(`/tenants/${a.id}/suspend`, { method: "POST" }));
    expect(suspended).toMatchObject({ status: 200, body: { id: a.id, suspended_at: expect.any(String) } });
    expect(await asJson(await api("/v1/endpoints", {}, a.key))).toEqual({
      status: 403,
      body: { error: { code: "tenant_suspended", message: "this key's tenant is suspended; ask the relay's operator" } },
    });
    // Nothing registered while suspended.
    const before = await snapshot();
    expect((await registerAs(a.key, { task_id: "t-1", callback_url: (await receiver()).url })).status).toBe(403);
    expect(await snapshot()).toEqual(before);
    expect((await page("/dashboard/tasks", {}, browser)).status).toBe(403);
    expect((await postForm("/dashboard/login", [["api_key", a.key]])).status).toBe(403);
    // The admin still acts for it; the other tenants' keys are untouched.
    expect((await api("/v1/endpoints", { headers: { "relay-tenant": a.id } }, ADMIN_KEY)).status).toBe(200);
    expect((await api("/v1/endpoints", {}, API_KEY)).status).toBe(200);
    // Suspending twice keeps the first time.
    const again = await asJson(await admin(`/tenants/${a.id}/suspend`, { method: "POST" }));
    expect(again.body.suspended_at).toBe(suspended.body.suspended_at);

    expect(await asJson(await admin(`/tenants/${a.id}/resume`, { method: "POST" }))).toMatchObject({
      status: 200,
      body: { suspended_at: null },
    });
    expect((await api("/v1/endpoints", {}, a.key)).status).toBe(200);
    expect((await page("/dashboard/tasks", {}, browser)).status).toBe(200);
  });

  it("suspends the default tenant's configured keys too", async () => {
    expect((await admin("/tenants/default/suspend", { method: "POST" })).status).toBe(200);
    expect((await asJson(await api("/v1/endpoints"))).body.error.code).toBe("tenant_suspended");
    expect((await admin("/tenants/default/resume", { method: "POST" })).status).toBe(200);
    expect((await api("/v1/endpoints")).status).toBe(200);
  });

  it("answers 404 for unknown ids, changing nothing", async () => {
    const before = await snapshot();
    for (const path of ["/tenants/ten_missing/suspend", "/tenants/ten_missing/resume"])
      expect(await asJson(await admin(path, { method: "POST" }))).toEqual({
        status: 404,
        body: { error: { code: "not_found", message: "no tenant ten_missing" } },
      });
    expect(await snapshot()).toEqual(before);
  });

  it("parks its polls and deliveries without spending attempts, other tenants go on, and the resume sends everything", async () => {
    const [a, b] = [await newTenant("a"), await newTenant("b")];
    const [hookA, hookB] = [await receiver(), await receiver()];
    const waiting = await upstreamTask([{ status: "processing" }, { status: "succeed" }]);
    const delivered = await upstreamTask([{ status: "succeed" }]);
    const other = await upstreamTask([{ status: "succeed" }]);
    expect((await registerAs(a.key, { task_id: waiting.id, callback_url: hookA.url })).status).toBe(201);
    expect((await registerAs(a.key, { task_id: delivered.id, callback_url: hookA.url })).status).toBe(201);
    expect((await registerAs(b.key, { task_id: other.id, callback_url: hookB.url })).status).toBe(201);
    // A's succeeded task has its webhook created but not sent yet; then A is suspended.
    const clock = manualClock();
    await pollOnly(clock);
    expect(await messagesOf(a.id)).toEqual([{ status: "pending", attempts: 0, next_attempt_at: expect.any(Number) }]);
    const pollsBefore = await waiting.polls();
    expect((await admin(`/tenants/${a.id}/suspend`, { method: "POST" })).status).toBe(200);

    for (let i = 0; i < 3; i++) {
      clock.advance(120_000);
      await tick(clock);
    }
    // A: not polled, nothing sent, no attempt spent; its rows parked out of every claim's way.
    expect(await waiting.polls()).toBe(pollsBefore);
    expect(await hookA.deliveries()).toHaveLength(0);
    const [parked] = await messagesOf(a.id);
    expect(parked).toMatchObject({ status: "pending", attempts: 0 });
    expect(parked!.next_attempt_at).toBeGreaterThanOrEqual(PARKED_FROM);
    const task = await env.DB.prepare("SELECT next_poll_at FROM tasks WHERE tenant_id = ? AND task_id = ?")
      .bind(a.id, waiting.id)
      .first<{ next_poll_at: number }>();
    expect(task!.next_poll_at).toBeGreaterThanOrEqual(PARKED_FROM);
    // B went on.
    expect(await hookB.deliveries()).toHaveLength(1);

    expect((await admin(`/tenants/${a.id}/resume`, { method: "POST" })).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      clock.advance(120_000);
      await tick(clock);
    }
    const sent = (await hookA.deliveries()).map((d) => JSON.parse(d.body) as { type: string; task_id: string });
    expect(sent.map((d) => `${d.task_id} ${d.type}`).sort()).toEqual(
      [`${delivered.id} task.succeeded`, `${waiting.id} task.succeeded`].sort(),
    );
    expect((await messagesOf(a.id)).every((m) => m.status === "delivered" && m.attempts === 1)).toBe(true);
  });

  it("shows a parked poll or attempt as waiting, not as a date: null in the API, 'tenant suspended' on the dashboard", async () => {
    const a = await newTenant("a");
    const hook = await receiver();
    const waiting = await upstreamTask([{ status: "processing" }, { status: "processing" }, { status: "processing" }]);
    const delivered = await upstreamTask([{ status: "succeed" }]);
    expect((await registerAs(a.key, { task_id: waiting.id, callback_url: hook.url })).status).toBe(201);
    const sub = await registerAs(a.key, { task_id: delivered.id, callback_url: hook.url });
    const clock = manualClock();
    await pollOnly(clock);
    expect((await admin(`/tenants/${a.id}/suspend`, { method: "POST" })).status).toBe(200);
    clock.advance(120_000);
    await tick(clock);
    expect((await messagesOf(a.id))[0]!.next_attempt_at).toBeGreaterThanOrEqual(PARKED_FROM);

    const asAdmin = { headers: { "relay-tenant": a.id } };
    const task = await asJson(await api(`/v1/tasks/${waiting.id}`, asAdmin, ADMIN_KEY));
    expect(task).toMatchObject({ status: 200, body: { next_poll_at: null, finished_at: null } });
    const view = await asJson(await api(`/v1/subscriptions/${sub.body.id}`, asAdmin, ADMIN_KEY));
    expect(view.body.deliveries).toEqual([expect.objectContaining({ status: "pending", next_attempt_at: null })]);
    const withDeliveries = await asJson(await api(`/v1/tasks/${delivered.id}`, asAdmin, ADMIN_KEY));
    expect(withDeliveries.body.subscriptions[0].deliveries[0]).toMatchObject({ status: "pending", next_attempt_at: null });

    const browser = await logIn(ADMIN_KEY);
    const pages = [
      `/dashboard/tasks/${waiting.id}?tenant=${a.id}`,
      `/dashboard/tasks/${delivered.id}?tenant=${a.id}`,
      `/dashboard/tasks?tenant=${a.id}`,
    ];
    for (const path of pages) {
      const res = await page(path, {}, browser);
      const html = await res.text();
      expect(res.status, path).toBe(200);
      expect(html, path).toContain("waiting: tenant suspended");
      expect(html, path).not.toMatch(/next (poll|attempt) in|polling, next in/);
    }

    // Resumed and unparked: real times again.
    expect((await admin(`/tenants/${a.id}/resume`, { method: "POST" })).status).toBe(200);
    await tick(clock);
    expect((await asJson(await api(`/v1/tasks/${waiting.id}`, asAdmin, ADMIN_KEY))).body.next_poll_at).toEqual(expect.any(String));
  });

  it("does not poll a suspended tenant's task for an upstream callback", async () => {
    const a = await newTenant();
    const task = await upstreamTask([{ status: "succeed" }]);
    expect((await registerAs(a.key, { task_id: task.id, callback_url: (await receiver()).url })).status).toBe(201);
    expect((await admin(`/tenants/${a.id}/suspend`, { method: "POST" })).status).toBe(200);
    const { actOnCallback } = await import("../src/inbound/push-work");
    const report = await actOnCallback(
      env,
      "cometapi",
      { taskId: task.id, status: "succeed", outcome: { kind: "unknown" } } as never,
      false,
    );
    expect(report.claimed).toBe(0);
    expect(await task.polls()).toBe(0);
  });
});

describe("deleting a tenant", () => {
  beforeEach(resetDb);

  it("refuses the default tenant and unknown ids, changing nothing", async () => {
    const before = await snapshot();
    expect(await asJson(await admin("/tenants/default", { method: "DELETE" }))).toMatchObject({
      status: 409,
      body: { error: { code: "conflict", message: expect.stringContaining("the default tenant cannot be deleted") } },
    });
    expect(await asJson(await admin("/tenants/ten_missing", { method: "DELETE" }))).toEqual({
      status: 404,
      body: { error: { code: "not_found", message: "no tenant ten_missing" } },
    });
    expect(await snapshot()).toEqual(before);
  });

  it("answers 404 for it everywhere at once, stops its keys, and the tick removes its rows and nobody else's", async () => {
    const [a, b] = [await newTenant("a"), await newTenant("b")];
    const browser = await logIn(a.key);
    const task = await upstreamTask([{ status: "succeed" }]);
    const [hookA, hookB] = [await receiver(), await receiver()];
    expect((await registerAs(a.key, { task_id: task.id, callback_url: hookA.url })).status).toBe(201);
    expect((await registerAs(b.key, { task_id: task.id, callback_url: hookB.url })).status).toBe(201);
    // Its own upstream credentials go with it.
    expect((await adminJson("PUT", `/tenants/${a.id}/credentials/kling`, { api_key: "a-kling-key-0123456789" })).status).toBe(200);
    const clock = manualClock();
    await pollOnly(clock);
    const othersBefore = [await snapshot(b.id), await snapshot("default")];

    expect((await admin(`/tenants/${a.id}`, { method: "DELETE" })).status).toBe(204);
    const missing = async (id: string) =>
      Promise.all([
        asJson(await adminJson("PATCH", `/tenants/${id}`, { name: "x" })),
        asJson(await admin(`/tenants/${id}/keys`)),
        asJson(await admin(`/tenants/${id}/keys`, { method: "POST" })),
        asJson(await admin(`/tenants/${id}/suspend`, { method: "POST" })),
        asJson(await admin(`/tenants/${id}`, { method: "DELETE" })),
        asJson(await api("/v1/endpoints", { headers: { "relay-tenant": id } }, ADMIN_KEY)),
      ]);
    const gone = JSON.stringify(await missing(a.id)).replaceAll(a.id, "ID");
    expect(gone).toBe(JSON.stringify(await missing("ten_000000000000000000000000")).replaceAll("ten_000000000000000000000000", "ID"));
    expect((await asJson(await admin(`/keys/${a.keyId}`, { method: "DELETE" }))).status).toBe(404);
    expect((await asJson(await admin("/tenants"))).body.data.map((t: { id: string }) => t.id)).not.toContain(a.id);
    expect((await api("/v1/endpoints", {}, a.key)).status).toBe(401);
    expect((await page("/dashboard/tasks", {}, browser)).status).toBe(401);

    // One step for its task and what hangs from it, the next for its endpoint, key and the tenant row.
    await tick(clock);
    await tick(clock);
    expect(await hookA.deliveries()).toHaveLength(0);
    expect(await hookB.deliveries()).toHaveLength(1);
    expect(await snapshot(a.id)).toEqual(TABLES.map(() => []));
    // B's rows changed only by its own delivery; the default tenant's not at all.
    expect(await snapshot("default")).toEqual(othersBefore[1]);
    const [, , , bTasks] = await snapshot(b.id);
    expect(bTasks).toHaveLength(1);
  });

  it("removes a tenant with thousands of rows across bounded ticks under the real clock, touching no other tenant's rows", async () => {
    const [a, b] = [await newTenant("big"), await newTenant("other")];
    const hook = await receiver();
    expect((await registerAs(b.key, { task_id: "b-task", callback_url: hook.url })).status).toBe(201);
    // 2,000 settled tasks of A, each with a subscription, a delivered message and an attempt.
    const now = Date.now();
    await env.DB.batch([
      env.DB.prepare(
        `INSERT INTO endpoints (id, tenant_id, url, secret, created_at, updated_at) VALUES ('ep_big', ?1, 'https://a.example/hook', 'whsec_x', ?2, ?2)`,
      ).bind(a.id, now),
      env.DB.prepare(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
        INSERT INTO tasks (id, tenant_id, provider, task_id, action, action2, settled_at, created_at, updated_at)
        SELECT 'tsk_big_' || i, ?1, 'cometapi', 'big-' || i, 'videos', 'text2video', ?2, ?2, ?2 FROM n`,
      ).bind(a.id, now),
      env.DB.prepare(
        `INSERT INTO subscriptions (id, tenant_id, task_key, endpoint_id, callback_url, events, status, created_at, updated_at)
        SELECT 'sub_big_' || substr(id, 9), tenant_id, id, 'ep_big', 'https://a.example/hook', '["task.succeeded"]', 'delivered', ?2, ?2
        FROM tasks WHERE tenant_id = ?1`,
      ).bind(a.id, now),
      env.DB.prepare(
        `INSERT INTO messages (id, subscription_id, tenant_id, endpoint_id, event_type, status, state, attempts, created_at, updated_at)
        SELECT 'msg_big_' || substr(id, 9), id, tenant_id, endpoint_id, 'task.succeeded', 'delivered', 'delivered', 1, ?2, ?2
        FROM subscriptions WHERE tenant_id = ?1`,
      ).bind(a.id, now),
      env.DB.prepare(
        `INSERT INTO delivery_attempts (message_id, attempted_at, status_code, duration_ms)
        SELECT m.id, ?2, 200, 5 FROM messages m JOIN subscriptions s ON s.id = m.subscription_id WHERE s.tenant_id = ?1`,
      ).bind(a.id, now),
      env.DB.prepare(
        `INSERT INTO idempotency_keys (tenant_id, key, request_hash, state, created_at, updated_at) VALUES (?1, 'k1', 'h', 'done', ?2, ?2)`,
      ).bind(a.id, now),
    ]);
    const others = [await snapshot(b.id), await snapshot("default")];
    expect((await admin(`/tenants/${a.id}`, { method: "DELETE" })).status).toBe(204);

    // Each tick ends on its own (a short wall budget), under the real clock, within a deadline.
    const deadline = Date.now() + 60_000;
    let ticks = 0;
    const remaining = async () =>
      (await env.DB.prepare("SELECT (SELECT count(*) FROM tasks WHERE tenant_id = ?1) + (SELECT count(*) FROM tenants WHERE id = ?1) AS n")
        .bind(a.id)
        .first<{ n: number }>())!.n;
    const counts: number[] = [];
    while ((await remaining()) > 0) {
      expect(Date.now(), "the deletion finished before the deadline").toBeLessThan(deadline);
      const report = await tick(undefined, { TICK_WALL_BUDGET_SECONDS: "1" });
      expect(report.endReason).not.toBeNull();
      counts.push(report.tenantDeletion?.tasks ?? 0);
      ticks += 1;
    }
    expect(ticks).toBeGreaterThan(2);
    expect(Math.max(...counts)).toBeLessThanOrEqual(500);
    expect(await snapshot(a.id)).toEqual(TABLES.map(() => []));
    const left = await env.DB.prepare("SELECT count(*) AS n FROM idempotency_keys WHERE tenant_id = ?").bind(a.id).first<{ n: number }>();
    expect(left!.n).toBe(0);
    // B's one task was polled and delivered meanwhile: compare what the purge could have touched.
    const [bTenants, bKeys, bEndpoints] = await snapshot(b.id);
    expect([bTenants, bKeys, bEndpoints]).toEqual(others[0]!.slice(0, 3));
    expect(await snapshot("default")).toEqual(others[1]);
  }, 90_000);
});

describe("DELETE /v1/endpoints/{id}", () => {
  beforeEach(resetDb);

  it("cancels its active subscriptions and their pending messages, removes its secrets, and a new registration makes a new endpoint", async () => {
    const a = await newTenant();
    const hook = await receiver();
    const task = await upstreamTask([{ status: "succeed" }]);
    const sub = await registerAs(a.key, { task_id: task.id, callback_url: hook.url });
    await pollOnly(manualClock());
    const endpointId = sub.body.endpoint_id as string;
    expect((await api(`/v1/endpoints/${endpointId}`, { method: "DELETE" }, a.key)).status).toBe(204);
    expect((await api(`/v1/endpoints/${endpointId}/secret`, {}, a.key)).status).toBe(404);
    expect((await api(`/v1/endpoints/${endpointId}`, { method: "DELETE" }, a.key)).status).toBe(404);
    expect((await asJson(await api(`/v1/subscriptions/${sub.body.id}`, {}, a.key))).body.status).toBe("cancelled");
    expect(await messagesOf(a.id)).toEqual([{ status: "cancelled", attempts: 0, next_attempt_at: null }]);
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM endpoints WHERE id = ?").bind(endpointId).first<{ n: number }>();
    expect(rows!.n).toBe(0);
    await tick(manualClock());
    expect(await hook.deliveries()).toHaveLength(0);
    // Registered again: a new endpoint with a new secret signs the revived subscription.
    const again = await registerAs(a.key, { task_id: task.id, callback_url: hook.url });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(sub.body.id);
    expect(again.body.endpoint_id).not.toBe(endpointId);
    await tick(manualClock());
    expect(await hook.deliveries()).toHaveLength(1);
  });

  it("answers another tenant's endpoint exactly like a missing one, and changes nothing", async () => {
    const [a, b] = [await newTenant("a"), await newTenant("b")];
    const sub = await registerAs(a.key, { task_id: "t-x", callback_url: (await receiver()).url });
    const before = await snapshot();
    const other = await asJson(await api(`/v1/endpoints/${sub.body.endpoint_id}`, { method: "DELETE" }, b.key));
    const none = await asJson(await api("/v1/endpoints/ep_000000000000000000000000", { method: "DELETE" }, b.key));
    expect(other.status).toBe(404);
    expect(JSON.stringify(other.body).replace(/ep_\w+/g, "ID")).toBe(JSON.stringify(none.body).replace(/ep_\w+/g, "ID"));
    expect((await api(`/v1/endpoints/${sub.body.endpoint_id}`, { method: "DELETE" }, API_KEY)).status).toBe(404);
    expect(await snapshot()).toEqual(before);
  });
});
