/** Upstream callbacks (`POST /inbound/{provider}/{token}`): a hint polled at once, or, signed by Kling, the state itself. */
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { beforeEach, describe, expect, it } from "vitest";
import { leaseToken } from "../src/domain/ids";
import type { Env } from "../src/env";
import { claimDueTasks } from "../src/storage/claim-tasks";
import { openDb } from "../src/storage/db";
import { recordPolls } from "../src/storage/record-polls";
import { API_KEY, manualClock, receiver, relayRequest, resetDb, taskKey, tenantWithKey, tick, unique, upstreamTask } from "./support/relay";
import { taskUpdate } from "./support/task-update";

const TOKEN = "inbound-test-token-0123456789-abcdefgh";
/** Two whsec_ secrets of Kling's console: the current one, and one being rotated out. */
const KLING_SECRET = `whsec_${btoa("kling-console-secret-32-bytes-ok")}`;
const OLD_KLING_SECRET = `whsec_${btoa("old-kling-secret-of-32-bytes-len")}`;
const INBOUND: Partial<Env> = { INBOUND_TOKEN: TOKEN };
const SIGNED: Partial<Env> = { ...INBOUND, KLING_WEBHOOK_SECRET: KLING_SECRET };

const relay = (path: string, init: RequestInit, overrides: Partial<Env> = INBOUND) => relayRequest(path, init, overrides);

const callBack = (provider: string, body: unknown, overrides: Partial<Env> = INBOUND, headers: Record<string, string> = {}) =>
  relay(
    `/inbound/${provider}/${TOKEN}`,
    {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    },
    overrides,
  );

/** Standard Webhooks headers for `body`, signed with `secret` at `at` (seconds). */
function signed(secret: string, body: string, at = Math.floor(Date.now() / 1000)): Record<string, string> {
  const id = unique("msg");
  return {
    "webhook-id": id,
    "webhook-timestamp": String(at),
    "webhook-signature": new Webhook(secret).sign(id, new Date(at * 1000), body),
  };
}

/** Registers as the default tenant (or `key`'s), waiting for the request's `waitUntil` work too. */
const register = (body: Record<string, unknown>, overrides: Partial<Env> = INBOUND, key = API_KEY) =>
  relay(
    "/v1/tasks",
    {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({ action: "videos", action2: "text2video", ...body }),
    },
    overrides,
  );
/** A task of Kling's new API: no action pair. */
const NEW_API = { provider: "kling", action: undefined, action2: undefined };

const taskRow = (taskId: string) =>
  env.DB.prepare("SELECT task_status, pushed_at, repoll_at, next_poll_at, last_polled_at, lease_token FROM tasks WHERE task_id = ?")
    .bind(taskId)
    .first<Record<string, any>>();

const everyRow = async () => {
  const tables = ["tasks", "subscriptions", "messages", "inbound_hints"];
  return Object.fromEntries(await Promise.all(tables.map(async (t) => [t, (await env.DB.prepare(`SELECT * FROM ${t}`).all()).results])));
};

const legacyBody = (taskId: string, status: string) => ({ task_id: taskId, task_status: status, created_at: Date.now() - 30_000 });

