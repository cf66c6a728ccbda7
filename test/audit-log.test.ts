/**
 * The audit log: an entry for each audited action (who, what, to what, from where, never a
 * secret), each tenant seeing only its own, the admin's filter and pages, retention, and the
 * dashboard's page.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { logIn, page } from "./support/dashboard";
import { ADMIN_KEY, API_KEY, api, manualClock, postJson, receiver, resetDb, tick, unique } from "./support/relay";
import { asJson, newTenant } from "./support/tenants";

const ADDRESS = "203.0.113.7";
const from = (init: RequestInit = {}): RequestInit => ({ ...init, headers: { ...(init.headers as object), "cf-connecting-ip": ADDRESS } });
const admin = (path: string, init: RequestInit = {}) => api(`/v1/admin${path}`, from(init), ADMIN_KEY);
const adminJson = (method: string, path: string, body: unknown) =>
  admin(path, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

/** A tenant made by the admin from ADDRESS (see support/tenants.ts). */
const newTenantFrom = (name?: string) => newTenant(name, { "cf-connecting-ip": ADDRESS });

async function endpointOf(key: string) {
  const res = await postJson(
    "/v1/tasks",
    { action: "videos", action2: "text2video", task_id: unique("t"), callback_url: (await receiver()).url },
    key,
  );
  return ((await res.json()) as { endpoint_id: string }).endpoint_id;
}

type Entry = {
  id: string;
  action: string;
  target: string;
  tenant_id: string | null;
  actor: Record<string, unknown>;
  client_address: string | null;
  detail: unknown;
};
const entries = async (path: string, key = ADMIN_KEY): Promise<Entry[]> => (await asJson(await api(path, {}, key))).body.data as Entry[];

