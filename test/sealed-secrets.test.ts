/**
 * Secrets sealed at rest (SECRETS_KEY): D1 holds no secret in clear, rows from before sealing are
 * sealed by the tick, a rotation of SECRETS_KEY seals again in bounded batches, and without
 * SECRETS_KEY the relay works as it did (local development). The workers pool sets SECRETS_KEY.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { verifyWebhook } from "../packages/client/src/verify-webhook";
import { loadConfig } from "../src/config";
import { newSigningKeyPair, newWebhookSecret } from "../src/domain/webhook-secret";
import { isSealed } from "../src/lib/sealed-secrets";
import { openDb } from "../src/storage/db";
import { replaceEndpointSecrets } from "../src/storage/reseal-endpoints";
import { RESEAL_BATCH } from "../src/tick/reseal-phase";
import { runTick } from "../src/tick/run-tick";
import { type Recorded, recordingD1 } from "./support/recording-d1";
import {
  API_KEY,
  api,
  manualClock,
  postJson,
  receiver,
  relayRequest,
  resetDb,
  tenantWithKey,
  tick,
  unique,
  upstreamTask,
} from "./support/relay";

const asJson = async (res: Response) => ({ status: res.status, body: (await res.json()) as Record<string, any> });
const registerAs = (key: string, body: Record<string, unknown>) =>
  postJson("/v1/tasks", { action: "videos", action2: "text2video", ...body }, key).then(asJson);
const secretOf = async (key: string, endpointId: string) =>
  (await asJson(await api(`/v1/endpoints/${endpointId}/secret`, {}, key))).body.key as string;
const currentKeyId = () => loadConfig(env).secretsKeyring!.current.id;

/** Every row of every table of the local D1, as text (but D1's own `_cf_` tables, which it lets nobody read). */
async function dumpD1(): Promise<string> {
  const tables = (
    await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'").all<{
      name: string;
    }>()
  ).results;
  expect(tables.map((t) => t.name)).toContain("endpoints");
  const dumps = await Promise.all(
    tables.map(async ({ name }) => `${name}: ${JSON.stringify((await env.DB.prepare(`SELECT * FROM "${name}"`).all()).results)}`),
  );
  return dumps.join("\n");
}

