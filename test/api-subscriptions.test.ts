/** The subscription lifecycle through the API: register, read, cancel, re-register, redeliver. */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { api, manualClock, postJson, receiver, resetDb, tick, unique, upstreamTask } from "./support/relay";

type Json = Record<string, any>;

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const SUB_ID = /^sub_[A-Za-z0-9]+$/;

/** Calls the API and fails at once on any 5xx, whatever the test expects next. */
async function call(path: string, init: RequestInit = {}): Promise<{ status: number; body: Json | null }> {
  const res = await api(path, init);
  const text = await res.text();
  expect(res.status, `${init.method ?? "GET"} ${path} answered ${res.status}: ${text}`).toBeLessThan(500);
  return { status: res.status, body: text === "" ? null : (JSON.parse(text) as Json) };
}

async function reg(taskId: string, callbackUrl: string, extra: Json = {}) {
  const res = await postJson("/v1/tasks", {
    task_id: taskId,
    action: "videos",
    action2: "text2video",
    callback_url: callbackUrl,
    ...extra,
  });
  const text = await res.text();
  expect(res.status, text).toBeLessThan(500);
  return { status: res.status, body: JSON.parse(text) as Json };
}

const getTask = (taskId: string) => call(`/v1/tasks/${taskId}`);
const getSub = (id: string) => call(`/v1/subscriptions/${id}`);
const cancel = (id: string) => call(`/v1/subscriptions/${id}`, { method: "DELETE" });
const redeliver = (id: string) => call(`/v1/subscriptions/${id}/redeliver`, { method: "POST" });

function expectError(res: { status: number; body: Json | null }, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.body?.error).toMatchObject({ code, message: expect.stringMatching(/\S/) });
}

function expectIso(value: unknown, around = Date.now()) {
  expect(value).toMatch(ISO);
  expect(Math.abs(Date.parse(value as string) - around)).toBeLessThan(60_000);
}

const count = async (table: "tasks" | "subscriptions") =>
  (await env.DB.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>())?.n;

describe("registering subscriptions", () => {
  beforeEach(resetDb);

  it("answers 201 with the subscription, then 200 with the same one for the same task and URL", async () => {
    const taskId = unique("task");
    const hook = await receiver();
    const first = await reg(taskId, hook.url, { metadata: { user: 7 } });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({
      id: expect.stringMatching(SUB_ID),
      task_id: taskId,
      endpoint_id: expect.stringMatching(/^ep_[0-9a-f]{24}$/),
      provider: "cometapi",
      action: "videos",
      action2: "text2video",
      callback_url: hook.url,
      events: ["task.succeeded", "task.failed", "task.expired"],
      metadata: { user: 7 },
      status: "active",
      status_reason: null,
      task_status: null,
      created_at: expect.stringMatching(ISO),
      updated_at: expect.stringMatching(ISO),
    });
    expectIso(first.body.created_at);
    expectIso(first.body.updated_at);

    const again = await reg(taskId, hook.url, { metadata: { user: 7 } });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect([await count("tasks"), await count("subscriptions")]).toEqual([1, 1]);
  });

  it("creates a second subscription for a second URL and lists both on the task", async () => {
    const taskId = unique("task");
    const [a, b] = [await receiver(), await receiver()];
    const first = await reg(taskId, a.url);
    const second = await reg(taskId, b.url, { events: ["task.processing"] });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.body.id).not.toBe(first.body.id);

    const { status, body } = await getTask(taskId);
    expect(status).toBe(200);
    expect(body!.subscriptions).toHaveLength(2);
    const byId = new Map((body!.subscriptions as Json[]).map((s) => [s.id, s]));
    expect(byId.get(first.body.id)).toMatchObject({ callback_url: a.url, status: "active", deliveries: [] });
    expect(byId.get(second.body.id)).toMatchObject({ callback_url: b.url, events: ["task.processing"], deliveries: [] });
  });

  it("answers 409 for the same task with another action pair and creates nothing", async () => {
    const taskId = unique("task");
    const first = await reg(taskId, (await receiver()).url);
    const conflict = await reg(taskId, (await receiver()).url, { action: "images", action2: "generations" });
    expectError(conflict, 409, "conflict");
    expect([await count("tasks"), await count("subscriptions")]).toEqual([1, 1]);
    const { body } = await getTask(taskId);
    expect(body).toMatchObject({ action: "videos", action2: "text2video" });
    expect((body!.subscriptions as Json[]).map((s) => s.id)).toEqual([first.body.id]);
  });

  // BUG (src/storage/subscriptions.ts registerSubscription): the conflict is only detected when no
  // subscription exists for (task_id, callback_url). Registering task T as videos/text2video with
  // URL U, then POSTing T as images/generations with the same U answers 200 with the old
  // videos/text2video subscription instead of 409 conflict.
  it("answers 409 for another action pair even with the same callback URL", async () => {
    const taskId = unique("task");
    const url = (await receiver()).url;
    expect((await reg(taskId, url)).status).toBe(201);
    expectError(await reg(taskId, url, { action: "images", action2: "generations" }), 409, "conflict");
  });

  // BUG (metadata is stored as text and later read with SQLite json(), max depth 1000): metadata
  // nested more than 1000 levels deep still fits in 4 KiB ({"a":[[[…1…]]]} at depth 1500 is ~3 KiB)
  // and is accepted. Registering it on a task that already reached an event the subscriber wants
  // answers 500 internal_error ("D1_ERROR: malformed JSON"); on a fresh task it answers 201 and
  // every later tick that fans the task's event out throws the same D1 error.
  it("never answers 500 for deeply nested metadata on a task that already reached an event", async () => {
    const task = await upstreamTask([{ status: "processing" }]);
    expect((await reg(task.id, (await receiver()).url, { events: ["task.processing"] })).status).toBe(201);
    await tick(manualClock());
    const hook = await receiver();
    const body = `{"task_id":"${task.id}","action":"videos","action2":"text2video","callback_url":"${hook.url}","events":["task.processing"],"metadata":{"a":${"[".repeat(1500)}1${"]".repeat(1500)}}}`;
    const res = await api("/v1/tasks", { method: "POST", headers: { "content-type": "application/json" }, body });
    expect([201, 400]).toContain(res.status);
  });
});

