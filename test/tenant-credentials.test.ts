/**
 * Each tenant's own upstream account: the credential routes (written, never read back; sealed at
 * rest; one tenant's alone).
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config";
import type { Env } from "../src/env";
import { openDb } from "../src/storage/db";
import { replaceSealedCredentials } from "../src/storage/reseal-credentials";
import { type Recorded, recordingD1 } from "./support/recording-d1";
import { ADMIN_KEY, API_KEY, manualClock, receiver, relayRequest, resetDb, tenantWithKey, tick, unique } from "./support/relay";

type Json = Record<string, any>;
const asJson = async (res: Response) => ({ status: res.status, body: (res.status === 204 ? null : await res.json()) as Json });

const send = (
  key: string,
  method: string,
  path: string,
  body?: unknown,
  overrides: Partial<Env> = {},
  headers: Record<string, string> = {},
) =>
  relayRequest(
    path,
    {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    },
    overrides,
  ).then(asJson);

/** Every row of every table, as text: where a credential value must never appear. */
async function dumpDb(): Promise<string> {
  const tables = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf%' ESCAPE '\\' AND name NOT LIKE 'sqlite%'",
  ).all<{ name: string }>();
  const dumps = await Promise.all(
    tables.results.map(async ({ name }) => JSON.stringify((await env.DB.prepare(`SELECT * FROM "${name}"`).all()).results)),
  );
  return dumps.join("\n");
}

const WEBHOOK_SECRET = `whsec_${btoa("a-kling-console-webhook-secret!!")}`;

