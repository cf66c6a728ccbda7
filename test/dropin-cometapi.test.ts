/** CometAPI's own paths on the relay: an app that speaks CometAPI changes only its base URL and key. */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { Env } from "../src/env";
import { API_KEY, receiver, relayRequest, resetDb, tenantWithKey, unique } from "./support/relay";

const TOKEN = "dropin-test-inbound-token-0123456789ab";

/**
 * The client an app already has for CometAPI (as in CometAPI's own examples): a base URL and a
 * bearer key, `POST /kling/v1/{action}/{action2}` to create, `GET .../{task_id}` to poll.
 */
function cometApiClient(key: string, overrides: Partial<Env> = {}) {
  const call = (method: string, path: string, body?: unknown) =>
    relayRequest(
      path,
      {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      },
      overrides,
    );
  return {
    create: (action: string, action2: string, body: Record<string, unknown>) => call("POST", `/kling/v1/${action}/${action2}`, body),
    query: (action: string, action2: string, taskId: string) => call("GET", `/kling/v1/${action}/${action2}/${taskId}`),
  };
}

const polls = async (taskId: string) =>
  ((await (await fetch(`${env.FAKE_URL}/_sim/tasks/${taskId}/polls`)).json()) as { polls: number }).polls;
const slowTimeline = { x_sim: { submittedMs: 60_000, processingMs: 60_000 } };