describe("inbound callbacks: the route", () => {
  beforeEach(resetDb);

  it("answers 404 without INBOUND_TOKEN, with a wrong token or provider, never echoing the token, and changes nothing", async () => {
    const task = await upstreamTask([{ status: "succeed" }]);
    const hook = await receiver();
    expect((await register({ task_id: task.id, callback_url: hook.url })).status).toBe(201);
    const before = await everyRow();
    const body = JSON.stringify(legacyBody(task.id, "succeed"));
    const post = (path: string, overrides: Partial<Env>) => relay(path, { method: "POST", body }, overrides);
    for (const [path, overrides] of [
      [`/inbound/cometapi/${TOKEN}`, { INBOUND_TOKEN: "" }],
      [`/inbound/cometapi/${TOKEN.slice(0, -1)}x`, INBOUND],
      [`/inbound/cometapi/${TOKEN}x`, INBOUND],
      [`/inbound/other/${TOKEN}`, INBOUND],
    ] as const) {
      const res = await post(path, overrides);
      expect(res.status, path).toBe(404);
      const text = await res.text();
      expect(JSON.parse(text)).toMatchObject({ error: { code: "not_found" } });
      expect(text).not.toContain(TOKEN.slice(0, 16));
    }
    expect(await everyRow()).toEqual(before);
    expect(await task.polls()).toBe(0);
  });

  it('accepts the token before a rotation beside the new one (INBOUND_TOKEN "new old"), and no other', async () => {
    const task = await upstreamTask([{ status: "succeed" }]);
    await register({ task_id: task.id, callback_url: (await receiver()).url });
    const rotating = { INBOUND_TOKEN: `new-inbound-token-0123456789abcdefgh ${TOKEN}` };
    expect((await callBack("cometapi", legacyBody(task.id, "succeed"), rotating)).status).toBe(200);
    expect(await task.polls()).toBe(1);
    const other = await relay(`/inbound/cometapi/another-token-0123456789abcdefghij`, { method: "POST", body: "{}" }, rotating);
    expect(other.status).toBe(404);
  });

  it("refuses a body over 64 KiB with 413 and one that is not a callback with 400, changing nothing", async () => {
    const task = await upstreamTask([{ status: "succeed" }]);
    expect((await register({ task_id: task.id, callback_url: (await receiver()).url })).status).toBe(201);
    const before = await everyRow();
    const big = await callBack("cometapi", { ...legacyBody(task.id, "succeed"), pad: "x".repeat(64 * 1024) });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: { code: "payload_too_large" } });
    for (const body of [
      "not json",
      "[1]",
      "{}",
      JSON.stringify({ task_id: "../x", task_status: "succeed" }),
      JSON.stringify({ task_id: task.id }),
    ]) {
      const res = await callBack("cometapi", body);
      expect(res.status, body).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: "invalid_request" } });
    }
    expect(await everyRow()).toEqual(before);
    expect(await task.polls()).toBe(0);
  });
});