describe("a tenant's own upstream credentials: the routes", () => {
  beforeEach(resetDb);

  it("stores them sealed, shows only the hint, and never a value in a response, a log line or D1 in clear", async () => {
    const tenant = await tenantWithKey(unique("tn"), "Own", { sharedUpstream: false, trusted: false });
    const logged: string[] = [];
    const spies = (["log", "warn", "error", "info", "debug"] as const).map((level) => {
      const original = console[level];
      console[level] = (...args: unknown[]) => {
        logged.push(args.map(String).join(" "));
        original.apply(console, args);
      };
      return () => (console[level] = original);
    });
    const secrets = { apiKey: "tenant-own-comet-key-7Qx9", accessKey: "tenant-access-key-AbCd", secretKey: "tenant-secret-key-0123456789" };
    const answers: Json[] = [];
    try {
      expect(await send(tenant.key, "GET", "/v1/credentials/cometapi")).toEqual({
        status: 200,
        body: { provider: "cometapi", configured: false, hint: null, updated_at: null },
      });
      const put = await send(tenant.key, "PUT", "/v1/credentials/cometapi", { api_key: secrets.apiKey });
      expect(put).toEqual({
        status: 200,
        body: { provider: "cometapi", configured: true, hint: "7Qx9", updated_at: expect.stringMatching(/^\d{4}-/) },
      });
      answers.push(put);
      const kling = await send(tenant.key, "PUT", "/v1/credentials/kling", {
        access_key: secrets.accessKey,
        secret_key: secrets.secretKey,
        webhook_secret: WEBHOOK_SECRET,
      });
      expect(kling.body).toMatchObject({ provider: "kling", configured: true, hint: "AbCd" });
      answers.push(kling);
      const got = await send(tenant.key, "GET", "/v1/credentials/kling");
      expect(got).toEqual(kling);
      answers.push(got);
      // The admin sees the same of them, and no more.
      const adminGot = await send(ADMIN_KEY, "GET", `/v1/admin/tenants/${tenant.id}/credentials/kling`);
      expect(adminGot).toEqual(kling);
      answers.push(adminGot, await send(tenant.key, "GET", `/v1/audit-log`));
    } finally {
      for (const restore of spies) restore();
    }
    const row = await env.DB.prepare("SELECT * FROM tenant_credentials WHERE tenant_id = ? AND provider = 'kling'")
      .bind(tenant.id)
      .first<Json>();
    expect(row).toMatchObject({ hint: "AbCd", sealed: expect.stringMatching(/^sealed\.v1\./) });
    const everything = [JSON.stringify(answers), logged.join("\n"), await dumpDb()].join("\n");
    for (const value of [...Object.values(secrets), WEBHOOK_SECRET, WEBHOOK_SECRET.slice(6)]) expect(everything).not.toContain(value);
    // Audited, with the provider and the hint only.
    const audit = (
      await env.DB.prepare("SELECT action, target, detail FROM audit_log WHERE tenant_id = ? ORDER BY id").bind(tenant.id).all()
    ).results;
    expect(audit).toEqual([
      { action: "credentials.put", target: "cometapi", detail: JSON.stringify({ provider: "cometapi", hint: "7Qx9" }) },
      { action: "credentials.put", target: "kling", detail: JSON.stringify({ provider: "kling", hint: "AbCd" }) },
    ]);
  });

  it("refuses to store them without SECRETS_KEY with a 400 naming it, storing nothing", async () => {
    const tenant = await tenantWithKey(unique("tn"), "Own");
    const refused = await send(tenant.key, "PUT", "/v1/credentials/kling", { api_key: "kling-key-0123456789" }, { SECRETS_KEY: undefined });
    expect(refused).toMatchObject({
      status: 400,
      body: { error: { code: "invalid_request", message: expect.stringContaining("SECRETS_KEY") } },
    });
    const byAdmin = await send(
      ADMIN_KEY,
      "PUT",
      `/v1/admin/tenants/${tenant.id}/credentials/cometapi`,
      { api_key: "comet-key-0123456789" },
      { SECRETS_KEY: undefined },
    );
    expect(byAdmin.status).toBe(400);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM tenant_credentials").first<{ n: number }>())?.n).toBe(0);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM audit_log").first<{ n: number }>())?.n).toBe(0);
  });

  it("refuses bad bodies with 400 naming the field, and unknown providers with 404, storing nothing", async () => {
    const tenant = await tenantWithKey(unique("tn"), "Own");
    const bad: [string, unknown, string][] = [
      ["cometapi", {}, "api_key"],
      ["cometapi", { access_key: "access-key-0123", secret_key: "secret-key-0123" }, "access_key"],
      ["cometapi", { api_key: "short" }, "api_key"],
      ["cometapi", { api_key: "has a space in it" }, "api_key"],
      ["cometapi", { api_key: "x".repeat(513) }, "api_key"],
      ["cometapi", { api_key: "comet-key-0123456789", extra: 1 }, "extra"],
      ["kling", { api_key: "kling-key-0123456789", access_key: "access-key-0123", secret_key: "secret-key-0123" }, "api_key"],
      ["kling", { access_key: "access-key-0123" }, "secret_key"],
      ["kling", { api_key: "kling-key-0123456789", webhook_secret: "not-a-secret" }, "webhook_secret"],
      ["kling", { api_key: 12345678 }, "api_key"],
    ];
    for (const [provider, body, field] of bad) {
      const answer = await send(tenant.key, "PUT", `/v1/credentials/${provider}`, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error.code).toBe("invalid_request");
      expect(answer.body.error.details.map((d: Json) => d.field)).toContain(field);
    }
    for (const method of ["PUT", "GET", "DELETE"]) {
      const answer = await send(tenant.key, method, "/v1/credentials/openai", method === "PUT" ? { api_key: "k-0123456789" } : undefined);
      expect(answer).toMatchObject({ status: 404, body: { error: { code: "not_found" } } });
    }
    expect((await env.DB.prepare("SELECT count(*) AS n FROM tenant_credentials").first<{ n: number }>())?.n).toBe(0);
  });

  it("refuses a webhook_secret for cometapi, whose callbacks are never signed (it would refuse them all), storing nothing", async () => {
    const tenant = await tenantWithKey(unique("tn"), "Comet");
    const body = { api_key: "comet-key-0123456789", webhook_secret: WEBHOOK_SECRET };
    for (const [key, path] of [
      [tenant.key, "/v1/credentials/cometapi"],
      [ADMIN_KEY, `/v1/admin/tenants/${tenant.id}/credentials/cometapi`],
    ] as const) {
      const refused = await send(key, "PUT", path, body);
      expect(refused, path).toMatchObject({
        status: 400,
        body: {
          error: {
            code: "invalid_request",
            message: expect.stringContaining("CometAPI does not sign its callbacks"),
            details: [{ field: "webhook_secret", message: expect.stringContaining("CometAPI does not sign its callbacks") }],
          },
        },
      });
      expect(JSON.stringify(refused.body)).not.toContain(WEBHOOK_SECRET.slice(6));
    }
    expect((await env.DB.prepare("SELECT count(*) AS n FROM tenant_credentials").first<{ n: number }>())?.n).toBe(0);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM audit_log").first<{ n: number }>())?.n).toBe(0);
    // Kling's own API signs: there it is taken.
    expect((await send(tenant.key, "PUT", "/v1/credentials/kling", body)).status).toBe(200);
  });

  it("keeps each tenant to its own: another's are out of reach, and the admin's path for a missing tenant is 404", async () => {
    const a = await tenantWithKey(unique("tn"), "A");
    const b = await tenantWithKey(unique("tn"), "B");
    expect((await send(a.key, "PUT", "/v1/credentials/cometapi", { api_key: "a-comet-key-0123456789" })).status).toBe(200);
    // B's own path shows B's (none); there is no path to A's for B's key.
    expect((await send(b.key, "GET", "/v1/credentials/cometapi")).body).toMatchObject({ configured: false });
    for (const method of ["GET", "PUT", "DELETE"])
      expect(
        (
          await send(
            b.key,
            method,
            `/v1/admin/tenants/${a.id}/credentials/cometapi`,
            method === "PUT" ? { api_key: "b-comet-key-012345" } : undefined,
          )
        ).status,
      ).toBe(404);
    // B deleting its own (none) leaves A's.
    expect((await send(b.key, "DELETE", "/v1/credentials/cometapi")).status).toBe(204);
    expect((await send(a.key, "GET", "/v1/credentials/cometapi")).body).toMatchObject({ configured: true, hint: "6789" });
    for (const method of ["GET", "PUT", "DELETE"])
      expect(
        await send(
          ADMIN_KEY,
          method,
          "/v1/admin/tenants/ten_missing/credentials/kling",
          method === "PUT" ? { api_key: "kling-key-0123456789" } : undefined,
        ),
      ).toMatchObject({ status: 404, body: { error: { code: "not_found", message: "no tenant ten_missing" } } });
    // The admin's delete of A's: gone, audited.
    expect((await send(ADMIN_KEY, "DELETE", `/v1/admin/tenants/${a.id}/credentials/cometapi`)).status).toBe(204);
    expect((await send(a.key, "GET", "/v1/credentials/cometapi")).body).toEqual({
      provider: "cometapi",
      configured: false,
      hint: null,
      updated_at: null,
    });
    const actions = (await env.DB.prepare("SELECT action, detail FROM audit_log WHERE tenant_id = ? ORDER BY id").bind(a.id).all()).results;
    expect(actions.map((r) => r.action)).toEqual(["credentials.put", "credentials.delete"]);
  });
});