/** An endpoint row as the relay wrote it before sealing: every secret in clear. */
async function clearEndpoint(url: string) {
  const [current, previous] = [await newSigningKeyPair(), await newSigningKeyPair()];
  const row = {
    id: `ep_${unique("clear").replaceAll("-", "")}`,
    secret: newWebhookSecret(),
    previousSecret: newWebhookSecret(),
    signingKey: current.secretKey,
    publicKey: current.publicKey,
    previousSigningKey: previous.secretKey,
    previousPublicKey: previous.publicKey,
  };
  const now = Date.now();
  await env.DB.prepare(
    `INSERT INTO endpoints (id, tenant_id, url, secret, previous_secret, signing_key, public_key, previous_signing_key, previous_until, created_at, updated_at)
    VALUES (?, 'default', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
    .bind(row.id, url, row.secret, row.previousSecret, row.signingKey, row.publicKey, row.previousSigningKey, now + 3_600_000, now, now)
    .run();
  return row;
}

/** Many endpoints in clear, in one statement. */
async function clearEndpoints(count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `ep_bulk${String(i).padStart(4, "0")}`);
  const rows = ids.map((id) => ({ id, url: `https://example.com/${id}`, secret: newWebhookSecret() }));
  await env.DB.prepare(
    `INSERT INTO endpoints (id, tenant_id, url, secret, created_at, updated_at)
    SELECT r.value ->> 'id', 'default', r.value ->> 'url', r.value ->> 'secret', 0, 0 FROM json_each(?) r`,
  )
    .bind(JSON.stringify(rows))
    .run();
  return ids;
}

const storedKeys = (id: string) =>
  env.DB.prepare("SELECT secret, previous_secret, signing_key, previous_signing_key FROM endpoints WHERE id = ?")
    .bind(id)
    .first<Record<string, string | null>>();

describe("secrets sealed at rest", () => {
  beforeEach(resetDb);

  it("leaves no secret in D1: endpoint secrets, Ed25519 keys and rotated-out ones are all sealed", async () => {
    const tenant = await tenantWithKey(unique("t"), "Sealed");
    const hooks = [await receiver(), await receiver(), await receiver()];
    const endpoints: { key: string; id: string }[] = [];
    for (const [i, hook] of hooks.entries()) {
      const key = i === 2 ? tenant.key : API_KEY;
      const task = await upstreamTask([{ status: "succeed" }]);
      const sub = await registerAs(key, { task_id: task.id, callback_url: hook.url });
      expect(sub.status).toBe(201);
      endpoints.push({ key, id: sub.body.endpoint_id });
    }
    const patch = (e: { key: string; id: string }) =>
      api(
        `/v1/endpoints/${e.id}`,
        { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ signing: ["v1", "v1a"] }) },
        e.key,
      ).then(asJson);
    const publicKeys = [(await patch(endpoints[0]!)).body.public_key, (await patch(endpoints[2]!)).body.public_key];
    const secrets = await Promise.all(endpoints.map((e) => secretOf(e.key, e.id)));
    for (const e of [endpoints[0]!, endpoints[2]!])
      expect((await asJson(await api(`/v1/endpoints/${e.id}/rotate-secret`, { method: "POST" }, e.key))).status).toBe(200);
    secrets.push(...(await Promise.all(endpoints.map((e) => secretOf(e.key, e.id)))));
    expect(new Set(secrets).size).toBe(5);
    await tick(manualClock());

    const dump = await dumpD1();
    expect(dump).toContain(`sealed.v1.${currentKeyId()}.`);
    for (const secret of secrets) {
      expect(secret).toMatch(/^whsec_/);
      expect(dump).not.toContain(secret);
      expect(dump).not.toContain(secret.slice("whsec_".length));
    }
    // No whsk_ seed is ever shown by the API; none may be in D1 either, nor any whsec_.
    expect(dump).not.toMatch(/whsk_|whsec_/);
    // Sealing changes nothing for receivers: every webhook verifies, v1a with the public key alone.
    for (const [i, hook] of hooks.entries()) {
      const [delivery] = await hook.deliveries();
      await expect(verifyWebhook(delivery!.body, delivery!.headers, secrets[i + 3]!), `endpoint ${i}`).resolves.toBeTruthy();
    }
    for (const [i, hook] of [hooks[0]!, hooks[2]!].entries()) {
      const [delivery] = await hook.deliveries();
      await expect(verifyWebhook(delivery!.body, delivery!.headers, publicKeys[i]!)).resolves.toBeTruthy();
    }
  });

  it("seals, at the next tick, endpoints stored in clear before the upgrade; they go on signing webhooks that verify", async () => {
    const hook = await receiver();
    const row = await clearEndpoint(hook.url);
    const [first, second] = [await upstreamTask([{ status: "succeed" }]), await upstreamTask([{ status: "succeed" }])];
    expect((await registerAs(API_KEY, { task_id: first.id, callback_url: hook.url })).body.endpoint_id).toBe(row.id);

    // The tick delivers (keys in clear), then seals the row.
    const report = await tick(manualClock());
    expect(report.resealed).toBe(1);
    const stored = await storedKeys(row.id);
    for (const value of Object.values(stored!)) expect(value?.startsWith(`sealed.v1.${currentKeyId()}.`)).toBe(true);
    expect(await secretOf(API_KEY, row.id)).toBe(row.secret);

    await registerAs(API_KEY, { task_id: second.id, callback_url: hook.url });
    expect((await tick(manualClock())).resealed).toBe(0);
    const deliveries = await hook.deliveries();
    expect(deliveries).toHaveLength(2);
    for (const delivery of deliveries) {
      // Both secrets and both Ed25519 keys sign (the rotation overlap is still on), from D1 in clear and then sealed.
      expect(delivery.headers["webhook-signature"]!.split(" ").filter((s) => s.startsWith("v1a,"))).toHaveLength(2);
      for (const key of [row.secret, row.previousSecret, row.publicKey, row.previousPublicKey])
        await expect(verifyWebhook(delivery.body, delivery.headers, key)).resolves.toBeTruthy();
    }
  });

  it("seals again under the new key after a rotation of SECRETS_KEY, a bounded batch per tick", async () => {
    const ids = await clearEndpoints(RESEAL_BATCH + 50);
    const reseals = async (overrides = {}) => (await tick(manualClock(), overrides)).resealed;
    expect([await reseals(), await reseals(), await reseals()]).toEqual([RESEAL_BATCH, 50, 0]);
    const old = currentKeyId();

    const fresh = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    const rotating = { SECRETS_KEY: `${fresh} ${env.SECRETS_KEY}` };
    const newId = loadConfig({ ...env, ...rotating }).secretsKeyring!.current.id;
    expect(newId).not.toBe(old);
    // Under way, both keys open what D1 holds.
    expect([await reseals(rotating), await reseals(rotating)]).toEqual([RESEAL_BATCH, 50]);
    expect(await reseals(rotating)).toBe(0);
    const stored = (await env.DB.prepare("SELECT id, secret FROM endpoints").all<{ id: string; secret: string }>()).results;
    expect(stored.map((r) => r.id).sort()).toEqual(ids);
    for (const { secret } of stored) expect(secret.startsWith(`sealed.v1.${newId}.`)).toBe(true);
    // After the rotation, the new key alone opens them.
    const res = await relayRequest(
      `/v1/endpoints/${ids[0]}/secret`,
      { headers: { authorization: `Bearer ${API_KEY}` } },
      { SECRETS_KEY: fresh },
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as { key: string }).key).toMatch(/^whsec_/);
  });

  it("costs an idle tick no D1 round trip once an isolate found nothing to seal: it looks again an hour later", async () => {
    // One env object, as in an isolate: its config (and its keyring) is parsed once.
    const log: Recorded[] = [];
    const isolateEnv = { ...env, DB: recordingD1(env.DB, log) };
    const clock = manualClock();
    const lookups = () => log.filter(({ sql }) => sql.includes("substr(secret, 11, 8)")).length;
    expect((await runTick(isolateEnv, clock)).resealed).toBe(0);
    expect(lookups()).toBe(1);
    const [id] = await clearEndpoints(1);
    clock.advance(59 * 60_000);
    expect((await runTick(isolateEnv, clock)).resealed).toBeUndefined();
    expect(lookups()).toBe(1);
    clock.advance(60_000);
    expect((await runTick(isolateEnv, clock)).resealed).toBe(1);
    expect(isSealed((await storedKeys(id!))!.secret!)).toBe(true);
  });

  it("replaces only what it read: a rotation of the endpoint's secret meanwhile wins", async () => {
    const hook = await receiver();
    const row = await clearEndpoint(hook.url);
    // What a tick read, then a rotation through the API, then the tick's write.
    const was = {
      id: row.id,
      secret: row.secret,
      previousSecret: row.previousSecret,
      signingKey: row.signingKey,
      previousSigningKey: row.previousSigningKey,
    };
    expect((await asJson(await api(`/v1/endpoints/${row.id}/rotate-secret`, { method: "POST" }))).status).toBe(200);
    const rotated = await storedKeys(row.id);
    const sealed = { secret: "stale", previousSecret: "stale", signingKey: "stale", previousSigningKey: "stale" };
    expect(await replaceEndpointSecrets(openDb(env.DB), [{ was, sealed }])).toBe(0);
    expect(await storedKeys(row.id)).toEqual(rotated);
  });
});