describe("the audit log", () => {
  beforeEach(resetDb);

  it("records each audited action with its actor, target and address, and never a secret", async () => {
    const a = await newTenantFrom("acme");
    expect((await adminJson("PATCH", `/tenants/${a.id}`, { name: "acme video" })).status).toBe(200);
    const second = await asJson(await admin(`/tenants/${a.id}/keys`, { method: "POST" }));
    expect((await admin(`/keys/${second.body.id}`, { method: "DELETE" })).status).toBe(204);
    const ep = await endpointOf(a.key);
    const secret = (await asJson(await api(`/v1/endpoints/${ep}/secret`, from(), a.key))).body.key as string;
    expect((await api(`/v1/endpoints/${ep}/rotate-secret`, from({ method: "POST" }), a.key)).status).toBe(200);
    const patch = { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ signing: ["v1", "v1a"] }) };
    expect((await api(`/v1/endpoints/${ep}`, from(patch), a.key)).status).toBe(200);
    const rotatedSecret = (await asJson(await api(`/v1/endpoints/${ep}/secret`, from(), a.key))).body.key as string;
    expect((await api(`/v1/endpoints/${ep}`, from({ method: "DELETE" }), a.key)).status).toBe(204);
    expect((await admin(`/tenants/${a.id}/suspend`, { method: "POST" })).status).toBe(200);
    expect((await admin(`/tenants/${a.id}/resume`, { method: "POST" })).status).toBe(200);
    expect((await admin(`/tenants/${a.id}`, { method: "DELETE" })).status).toBe(204);

    const res = await api(`/v1/admin/audit?tenant=${a.id}&limit=200`, {}, ADMIN_KEY);
    const text = await res.text();
    const log = (JSON.parse(text) as { data: Entry[] }).data;
    const byKey = { kind: "key", key_id: a.keyId, key_prefix: a.prefix };
    const byAdmin = { kind: "admin", key_id: null, key_prefix: null };
    expect(log.map((e) => [e.action, e.target, e.actor]).reverse()).toEqual([
      ["tenant.create", a.id, byAdmin],
      ["key.create", a.keyId, byAdmin],
      ["tenant.change", a.id, byAdmin],
      ["tenant.change", a.id, byAdmin],
      ["key.create", second.body.id, byAdmin],
      ["key.revoke", second.body.id, byAdmin],
      ["endpoint.secret_read", ep, byKey],
      ["endpoint.secret_rotate", ep, byKey],
      ["endpoint.signing_update", ep, byKey],
      ["endpoint.secret_read", ep, byKey],
      ["endpoint.delete", ep, byKey],
      ["tenant.suspend", a.id, byAdmin],
      ["tenant.resume", a.id, byAdmin],
      ["tenant.delete", a.id, byAdmin],
    ]);
    expect(log.every((e) => e.tenant_id === a.id && e.client_address === ADDRESS)).toBe(true);
    expect(log.find((e) => e.action === "tenant.change")?.detail).toEqual({ name: "acme video" });
    expect(log.find((e) => e.action === "endpoint.delete")?.detail).toEqual({ cancelled_subscriptions: 1 });
    // Never a secret: no key, no signing secret, in the answer or in D1.
    const stored = JSON.stringify((await env.DB.prepare("SELECT * FROM audit_log").all()).results);
    for (const secretText of [a.key, second.body.key as string, secret, rotatedSecret, secret.slice(6), a.key.slice(11)]) {
      expect(text).not.toContain(secretText);
      expect(stored).not.toContain(secretText);
    }
  });

  it("shows a tenant only its own entries; the admin all of them, one tenant's, a page at a time", async () => {
    const [a, b] = [await newTenantFrom("a"), await newTenantFrom("b")];
    for (const t of [a, a, b]) await api(`/v1/endpoints/${await endpointOf(t.key)}/secret`, {}, t.key);
    const own = await entries("/v1/audit", a.key);
    expect(own.map((e) => e.tenant_id)).toEqual(own.map(() => a.id));
    expect(own.map((e) => e.action)).toEqual([
      "endpoint.secret_read",
      "endpoint.secret_read",
      "tenant.change",
      "key.create",
      "tenant.create",
    ]);
    expect((await entries("/v1/audit", b.key)).every((e) => e.tenant_id === b.id)).toBe(true);
    // The default tenant's key sees none of theirs; the admin acting for A with Relay-Tenant sees A's.
    expect(await entries("/v1/audit", API_KEY)).toEqual([]);
    expect((await asJson(await api("/v1/audit", { headers: { "relay-tenant": a.id } }, ADMIN_KEY))).body.data).toEqual(own);

    const all = await entries("/v1/admin/audit?limit=200");
    expect(all.map((e) => Number(e.id))).toEqual(all.map((e) => Number(e.id)).sort((x, y) => y - x));
    expect(new Set(all.map((e) => e.tenant_id))).toEqual(new Set([a.id, b.id]));
    // Pages of 2, newest first, none twice, none missed.
    const paged: Entry[] = [];
    let cursor: string | null = "";
    while (cursor !== null) {
      const { body } = await asJson(await api(`/v1/admin/audit?limit=2${cursor ? `&cursor=${cursor}` : ""}`, {}, ADMIN_KEY));
      expect(body.data.length).toBeLessThanOrEqual(2);
      paged.push(...body.data);
      cursor = body.next_cursor;
    }
    expect(paged).toEqual(all);
    expect((await entries(`/v1/admin/audit?tenant=${b.id}`)).map((e) => e.tenant_id)).toEqual(
      all.filter((e) => e.tenant_id === b.id).map(() => b.id),
    );
  });

  it("refuses bad paging with the envelope, and answers a tenant's key on the admin's log with 404", async () => {
    for (const query of ["limit=0", "limit=201", "limit=x", "cursor=abc", "cursor=-1", "cursor=0"])
      expect(await asJson(await api(`/v1/audit?${query}`))).toMatchObject({ status: 400, body: { error: { code: "invalid_request" } } });
    expect((await asJson(await api("/v1/admin/audit?cursor=x", {}, ADMIN_KEY))).status).toBe(400);
    expect((await api("/v1/admin/audit")).status).toBe(404);
  });

  it("deletes entries older than AUDIT_RETENTION_DAYS at the tick, and keeps younger ones", async () => {
    const now = Date.now();
    const insert = (at: number, target: string) =>
      env.DB.prepare("INSERT INTO audit_log (at, tenant_id, actor_kind, action, target) VALUES (?, 'default', 'admin', 'tenant.rename', ?)")
        .bind(at, target)
        .run();
    await insert(now - 3 * 86_400_000, "old");
    await insert(now - 3_600_000, "young");
    const report = await tick(manualClock(now), { AUDIT_RETENTION_DAYS: "2" });
    expect(report.auditPurged).toBe(1);
    expect((await entries("/v1/admin/audit")).map((e) => e.target)).toEqual(["young"]);
  });

  it("is a dashboard page: the admin's with every tenant and the filter, a tenant's with its own entries only", async () => {
    const [a, b] = [await newTenantFrom("alpha"), await newTenantFrom("beta")];
    await api(`/v1/endpoints/${await endpointOf(a.key)}/secret`, {}, a.key);
    const rowsOf = async (path: string, key: string) => {
      const res = await page(path, {}, await logIn(key));
      const html = await res.text();
      expect(res.status, html.slice(0, 200)).toBe(200);
      return { html, actions: [...html.matchAll(/data-action="([^"]+)"/g)].map((m) => m[1]) };
    };
    const asAdmin = await rowsOf("/dashboard/audit", ADMIN_KEY);
    expect(asAdmin.actions).toEqual([
      "endpoint.secret_read",
      "tenant.change",
      "key.create",
      "tenant.create",
      "tenant.change",
      "key.create",
      "tenant.create",
    ]);
    expect(asAdmin.html).toContain("alpha");
    expect(asAdmin.html).toContain("beta");
    expect((await rowsOf(`/dashboard/audit?tenant=${b.id}`, ADMIN_KEY)).actions).toEqual(["tenant.change", "key.create", "tenant.create"]);
    const asA = await rowsOf(`/dashboard/audit?tenant=${b.id}`, a.key);
    expect(asA.actions).toEqual(["endpoint.secret_read", "tenant.change", "key.create", "tenant.create"]);
    expect(asA.html).toContain(a.prefix);
    expect((await rowsOf("/dashboard/audit", b.key)).actions).toEqual(["tenant.change", "key.create", "tenant.create"]);
  });
});