const sim = (path: string, init?: RequestInit) => fetch(`${env.FAKE_URL}/_sim/${path}`, init).then((r) => r.json() as Promise<Json>);
const byAccount = async () => ((await sim("stats")).byAccount ?? {}) as Record<string, number>;
const accountOf = async (taskId: string) => (await sim(`tasks/${taskId}`)).account as string;
const taskRow = (tenantId: string, taskId: string) =>
  env.DB.prepare("SELECT * FROM tasks WHERE tenant_id = ? AND task_id = ?").bind(tenantId, taskId).first<Json>();

/**
 * A tenant neither lent the operator's account nor trusted, with its own account on the simulator
 * (a CometAPI key and a Kling API key of its own) stored as its credentials.
 */
async function ownTenant(label: string) {
  const tenant = await tenantWithKey(unique("tn"), label, { sharedUpstream: false, trusted: false });
  const account = unique(`acct-${label}`);
  const keys = { cometapi: `comet-${account}`, kling: `kling-${account}` };
  await sim(`accounts/${account}`, { method: "PUT", body: JSON.stringify({ cometapi_key: keys.cometapi, kling_api_key: keys.kling }) });
  for (const provider of ["cometapi", "kling"] as const)
    expect((await send(tenant.key, "PUT", `/v1/credentials/${provider}`, { api_key: keys[provider] })).status).toBe(200);
  return { ...tenant, account, keys };
}

const createAs = (key: string, hook: string, body: Json = { action: "videos", action2: "text2video" }) =>
  send(key, "POST", "/v1/tasks", { ...body, callback_url: hook, create: { prompt: "p", x_sim: { submittedMs: 0, processingMs: 0 } } });
const registerAs = (key: string, taskId: string, hook: string) =>
  send(key, "POST", "/v1/tasks", { task_id: taskId, action: "videos", action2: "text2video", callback_url: hook });