describe("CometAPI's paths on the relay", () => {
  beforeEach(resetDb);

  it("creates with the app's callback_url as a signed subscription, giving upstream the relay's inbound URL", async () => {
    const inbound = await receiver();
    const app = await receiver();
    const client = cometApiClient(API_KEY, { INBOUND_TOKEN: TOKEN, PUBLIC_BASE_URL: inbound.url });
    const res = await client.create("videos", "text2video", { prompt: "p", callback_url: app.url, ...slowTimeline });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { code: number; message: string; data: { task_id: string; task_status: string } };
    expect(answer).toMatchObject({ code: 0, message: "SUCCEED", data: { task_status: "submitted" } });
    const row = await env.DB.prepare(
      "SELECT s.callback_url, t.provider FROM subscriptions s JOIN tasks t ON t.id = s.task_key WHERE t.task_id = ?",
    )
      .bind(answer.data.task_id)
      .first();
    expect(row).toEqual({ callback_url: app.url, provider: "cometapi" });
    // Upstream's callbacks reach the relay, not the app: the app gets the relay's signed webhooks.
    const deadline = Date.now() + 5_000;
    while ((await inbound.deliveries()).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(JSON.parse((await inbound.deliveries())[0]!.body)).toMatchObject({ task_id: answer.data.task_id });
    expect(await app.deliveries()).toEqual([]);
  });

  it("answers a query from the relay's last view within POLL_MIN_INTERVAL_SECONDS, polling upstream at most once per interval", async () => {
    const client = cometApiClient(API_KEY);
    const created = (await (await client.create("videos", "text2video", { prompt: "p", ...slowTimeline })).json()) as {
      data: { task_id: string };
    };
    const id = created.data.task_id;
    expect(await env.DB.prepare("SELECT count(*) AS n FROM subscriptions").first()).toEqual({ n: 0 });
    const first = await client.query("videos", "text2video", id);
    expect(first.status).toBe(200);
    expect(first.headers.get("x-relay-cache")).toBe("miss");
    const body = (await first.json()) as { code: number; data: { task_id: string; task_status: string } };
    expect(body).toMatchObject({ code: 0, data: { task_id: id, task_status: "submitted" } });
    for (let i = 0; i < 5; i++) {
      const again = await client.query("videos", "text2video", id);
      expect(again.headers.get("x-relay-cache")).toBe("hit");
      expect(((await again.json()) as typeof body).data).toEqual(body.data);
    }
    expect(await polls(id)).toBe(1);
    // Once the interval has passed, the next query polls again.
    await env.DB.prepare("UPDATE tasks SET last_polled_at = last_polled_at - 11000 WHERE task_id = ?").bind(id).run();
    expect((await client.query("videos", "text2video", id)).headers.get("x-relay-cache")).toBe("miss");
    expect(await polls(id)).toBe(2);
  });

  it("passes a query for a task the relay does not know through to upstream, as upstream answers it", async () => {
    const client = cometApiClient(API_KEY);
    const res = await client.query("videos", "text2video", unique("nobody"));
    expect(res.status).toBe(404);
    expect(res.headers.get("x-relay-cache")).toBe("pass");
    expect(await res.json()).toMatchObject({ code: 1203 });
  });

  it("never answers one tenant from another tenant's view of a task", async () => {
    const mine = cometApiClient(API_KEY);
    const created = (await (await mine.create("videos", "text2video", { prompt: "p", ...slowTimeline })).json()) as {
      data: { task_id: string };
    };
    const id = created.data.task_id;
    await mine.query("videos", "text2video", id);
    // The task was created through the relay for the default tenant: no other tenant reads it,
    // trusted or not, and nothing is asked of upstream for them.
    const trusted = await tenantWithKey(unique("tn"), "Trusted");
    const theirs = await cometApiClient(trusted.key).query("videos", "text2video", id);
    expect(theirs.status).toBe(404);
    expect(await theirs.json()).toMatchObject({ error: { code: "task_not_found" } });
    const untrusted = await tenantWithKey(unique("tn"), "Untrusted", { trusted: false });
    const refused = await cometApiClient(untrusted.key).query("videos", "text2video", id);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: "own_credentials_required" } });
    expect(await polls(id)).toBe(1);
  });

  it("needs a relay key, and knows only CometAPI's products", async () => {
    expect((await cometApiClient("not-a-key-at-all-0123456789").create("videos", "text2video", { prompt: "p" })).status).toBe(401);
    const client = cometApiClient(API_KEY);
    const bad = await client.create("videos", "nothing", { prompt: "p" });
    expect(bad.status).toBe(404);
    expect((await client.query("videos", "nothing", "t1")).status).toBe(404);
    const badHook = await client.create("videos", "text2video", { prompt: "p", callback_url: "http://169.254.169.254/x" });
    expect(badHook.status).toBe(400);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM tasks").first()).toEqual({ n: 0 });
  });

  it("creates under the relay's own external id: an app's external_task_id is echoed, never sent or looked up", async () => {
    const owner = cometApiClient(API_KEY);
    const first = (await (await owner.create("videos", "text2video", { prompt: "p", ...slowTimeline })).json()) as {
      data: { task_id: string; task_info: { external_task_id: string } };
    };
    const takenExternalId = first.data.task_info.external_task_id;
    expect(takenExternalId).toMatch(/^rly-[0-9a-f]{32}$/);
    const other = await tenantWithKey(unique("tn"), "Other");
    const res = await cometApiClient(other.key).create("videos", "text2video", {
      prompt: "p",
      external_task_id: takenExternalId,
      ...slowTimeline,
    });
    expect(res.status).toBe(200);
    const second = (await res.json()) as { data: { task_id: string; task_info: { external_task_id: string } } };
    expect(second.data.task_id).not.toBe(first.data.task_id);
    expect(second.data.task_info.external_task_id).toBe(takenExternalId);
    const upstream = (await (
      await fetch(`${env.FAKE_URL}/kling/v1/videos/text2video/${second.data.task_id}`, {
        headers: { authorization: "Bearer test-cometapi-key" },
      })
    ).json()) as { data: { task_info: { external_task_id: string } } };
    expect(upstream.data.task_info.external_task_id).toMatch(/^rly-[0-9a-f]{32}$/);
    expect(upstream.data.task_info.external_task_id).not.toBe(takenExternalId);
  });

  it("scopes an Idempotency-Key to its path: the same key and body on another product creates there", async () => {
    const client = cometApiClient(API_KEY);
    const key = unique("idem");
    const call = (action2: string) =>
      relayRequest(`/kling/v1/videos/${action2}`, {
        method: "POST",
        headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json", "idempotency-key": key },
        body: JSON.stringify({ prompt: "p", image: "https://example.com/a.png", ...slowTimeline }),
      });
    const text = (await (await call("text2video")).json()) as { data: { task_id: string } };
    const again = await call("text2video");
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    const image = await call("image2video");
    expect(image.status).toBe(200);
    expect(image.headers.get("idempotent-replayed")).toBeNull();
    const other = (await image.json()) as { data: { task_id: string } };
    expect(other.data.task_id).not.toBe(text.data.task_id);
    expect((await (await client.query("videos", "image2video", other.data.task_id)).json()) as object).toMatchObject({
      data: { task_id: other.data.task_id },
    });
  });

  it("answers 409 conflict when the task it created is registered already with another action pair", async () => {
    // A first attempt with the key created the task upstream under the key's external id (the
    // relay's: rly- + SHA-256(tenant, method and path, key)), then lost its answer; meanwhile the
    // task's id was registered as videos/image2video. The retry finds it by the lookup.
    const key = unique("idem");
    const path = "/kling/v1/videos/text2video";
    const hex = async (text: string) =>
      [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)))]
        .map((b) => b.toString(16).padStart(2, "0"))
        .join("");
    const externalId = `rly-${(await hex(`default\nPOST ${path}\n${key}`)).slice(0, 32)}`;
    const earlier = await fetch(`${env.FAKE_URL}${path}`, {
      method: "POST",
      headers: { authorization: "Bearer test-cometapi-key", "content-type": "application/json" },
      body: JSON.stringify({ prompt: "p", external_task_id: externalId, ...slowTimeline }),
    });
    const { task_id: taskId } = ((await earlier.json()) as { data: { task_id: string } }).data;
    const hook = await receiver();
    const registered = await relayRequest("/v1/tasks", {
      method: "POST",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ task_id: taskId, action: "videos", action2: "image2video", callback_url: hook.url }),
    });
    expect(registered.status).toBe(201);
    const body = JSON.stringify({ prompt: "p", callback_url: hook.url, ...slowTimeline });
    await env.DB.prepare(
      "INSERT INTO idempotency_keys (tenant_id, key, request_hash, state, created_at, updated_at) VALUES ('default', ?, ?, 'lost', ?, ?)",
    )
      .bind(`POST ${path}\n${key}`, await hex(body), Date.now(), Date.now())
      .run();
    const res = await relayRequest(path, {
      method: "POST",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json", "idempotency-key": key },
      body,
    });
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({
      error: { code: "conflict", message: `task ${taskId} is already registered as videos/image2video` },
    });
    expect(await env.DB.prepare("SELECT count(*) AS n FROM subscriptions").first()).toEqual({ n: 1 });
  });

  it("refuses a create body nested deeper than 32 levels with 400, creating nothing", async () => {
    for (const depth of [33, 200_000]) {
      const nested = `${"[".repeat(depth)}${"]".repeat(depth)}`;
      const res = await relayRequest("/kling/v1/videos/text2video", {
        method: "POST",
        headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
        body: `{"prompt":"p","deep":${nested}}`,
      });
      expect(res.status, String(depth)).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: "invalid_request" } });
    }
    expect(await env.DB.prepare("SELECT count(*) AS n FROM tasks").first()).toEqual({ n: 0 });
  });
});