describe("inbound callbacks: unsigned, a hint confirmed by a poll", () => {
  beforeEach(resetDb);

  it("polls the task within the same invocation and sends its webhook before any tick", async () => {
    const task = await upstreamTask([{ status: "succeed" }]);
    const hook = await receiver();
    expect((await register({ task_id: task.id, callback_url: hook.url })).status).toBe(201);
    const res = await callBack("cometapi", legacyBody(task.id, "succeed"));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true });
    expect(await task.polls()).toBe(1);
    const deliveries = await hook.deliveries();
    expect(deliveries.map((d) => JSON.parse(d.body))).toMatchObject([{ type: "task.succeeded", task_id: task.id }]);
    expect(await taskRow(task.id)).toMatchObject({ task_status: "succeed", next_poll_at: null, lease_token: null });
    const view = (await (await relay(`/v1/tasks/${task.id}`, { headers: { authorization: `Bearer ${API_KEY}` } })).json()) as Record<
      string,
      unknown
    >;
    expect(view.last_callback_at).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT/));
  });

  it("takes the state from the poll, not from the callback, then polls only as a safety net", async () => {
    const task = await upstreamTask([{ status: "processing" }]);
    const hook = await receiver();
    await register({ task_id: task.id, callback_url: hook.url });
    const before = Date.now();
    expect((await callBack("cometapi", legacyBody(task.id, "succeed"))).status).toBe(200);
    expect(await task.polls()).toBe(1);
    expect(await hook.deliveries()).toEqual([]);
    const row = (await taskRow(task.id))!;
    expect(row.task_status).toBe("processing");
    expect(row.pushed_at).toBeGreaterThanOrEqual(before);
    // PUSH_SAFETY_POLL_SECONDS (300) or the kind's window if later, instead of the usual step.
    expect(row.next_poll_at - row.last_polled_at).toBeGreaterThanOrEqual(300_000);
  });

  it("answers 200 for a task nobody registered, and polls a registration that comes within 10 minutes at once", async () => {
    const task = await upstreamTask([{ status: "succeed" }]);
    expect((await callBack("cometapi", legacyBody(task.id, "processing"))).status).toBe(200);
    expect(await task.polls()).toBe(0);
    const hook = await receiver();
    expect((await register({ task_id: task.id, callback_url: hook.url })).status).toBe(201);
    // Polled in the registration's own invocation, and delivered: no tick ran.
    expect(await task.polls()).toBe(1);
    expect((await hook.deliveries()).map((d) => JSON.parse(d.body).type)).toEqual(["task.succeeded"]);
  });

  it("forgets an early callback after 10 minutes: that registration waits for the tick as usual", async () => {
    const task = await upstreamTask([{ status: "succeed" }]);
    await callBack("cometapi", legacyBody(task.id, "processing"));
    await env.DB.prepare("UPDATE inbound_hints SET received_at = received_at - 601000").run();
    const hook = await receiver();
    expect((await register({ task_id: task.id, callback_url: hook.url })).status).toBe(201);
    expect(await task.polls()).toBe(0);
    expect((await taskRow(task.id))!.pushed_at).toBeNull();
  });

  it("costs one confirming poll per POLL_MIN_INTERVAL_SECONDS however many callbacks come", async () => {
    const short = { ...INBOUND, POLL_MIN_INTERVAL_SECONDS: "1" };
    const task = await upstreamTask([{ status: "processing" }]);
    const hook = await receiver();
    await register({ task_id: task.id, callback_url: hook.url }, short);
    expect((await callBack("cometapi", legacyBody(task.id, "succeed"), short)).status).toBe(200);
    expect(await task.polls()).toBe(1);
    // 29 more within the interval: each waits for its end, and one poll confirms them all.
    const replies = await Promise.all(
      Array.from({ length: 29 }, (_, i) => callBack("cometapi", legacyBody(task.id, i % 2 ? "processing" : "succeed"), short)),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(29).fill(200));
    expect(await task.polls()).toBe(2);
  });

  it("ignores old news: a callback announcing no more than the known status costs no poll", async () => {
    const task = await upstreamTask([{ status: "processing" }]);
    await register({ task_id: task.id, callback_url: (await receiver()).url });
    await tick(manualClock());
    expect(await task.polls()).toBe(1);
    await env.DB.prepare("UPDATE tasks SET last_polled_at = last_polled_at - 3600000").run();
    for (const status of ["submitted", "processing"]) await callBack("cometapi", legacyBody(task.id, status));
    expect(await task.polls()).toBe(1);
    expect((await taskRow(task.id))!.pushed_at).not.toBeNull();
  });

  it("polls the task of every tenant watching that provider and id, and no other provider's", async () => {
    const task = await upstreamTask([{ status: "succeed" }]);
    const mine = await receiver();
    const theirs = await receiver();
    await register({ task_id: task.id, callback_url: mine.url });
    const tenant = await tenantWithKey(unique("tn"), "Other");
    expect((await register({ task_id: task.id, callback_url: theirs.url }, INBOUND, tenant.key)).status).toBe(201);
    await callBack("kling", legacyBody(task.id, "succeed"));
    expect(await task.polls()).toBe(0);
    await callBack("cometapi", legacyBody(task.id, "succeed"));
    expect(await task.polls()).toBe(2);
    expect(await mine.deliveries()).toHaveLength(1);
    expect(await theirs.deliveries()).toHaveLength(1);
  });

  it("a callback racing a tick: the task held by the tick is not polled twice, and is due again when the tick records", async () => {
    const task = await upstreamTask([{ status: "succeed" }]);
    const hook = await receiver();
    await register({ task_id: task.id, callback_url: hook.url });
    const db = openDb(env.DB);
    const now = Date.now();
    // A tick claims the task and is mid-poll when the callback comes.
    const [held] = await claimDueTasks(db, {
      now,
      limit: 1,
      leaseToken: leaseToken("lease_tick"),
      leaseMs: 60_000,
      pollable: { providers: ["cometapi"], newApi: false },
      only: "single",
    });
    expect(held?.taskId).toBe(task.id);
    await callBack("cometapi", legacyBody(task.id, "succeed"));
    expect(await task.polls()).toBe(0);
    expect((await taskRow(task.id))!.repoll_at).not.toBeNull();
    // The tick's poll began before the change: it records `processing`, with a next poll far off.
    const key = await taskKey(task.id);
    await recordPolls(
      db,
      [
        {
          taskKey: key,
          update: taskUpdate(now, { polls: 1, nextPollAt: now + 300_000 }),
          pushed: held!.pushedAt !== null,
        },
      ],
      leaseToken("lease_tick"),
      now,
    );
    const row = (await taskRow(task.id))!;
    expect(row.repoll_at).toBeNull();
    expect(row.next_poll_at).toBeLessThanOrEqual(now + 1_000);
    // So the next tick confirms what the callback said.
    await tick(manualClock(now + 1_000));
    expect((await hook.deliveries()).map((d) => JSON.parse(d.body).type)).toEqual(["task.succeeded"]);
  });

  it("the safety net catches a lost callback: the tick polls a pushed task again after PUSH_SAFETY_POLL_SECONDS", async () => {
    const task = await upstreamTask([{ status: "processing" }, { status: "succeed" }]);
    const hook = await receiver();
    await register({ task_id: task.id, callback_url: hook.url });
    await callBack("cometapi", legacyBody(task.id, "processing"));
    // Nobody asked for task.processing: the callback marks the task pushed and costs no poll.
    expect(await task.polls()).toBe(0);
    expect((await taskRow(task.id))!.pushed_at).not.toBeNull();
    // The `succeed` callback is lost. The tick polls the task (due since its registration), then
    // leaves it to the safety net: ticks four minutes on find nothing due.
    const clock = manualClock();
    clock.advance(60_000);
    await tick(clock);
    expect(await task.polls()).toBe(1);
    clock.advance(180_000);
    await tick(clock);
    expect(await task.polls()).toBe(1);
    // The kind's window (video: up to about 330 s) or 300 s, whichever is later.
    clock.advance(400_000);
    await tick(clock);
    expect(await task.polls()).toBe(2);
    expect((await hook.deliveries()).map((d) => JSON.parse(d.body).type)).toEqual(["task.succeeded"]);
  });

  it("confirms an intermediate status only for a subscription that asked for its event", async () => {
    const quiet = await upstreamTask([{ status: "processing" }]);
    await register({ task_id: quiet.id, callback_url: (await receiver()).url });
    await callBack("cometapi", legacyBody(quiet.id, "processing"));
    expect(await quiet.polls()).toBe(0);
    const watched = await upstreamTask([{ status: "processing" }]);
    const hook = await receiver();
    await register({ task_id: watched.id, callback_url: hook.url, events: ["task.processing", "task.succeeded"] });
    await callBack("cometapi", legacyBody(watched.id, "processing"));
    expect(await watched.polls()).toBe(1);
    expect((await hook.deliveries()).map((d) => JSON.parse(d.body).type)).toEqual(["task.processing"]);
  });
});