const NEW_API = { provider: "kling", path: "text-to-video/kling-3.0-turbo" };

describe("a tenant's own upstream account: every upstream call for its tasks", () => {
  beforeEach(resetDb);

  it("creates, polls and delivers with its own account: upstream saw its key, never the operator's or the other tenant's", async () => {
    const [a, b] = [await ownTenant("a"), await ownTenant("b")];
    const operatorBefore = (await byAccount()).default ?? 0;
    const hooks = [await receiver(), await receiver()];
    const created = [await createAs(a.key, hooks[0]!.url), await createAs(b.key, hooks[1]!.url)];
    for (const c of created) expect(c.status).toBe(201);
    const ids = created.map((c) => c.body.task_id as string);
    // Each task lives on its tenant's account upstream, and is its `own` in the relay.
    expect([await accountOf(ids[0]!), await accountOf(ids[1]!)]).toEqual([a.account, b.account]);
    expect((await taskRow(a.id, ids[0]!))?.upstream_account).toBe("own");

    const report = await tick(manualClock(Date.now() + 60_000));
    expect(report.configurationError).toBeNull();
    for (const [i, hook] of hooks.entries()) {
      const deliveries = await hook.deliveries();
      expect(deliveries).toHaveLength(1);
      expect(JSON.parse(deliveries[0]!.body)).toMatchObject({ type: "task.succeeded", data: { task_id: ids[i] } });
    }
    const seen = await byAccount();
    // Created and polled by each account (a create, a poll); the operator's credentials never used.
    expect(seen[a.account]).toBeGreaterThanOrEqual(2);
    expect(seen[b.account]).toBeGreaterThanOrEqual(2);
    expect(seen.default ?? 0).toBe(operatorBefore);
  });

  it("queries Kling's new API in batches that never mix two accounts' task ids", async () => {
    const [a, b] = [await ownTenant("a"), await ownTenant("b")];
    const hook = await receiver();
    const ids: string[] = [];
    for (const tenant of [a, b, a, b]) {
      const created = await createAs(tenant.key, hook.url, NEW_API);
      expect(created.status).toBe(201);
      ids.push(created.body.task_id);
    }
    await sim("batches", { method: "DELETE" });
    await tick(manualClock(Date.now() + 60_000));
    const log = (await sim("batches")).log as { ids: string[]; answered: string[]; status: number }[];
    expect(log.length).toBeGreaterThanOrEqual(2);
    for (const batch of log) {
      const accounts = new Set(await Promise.all(batch.ids.map(accountOf)));
      expect(accounts.size, JSON.stringify(batch)).toBe(1);
      // Every id asked was found: none was another account's.
      expect({ status: batch.status, answered: [...batch.answered].sort() }).toEqual({ status: 200, answered: [...batch.ids].sort() });
    }
    expect(new Set(log.flatMap((b) => b.ids))).toEqual(new Set(ids));
    expect(await hook.deliveries()).toHaveLength(4);
  });

  it("reads the accounts of a claimed batch's tenants in one D1 round trip, by primary key", async () => {
    const tenants = [await ownTenant("a"), await ownTenant("b"), await ownTenant("c")];
    const hook = await receiver();
    for (const tenant of [...tenants, ...tenants]) expect((await createAs(tenant.key, hook.url)).status).toBe(201);
    const log: Recorded[] = [];
    await tick(manualClock(Date.now() + 60_000), { DB: recordingD1(env.DB, log) });
    expect(await hook.deliveries()).toHaveLength(6);
    const lookups = log.filter(({ sql }) => sql.includes("LEFT JOIN tenant_credentials"));
    expect(lookups).toHaveLength(1);
    const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${lookups[0]!.sql}`)
      .bind(...lookups[0]!.params)
      .all<{ detail: string }>();
    const scans = plan.results.map((r) => r.detail).filter((d) => /^SCAN (?!j\b)/.test(d));
    expect(scans).toEqual([]);
  });

  it("passes a drop-in query through with the tenant's own key, and creates there on its own account", async () => {
    const tenant = await ownTenant("a");
    const created = await send(tenant.key, "POST", "/kling/v1/videos/text2video", {
      prompt: "p",
      x_sim: { submittedMs: 0, processingMs: 0 },
    });
    expect(created.status).toBe(200);
    const taskId = created.body.data.task_id as string;
    expect(await accountOf(taskId)).toBe(tenant.account);
    const operatorBefore = (await byAccount()).default ?? 0;
    const mineBefore = (await byAccount())[tenant.account] ?? 0;
    // An id the relay does not hold for it (another account's, made through the simulator): upstream's own answer, with its key.
    const elsewhere = unique("elsewhere");
    await fetch(`${env.FAKE_URL}/_sim/tasks/${elsewhere}`, { method: "PUT", body: JSON.stringify({ steps: [{ status: "succeed" }] }) });
    const passed = await relayRequest(`/kling/v1/videos/text2video/${elsewhere}`, { headers: { authorization: `Bearer ${tenant.key}` } });
    expect({ status: passed.status, cache: passed.headers.get("x-relay-cache") }).toEqual({ status: 404, cache: "pass" });
    expect((await byAccount())[tenant.account]).toBe(mineBefore + 1);
    expect((await byAccount()).default ?? 0).toBe(operatorBefore);
  });

  it("lets a tenant register another's task id on its own account, where upstream answers it not found", async () => {
    const [a, b] = [await ownTenant("a"), await ownTenant("b")];
    const created = await createAs(a.key, (await receiver()).url);
    const taskId = created.body.task_id as string;
    const hook = await receiver();
    // Its own account: upstream is the judge, so the relay admits it.
    expect((await registerAs(b.key, taskId, hook.url)).status).toBe(201);
    const clock = manualClock(Date.now() + 60_000);
    for (let i = 0; i < 6; i++) {
      await tick(clock);
      clock.advance(10 * 60_000);
    }
    expect(await taskRow(b.id, taskId)).toMatchObject({ finish_reason: "not_found", upstream_account: "own" });
    const [webhook] = await hook.deliveries();
    expect(JSON.parse(webhook!.body)).toMatchObject({ type: "task.expired" });
    // A's task was answered to A all along.
    expect(await taskRow(a.id, taskId)).toMatchObject({ task_status: "succeed" });
  });

  it("deleting its credentials leaves its own tasks waiting on a configuration error of its own, and new registrations 400", async () => {
    const [a, b] = [await ownTenant("a"), await ownTenant("b")];
    const [hookA, hookB] = [await receiver(), await receiver()];
    const ids = [(await createAs(a.key, hookA.url)).body.task_id as string, (await createAs(b.key, hookB.url)).body.task_id as string];
    expect((await send(a.key, "DELETE", "/v1/credentials/cometapi")).status).toBe(204);
    const pollsBefore = (await sim(`tasks/${ids[0]}`)).polls;
    const report = await tick(manualClock(Date.now() + 60_000));
    // A's task waits, saying why; B's is polled and delivered in the same tick: nobody else stops.
    expect(report.configurationError).toBeNull();
    const waiting = await taskRow(a.id, ids[0]!);
    expect(waiting).toMatchObject({ settled_at: null, last_error: expect.stringContaining("no cometapi credentials of its own") });
    expect(waiting?.next_poll_at).toBeGreaterThan(Date.now() + 60_000);
    expect((await sim(`tasks/${ids[0]}`)).polls).toBe(pollsBefore);
    expect(await hookA.deliveries()).toHaveLength(0);
    expect(await hookB.deliveries()).toHaveLength(1);
    expect(await registerAs(a.key, unique("t"), hookA.url)).toMatchObject({
      status: 400,
      body: { error: { code: "upstream_not_configured" } },
    });
    // Its Kling credentials still serve it.
    expect((await createAs(a.key, hookA.url, NEW_API)).status).toBe(201);
  });

  it("stops polling with the operator's credentials the tasks of a tenant no longer lent them", async () => {
    const lent = await tenantWithKey(unique("tn"), "Lent", { sharedUpstream: true, trusted: false });
    const hook = await receiver();
    const created = await send(lent.key, "POST", "/v1/tasks", {
      action: "videos",
      action2: "text2video",
      callback_url: hook.url,
      create: { prompt: "p", x_sim: { submittedMs: 600_000, processingMs: 600_000 } },
    });
    expect(created.status).toBe(201);
    const taskId = created.body.task_id as string;
    expect(await accountOf(taskId)).toBe("default");
    const clock = manualClock(Date.now() + 60_000);
    await tick(clock);
    const polled = (await sim(`tasks/${taskId}`)).polls;
    expect(polled).toBeGreaterThan(0);
    expect((await send(ADMIN_KEY, "PATCH", `/v1/admin/tenants/${lent.id}`, { shared_upstream: false })).status).toBe(200);
    const operatorBefore = (await byAccount()).default ?? 0;
    for (let i = 0; i < 3; i++) {
      clock.advance(5 * 60_000);
      expect((await tick(clock)).configurationError).toBeNull();
    }
    expect((await sim(`tasks/${taskId}`)).polls).toBe(polled);
    expect((await byAccount()).default ?? 0).toBe(operatorBefore);
    expect(await taskRow(lent.id, taskId)).toMatchObject({
      settled_at: null,
      last_error: expect.stringContaining("no longer lent the operator's cometapi account"),
    });
    // The built-in tenant is always lent it.
    const mine = await send(API_KEY, "POST", "/v1/tasks", {
      action: "videos",
      action2: "text2video",
      callback_url: hook.url,
      create: { prompt: "p", x_sim: { submittedMs: 0, processingMs: 0 } },
    });
    expect(mine.status).toBe(201);
  });
});

describe("a tenant's own upstream credentials: a rotation of SECRETS_KEY", () => {
  beforeEach(resetDb);

  const storedCredentials = async (tenantId: string) =>
    (
      await env.DB.prepare("SELECT provider, sealed, updated_at FROM tenant_credentials WHERE tenant_id = ? ORDER BY provider")
        .bind(tenantId)
        .all<{ provider: string; sealed: string; updated_at: number }>()
    ).results;

  it("seals them again under the new key at the next tick, so the new key alone still serves its tasks", async () => {
    const tenant = await ownTenant("rot");
    const before = await storedCredentials(tenant.id);
    const fresh = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    const rotating: Partial<Env> = { SECRETS_KEY: `${fresh} ${env.SECRETS_KEY}` };
    const newId = loadConfig({ ...env, ...rotating }).secretsKeyring!.current.id;

    expect((await tick(manualClock(), rotating)).resealedCredentials).toBe(2);
    const after = await storedCredentials(tenant.id);
    expect(after.map((r) => r.provider)).toEqual(["cometapi", "kling"]);
    for (const [i, row] of after.entries()) {
      expect(row.sealed).not.toBe(before[i]!.sealed);
      expect(row.sealed.startsWith(`sealed.v1.${newId}.`)).toBe(true);
      // Unchanged for the tenant: the same credentials, so the same updated_at.
      expect(row.updated_at).toBe(before[i]!.updated_at);
    }
    expect((await tick(manualClock(), rotating)).resealedCredentials).toBe(0);

    // The old key dropped: created, polled and delivered with the tenant's own account.
    const alone: Partial<Env> = { SECRETS_KEY: fresh };
    const hook = await receiver();
    const created = await send(
      tenant.key,
      "POST",
      "/v1/tasks",
      {
        action: "videos",
        action2: "text2video",
        callback_url: hook.url,
        create: { prompt: "p", x_sim: { submittedMs: 0, processingMs: 0 } },
      },
      alone,
    );
    expect(created.status).toBe(201);
    const taskId = created.body.task_id as string;
    expect(await accountOf(taskId)).toBe(tenant.account);
    const polledBefore = (await byAccount())[tenant.account] ?? 0;
    const report = await tick(manualClock(Date.now() + 60_000), alone);
    expect(report.resealErrors).toBeUndefined();
    expect((await taskRow(tenant.id, taskId))?.last_error ?? null).toBeNull();
    expect((await byAccount())[tenant.account]).toBeGreaterThan(polledBefore);
    expect(await hook.deliveries()).toHaveLength(1);
  });

  it("replaces only what it read: credentials replaced meanwhile win", async () => {
    const tenant = await ownTenant("race");
    const [was] = await storedCredentials(tenant.id);
    // What a tick read, then new credentials through the API, then the tick's write.
    expect((await send(tenant.key, "PUT", "/v1/credentials/cometapi", { api_key: `comet-${tenant.account}` })).status).toBe(200);
    const [replaced] = await storedCredentials(tenant.id);
    expect(replaced!.sealed).not.toBe(was!.sealed);
    const stale = { was: { tenantId: tenant.id, provider: "cometapi" as const, sealed: was!.sealed }, sealed: "sealed.v1.stale" };
    expect(await replaceSealedCredentials(openDb(env.DB), [stale])).toBe(0);
    expect((await storedCredentials(tenant.id))[0]).toEqual(replaced);
  });
});
