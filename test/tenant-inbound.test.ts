/**
 * Callbacks from a tenant's own upstream account: the URL upstream is given names the tenant with
 * a token of its own; a callback there is verified with the tenant's own webhook secret and
 * reaches only its tasks on its own account, and the operator's URL reaches none of them.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { tenantInboundToken } from "../src/domain/tenant-inbound";
import type { Env } from "../src/env";
import { receiver, relayRequest, resetDb, tenantWithKey, unique } from "./support/relay";

type Json = Record<string, any>;
const TOKEN = "tenant-inbound-test-token-0123456789ab";
const NEW_TOKEN = "tenant-inbound-test-token-new-0123456789";
const secretOf = (text: string) => `whsec_${btoa(text.padEnd(32, "!"))}`;
const OPERATOR_SECRET = secretOf("the operator's kling secret");

const sim = (path: string, init?: RequestInit) => fetch(`${env.FAKE_URL}/_sim/${path}`, init).then((r) => r.json() as Promise<Json>);
const taskRow = (tenantId: string, taskId: string) =>
  env.DB.prepare("SELECT task_status, pushed_at, next_poll_at, updated_at FROM tasks WHERE tenant_id = ? AND task_id = ?")
    .bind(tenantId, taskId)
    .first<Json>();

async function ownKlingTenant(label: string, webhookSecret: string) {
  const tenant = await tenantWithKey(unique("tn"), label, { sharedUpstream: false, trusted: false });
  const account = unique(`acct-${label}`);
  const apiKey = `kling-${account}`;
  await sim(`accounts/${account}`, { method: "PUT", body: JSON.stringify({ kling_api_key: apiKey, webhook_secret: webhookSecret }) });
  const put = await relayRequest(`/v1/credentials/kling`, {
    method: "PUT",
    headers: { authorization: `Bearer ${tenant.key}`, "content-type": "application/json" },
    body: JSON.stringify({ api_key: apiKey, webhook_secret: webhookSecret }),
  });
  expect(put.status).toBe(200);
  return tenant;
}

const post = (path: string, body: string, headers: Record<string, string>, overrides: Partial<Env>) =>
  relayRequest(path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body }, overrides);
const signatureHeaders = (h: Record<string, string>) => ({
  "webhook-id": h["webhook-id"]!,
  "webhook-timestamp": h["webhook-timestamp"]!,
  "webhook-signature": h["webhook-signature"]!,
});

describe("callbacks from a tenant's own account", () => {
  beforeEach(resetDb);

  it("are sent to a URL naming the tenant, verified with its own secret, and reach only its own tasks", async () => {
    const secretA = secretOf("tenant a's console secret");
    const [a, b] = [await ownKlingTenant("a", secretA), await ownKlingTenant("b", secretOf("tenant b's console secret"))];
    const inbound = await receiver();
    const overrides: Partial<Env> = { INBOUND_TOKEN: TOKEN, PUBLIC_BASE_URL: inbound.url, KLING_WEBHOOK_SECRET: OPERATOR_SECRET };
    const created = await relayRequest(
      "/v1/tasks",
      {
        method: "POST",
        headers: { authorization: `Bearer ${a.key}`, "content-type": "application/json" },
        body: JSON.stringify({
          provider: "kling",
          action: "videos",
          action2: "text2video",
          callback_url: (await receiver()).url,
          create: { prompt: "p", x_sim: { submittedMs: 600_000, processingMs: 600_000 } },
        }),
      },
      overrides,
    );
    expect(created.status).toBe(201);
    const taskId = ((await created.json()) as Json).task_id as string;
    const path = `/inbound/kling/t/${a.id}/${await tenantInboundToken(TOKEN, a.id)}`;
    expect((await sim(`tasks/${taskId}`)).callback_url).toBe(`${inbound.url}${path}`);
    const callback = await inbound.firstDelivery();
    expect(callback.headers["webhook-signature"]).toMatch(/^v1,/);
    const before = await taskRow(a.id, taskId);
    expect(before?.pushed_at).toBeNull();

    // Refused, changing nothing: unsigned, signed with another secret (the operator's), and another tenant's URL or token.
    const forged = await (async () => {
      const { Webhook } = await import("standardwebhooks");
      const id = "msg_forged";
      const at = new Date();
      return {
        "webhook-id": id,
        "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
        "webhook-signature": new Webhook(OPERATOR_SECRET).sign(id, at, callback.body),
      };
    })();
    expect((await post(path, callback.body, {}, overrides)).status).toBe(401);
    expect((await post(path, callback.body, forged, overrides)).status).toBe(401);
    const bPath = `/inbound/kling/t/${b.id}/${await tenantInboundToken(TOKEN, b.id)}`;
    // B's URL verifies with B's secret: A's signature does not pass there.
    expect((await post(bPath, callback.body, signatureHeaders(callback.headers), overrides)).status).toBe(401);
    expect((await post(`/inbound/kling/t/${b.id}/${await tenantInboundToken(TOKEN, a.id)}`, callback.body, {}, overrides)).status).toBe(
      404,
    );
    expect((await post(`/inbound/kling/t/${a.id}/${TOKEN}`, callback.body, {}, overrides)).status).toBe(404);
    // A segment of no tenant id's shape, even under its own token: no tenant's URL (404, never a 500).
    const malformed = `/inbound/kling/t/${encodeURIComponent("a b")}/${await tenantInboundToken(TOKEN, "a b")}`;
    expect((await post(malformed, callback.body, {}, overrides)).status).toBe(404);
    // The operator's URL, with the operator's signature: received, but it reaches no task on a tenant's own account.
    expect((await post(`/inbound/kling/${TOKEN}`, callback.body, forged, overrides)).status).toBe(200);
    expect(await taskRow(a.id, taskId)).toEqual(before);

    // A's own URL and signature: taken as the task's state.
    expect((await post(path, callback.body, signatureHeaders(callback.headers), overrides)).status).toBe(200);
    const after = await taskRow(a.id, taskId);
    expect(after).toMatchObject({ task_status: "submitted", pushed_at: expect.any(Number) });
  });

  it("accepts the URL made under the previous INBOUND_TOKEN during a rotation, and answers 404 without credentials", async () => {
    const tenant = await tenantWithKey(unique("tn"), "Own", { sharedUpstream: false, trusted: false });
    const body = JSON.stringify({ task_id: unique("t"), task_status: "processing" });
    const rotating: Partial<Env> = { INBOUND_TOKEN: `${NEW_TOKEN} ${TOKEN}` };
    // No credentials of its own for the provider: nothing this URL may reach.
    expect((await post(`/inbound/cometapi/t/${tenant.id}/${await tenantInboundToken(TOKEN, tenant.id)}`, body, {}, rotating)).status).toBe(
      404,
    );
    await relayRequest(`/v1/credentials/cometapi`, {
      method: "PUT",
      headers: { authorization: `Bearer ${tenant.key}`, "content-type": "application/json" },
      body: JSON.stringify({ api_key: "own-comet-key-0123456789" }),
    });
    for (const token of [TOKEN, NEW_TOKEN])
      expect(
        (await post(`/inbound/cometapi/t/${tenant.id}/${await tenantInboundToken(token, tenant.id)}`, body, {}, rotating)).status,
      ).toBe(200);
    // After the rotation the old one is gone; callbacks off: 404 for all.
    expect(
      (await post(`/inbound/cometapi/t/${tenant.id}/${await tenantInboundToken(TOKEN, tenant.id)}`, body, {}, { INBOUND_TOKEN: NEW_TOKEN }))
        .status,
    ).toBe(404);
    expect(
      (await post(`/inbound/cometapi/t/${tenant.id}/${await tenantInboundToken(TOKEN, tenant.id)}`, body, {}, { INBOUND_TOKEN: undefined }))
        .status,
    ).toBe(404);
  });
});