describe("inbound callbacks: signed by Kling", () => {
  beforeEach(resetDb);

  const newApiBody = (taskId: string, status: string) =>
    JSON.stringify({
      id: taskId,
      status,
      message: "",
      create_time: Date.now() - 40_000,
      update_time: Date.now(),
      external_id: "",
      outputs: [{ type: "video", id: "v1", url: "https://cdn.example/v1.mp4", watermark_url: "", duration: "5.0" }],
      billing: [],
    });

  it("takes a verified callback as the task's state, without a poll, and delivers it at once", async () => {
    const task = await upstreamTask([{ status: "processing" }], { dialect: "kling-new" });
    const hook = await receiver();
    expect((await register({ ...NEW_API, task_id: task.id, callback_url: hook.url }, SIGNED)).status).toBe(201);
    const body = newApiBody(task.id, "succeeded");
    expect((await callBack("kling", body, SIGNED, signed(KLING_SECRET, body))).status).toBe(200);
    expect(await task.polls()).toBe(0);
    const [event] = (await hook.deliveries()).map((d) => JSON.parse(d.body));
    expect(event).toMatchObject({
      type: "task.succeeded",
      provider: "kling",
      task_id: task.id,
      data: { id: task.id, status: "succeeded" },
    });
    expect(event.outputs).toEqual([{ type: "video", id: "v1", url: "https://cdn.example/v1.mp4", watermark_url: "", duration: "5.0" }]);
  });

  it("accepts the legacy shape signed with the secret being rotated out", async () => {
    const task = await upstreamTask([{ status: "processing" }], { dialect: "kling-legacy" });
    const hook = await receiver();
    await register({ provider: "kling", task_id: task.id, callback_url: hook.url });
    const body = JSON.stringify({
      ...legacyBody(task.id, "succeed"),
      task_result: { videos: [{ id: "v", url: "https://cdn.example/v.mp4", duration: "5" }] },
    });
    const rotating = { ...INBOUND, KLING_WEBHOOK_SECRET: `${KLING_SECRET} ${OLD_KLING_SECRET}` };
    expect((await callBack("kling", body, rotating, signed(OLD_KLING_SECRET, body))).status).toBe(200);
    expect(await task.polls()).toBe(0);
    expect((await hook.deliveries()).map((d) => JSON.parse(d.body).type)).toEqual(["task.succeeded"]);
  });

  it("refuses unsigned, forged, stale and other-secret callbacks with 401, changing nothing", async () => {
    const task = await upstreamTask([{ status: "succeed" }], { dialect: "kling-new" });
    await register({ ...NEW_API, task_id: task.id, callback_url: (await receiver()).url }, SIGNED);
    const body = newApiBody(task.id, "succeeded");
    const before = await everyRow();
    const forged = { ...signed(KLING_SECRET, body), "webhook-signature": signed(KLING_SECRET, `${body} `)["webhook-signature"]! };
    const stale = signed(KLING_SECRET, body, Math.floor(Date.now() / 1000) - 301);
    for (const [name, headers] of [
      ["unsigned", {}],
      ["forged", forged],
      ["stale", stale],
      ["another secret", signed(OLD_KLING_SECRET, body)],
    ] as const) {
      const res = await callBack("kling", body, SIGNED, headers);
      expect(res.status, name).toBe(401);
      const text = await res.text();
      expect(JSON.parse(text)).toMatchObject({ error: { code: "unauthorized" } });
      expect(text).not.toContain(KLING_SECRET.slice(6, 20));
    }
    expect(await everyRow()).toEqual(before);
    expect(await task.polls()).toBe(0);
  });

  it("without KLING_WEBHOOK_SECRET a Kling callback is only a hint: the poll decides", async () => {
    const task = await upstreamTask([{ status: "processing" }], { dialect: "kling-new" });
    const hook = await receiver();
    await register({ ...NEW_API, task_id: task.id, callback_url: hook.url });
    const body = newApiBody(task.id, "succeeded");
    expect((await callBack("kling", body, INBOUND, signed(KLING_SECRET, body))).status).toBe(200);
    expect(await task.polls()).toBe(1);
    expect(await hook.deliveries()).toEqual([]);
    expect((await taskRow(task.id))!.task_status).toBe("processing");
  });
});