describe("without SECRETS_KEY (local development)", () => {
  beforeEach(resetDb);
  const unsealed = { SECRETS_KEY: undefined };
  const request = (path: string, init: RequestInit = {}) =>
    relayRequest(
      path,
      { ...init, headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json", ...init.headers } },
      unsealed,
    );

  it("stores the default tenant's endpoint secrets in clear and signs with them, as before; /healthz says so", async () => {
    const health = await relayRequest("/healthz", {}, unsealed);
    expect(await health.json()).toEqual({ ok: true, secrets_sealed: false });
    const hook = await receiver();
    const task = await upstreamTask([{ status: "succeed" }]);
    const registered = await request("/v1/tasks", {
      method: "POST",
      body: JSON.stringify({ action: "videos", action2: "text2video", task_id: task.id, callback_url: hook.url }),
    });
    expect(registered.status).toBe(201);
    const { endpoint_id: endpointId } = (await registered.json()) as { endpoint_id: string };
    const secret = ((await (await request(`/v1/endpoints/${endpointId}/secret`)).json()) as { key: string }).key;
    expect((await storedKeys(endpointId))?.secret).toBe(secret);

    const report = await tick(manualClock(), unsealed);
    expect(report.resealed).toBeUndefined();
    expect((await storedKeys(endpointId))?.secret).toBe(secret);
    const [delivery] = await hook.deliveries();
    await expect(verifyWebhook(delivery!.body, delivery!.headers, secret)).resolves.toBeTruthy();
  });

  it("sends nothing signed with a secret it cannot open, and says which key it lacks, never the secret", async () => {
    const hook = await receiver();
    const task = await upstreamTask([{ status: "succeed" }]);
    const sub = await registerAs(API_KEY, { task_id: task.id, callback_url: hook.url });
    const secret = await secretOf(API_KEY, sub.body.endpoint_id);

    const res = await request(`/v1/endpoints/${sub.body.endpoint_id}/secret`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("misconfigured");

    await tick(manualClock(), unsealed);
    expect(await hook.deliveries()).toEqual([]);
    const attempt = await env.DB.prepare("SELECT error FROM delivery_attempts").first<{ error: string }>();
    expect(attempt?.error).toContain(`sealed with key ${currentKeyId()}, but SECRETS_KEY is not set`);
    expect(attempt?.error).not.toContain(secret);
    // With the key back, the retry goes out.
    const message = await env.DB.prepare("SELECT status, next_attempt_at FROM messages").first<{
      status: string;
      next_attempt_at: number;
    }>();
    expect(message?.status).toBe("pending");
    await tick(manualClock(message!.next_attempt_at + 1));
    const [delivery] = await hook.deliveries();
    await expect(verifyWebhook(delivery!.body, delivery!.headers, secret, { now: message!.next_attempt_at + 1 })).resolves.toBeTruthy();
  });

  it("refuses a bad SECRETS_KEY with the misconfigured envelope, naming the var and not its value", async () => {
    const res = await relayRequest("/healthz", {}, { SECRETS_KEY: "c2hvcnQtTEVBS01FLWtleQ==" });
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ error: { code: "misconfigured" } });
    expect(text).not.toContain("c2hvcnQtTEVBS01FLWtleQ");
  });
});