describe("reading tasks and subscriptions", () => {
  beforeEach(resetDb);

  it("shows a task before its first poll", async () => {
    const taskId = unique("task");
    const sub = await reg(taskId, (await receiver()).url);
    const { status, body } = await getTask(taskId);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      task_id: taskId,
      action: "videos",
      action2: "text2video",
      task_status: null,
      polls: 0,
      last_polled_at: null,
      last_callback_at: null,
      last_error: null,
      data: null,
    });
    expectIso(body!.next_poll_at);
    expect(body!.subscriptions).toEqual([{ ...sub.body, deliveries: [] }]);
  });

  it("shows a subscription with its deliveries", async () => {
    const sub = await reg(unique("task"), (await receiver()).url, { events: ["task.failed"], metadata: { a: [1, "two"] } });
    const { status, body } = await getSub(sub.body.id);
    expect(status).toBe(200);
    expect(body).toEqual({ ...sub.body, deliveries: [] });
  });

  it("answers 400 for a malformed task id", async () => {
    expectError(await call("/v1/tasks/bad%20id"), 400, "invalid_request");
    expectError(await call(`/v1/tasks/${"a".repeat(129)}`), 400, "invalid_request");
  });

  it.each([
    ["GET", "/v1/tasks/no-such-task"],
    ["GET", "/v1/subscriptions/sub_000000000000000000000000"],
    ["DELETE", "/v1/subscriptions/sub_000000000000000000000000"],
    ["POST", "/v1/subscriptions/sub_000000000000000000000000/redeliver"],
    ["GET", "/v1/subscriptions/not-even-a-sub-id"],
    ["DELETE", "/v1/subscriptions/%E0%A4%A"],
  ])("%s %s answers 404", async (method, path) => {
    await reg(unique("task"), (await receiver()).url);
    expectError(await call(path, { method }), 404, "not_found");
  });
});

describe("cancelling, re-registering and redelivering", () => {
  beforeEach(resetDb);

  it("cancels with 204, shows the subscription cancelled and stops polling its task", async () => {
    const taskId = unique("task");
    const sub = await reg(taskId, (await receiver()).url);
    const res = await api(`/v1/subscriptions/${sub.body.id}`, { method: "DELETE" });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");

    const after = await getSub(sub.body.id);
    expect(after.body).toMatchObject({ id: sub.body.id, status: "cancelled" });
    expectIso(after.body!.updated_at);
    expect((await getTask(taskId)).body).toMatchObject({ next_poll_at: null, subscriptions: [{ id: sub.body.id, status: "cancelled" }] });

    expect((await cancel(sub.body.id)).status).toBe(204);
    expect((await getSub(sub.body.id)).body?.status).toBe("cancelled");
  });

  it("keeps polling while another subscription is still active", async () => {
    const taskId = unique("task");
    const first = await reg(taskId, (await receiver()).url);
    const second = await reg(taskId, (await receiver()).url);
    expect((await cancel(first.body.id)).status).toBe(204);
    const { body } = await getTask(taskId);
    expectIso(body!.next_poll_at);
    expect((body!.subscriptions as Json[]).map((s) => [s.id, s.status]).sort()).toEqual(
      [
        [first.body.id, "cancelled"],
        [second.body.id, "active"],
      ].sort(),
    );
    expect((await cancel(second.body.id)).status).toBe(204);
    expect((await getTask(taskId)).body?.next_poll_at).toBeNull();
  });

  it("makes a cancelled subscription active again when it is registered again (200, same id)", async () => {
    const taskId = unique("task");
    const url = (await receiver()).url;
    const sub = await reg(taskId, url);
    expect((await cancel(sub.body.id)).status).toBe(204);
    const again = await reg(taskId, url);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: sub.body.id, status: "active" });
    expect((await getSub(sub.body.id)).body?.status).toBe("active");
    expectIso((await getTask(taskId)).body?.next_poll_at);
  });

  it("answers 409 to redeliver before any webhook exists, and for a cancelled subscription", async () => {
    const sub = await reg(unique("task"), (await receiver()).url);
    expectError(await redeliver(sub.body.id), 409, "conflict");
    expect((await getSub(sub.body.id)).body).toMatchObject({ status: "active", deliveries: [] });
    expect((await cancel(sub.body.id)).status).toBe(204);
    expectError(await redeliver(sub.body.id), 409, "conflict");
    expect((await getSub(sub.body.id)).body?.status).toBe("cancelled");
  });

  it("answers 202 to redeliver once a webhook was delivered, and 409 after cancelling", async () => {
    const task = await upstreamTask([{ status: "succeed", result: { videos: [] } }]);
    const hook = await receiver();
    const sub = await reg(task.id, hook.url);
    await tick(manualClock());
    expect(await hook.deliveries()).toHaveLength(1);
    expect((await getSub(sub.body.id)).body?.status).toBe("delivered");

    const res = await redeliver(sub.body.id);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id: sub.body.id, deliveries: [{ event_type: "task.succeeded" }] });
    expect((await cancel(sub.body.id)).status).toBe(204);
    expectError(await redeliver(sub.body.id), 409, "conflict");
  });
});
