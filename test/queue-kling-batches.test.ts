/**
 * Queue consumers query Kling's new API as the tick does: the new-API tasks of a consumer batch go
 * `KLING_BATCH_SIZE` ids per `GET /tasks?task_ids=`, one subrequest of the consumer's budget per
 * request, never two accounts' ids in one request, and each answer recorded as a poll of its own.
 */
import { createMessageBatch } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { leaseToken } from "../src/domain/ids";
import type { Env } from "../src/env";
import { consumeBatch } from "../src/queue/consume-batch";
import { claimDueTasks } from "../src/storage/claim-tasks";
import { openDb } from "../src/storage/db";
import { DUE_LANES } from "../src/storage/due-lanes";
import { queuedLeaseMs } from "../src/work/leases";
import { IDS_PER_MESSAGE, type WorkMessage } from "../src/work/work-message";
import { manualClock, postJson, receiver, relayRequest, resetDb, tenantWithKey, tick, unique, upstreamTask } from "./support/relay";

type Json = Record<string, any>;
type UpstreamStep = Parameters<typeof upstreamTask>[0][number];

const sim = (path: string, init?: RequestInit) => fetch(`${env.FAKE_URL}/_sim/${path}`, init).then((r) => r.json() as Promise<Json>);
const batches = async () => (await sim("batches")) as { requests: number; log: { ids: string[]; answered: string[]; status: number }[] };
const byAccount = async () => ((await sim("stats")).byAccount ?? {}) as Record<string, number>;
const accountOf = async (taskId: string) => (await sim(`tasks/${taskId}`)).account as string;

let seq = 0;
/**
 * Claims every due task, as a queue-mode tick does, and hands their ids to the relay's consumer in
 * one batch of messages of IDS_PER_MESSAGE ids.
 */
async function consumeAllDue(overrides: Partial<Env> = {}) {
  const token = unique("lease_qb");
  const claimed = [];
  for (const only of DUE_LANES)
    claimed.push(
      ...(await claimDueTasks(openDb(env.DB), {
        now: Date.now(),
        limit: 500,
        leaseToken: leaseToken(token),
        leaseMs: queuedLeaseMs(15_000),
        pollable: { providers: ["cometapi", "kling"], newApi: true },
        only,
      })),
    );
  const ids = claimed.map((t) => t.key);
  const bodies: WorkMessage[] = [];
  for (let i = 0; i < ids.length; i += IDS_PER_MESSAGE)
    bodies.push({ kind: "poll", leaseToken: leaseToken(token), ids: ids.slice(i, i + IDS_PER_MESSAGE) });
  const batch = createMessageBatch(
    "kling-webhook-relay-polls",
    bodies.map((body) => ({ id: `qb-${++seq}`, timestamp: new Date(), attempts: 1, body })),
  );
  return consumeBatch(batch, { ...env, ...overrides });
}

/** Tasks of Kling's new API on the simulator (operator's account), registered for the default tenant. */
async function newApiTasks(steps: UpstreamStep[][], hook: string) {
  const tasks = [];
  for (const s of steps) {
    const task = await upstreamTask(s, { dialect: "kling-new" });
    const res = await postJson("/v1/tasks", { provider: "kling", task_id: task.id, callback_url: hook });
    expect(res.status).toBe(201);
    tasks.push(task);
  }
  return tasks;
}

const send = (key: string, method: string, path: string, body?: unknown) =>
  relayRequest(path, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  }).then(async (res) => ({ status: res.status, body: (await res.json()) as Json }));

/** A tenant neither lent the operator's account nor trusted, with a Kling account of its own on the simulator. */
async function ownTenant(label: string) {
  const tenant = await tenantWithKey(unique("tn"), label, { sharedUpstream: false, trusted: false });
  const account = unique(`acct-${label}`);
  await sim(`accounts/${account}`, { method: "PUT", body: JSON.stringify({ kling_api_key: `kling-${account}` }) });
  expect((await send(tenant.key, "PUT", "/v1/credentials/kling", { api_key: `kling-${account}` })).status).toBe(200);
  return { ...tenant, account };
}

const NEW_API = { provider: "kling", path: "text-to-video/kling-3.0-turbo" };
/** Creates a task of the new API through the relay, on the tenant's own account (finished at once). */
async function createOwn(key: string, hook: string): Promise<string> {
  const created = await send(key, "POST", "/v1/tasks", {
    ...NEW_API,
    callback_url: hook,
    create: { prompt: "p", x_sim: { submittedMs: 0, processingMs: 0 } },
  });
  expect(created.status).toBe(201);
  return created.body.task_id as string;
}

/** Upstream's `data` with its times (when the simulator made each task) named alike. */
const timeless = (data: Json | null) =>
  data === null ? null : Object.fromEntries(Object.entries(data).map(([k, v]) => [k, /_(time|at)$/.test(k) ? "<time>" : v]));

const taskRow = (tenantId: string, taskId: string) =>
  env.DB.prepare("SELECT * FROM tasks WHERE tenant_id = ? AND task_id = ?").bind(tenantId, taskId).first<Json>();

describe("queue consumers and Kling's new API", () => {
  beforeEach(async () => {
    await resetDb();
    await sim("batches", { method: "DELETE" });
  });

  it("queries a batch's N tasks in ceil(N/B) requests, one subrequest each", async () => {
    const hook = await receiver();
    const tasks = await newApiTasks(
      Array.from({ length: 23 }, () => [{ status: "succeeded" }]),
      hook.url,
    );
    const report = await consumeAllDue({ KLING_BATCH_SIZE: "5" });
    const seen = await batches();
    expect(seen.requests).toBe(Math.ceil(23 / 5));
    expect(seen.log.map((b) => b.ids.length).sort()).toEqual([3, 5, 5, 5, 5]);
    expect(seen.log.flatMap((b) => b.ids).sort()).toEqual(tasks.map((t) => t.id).sort());
    expect(report).toMatchObject({ messages: 3, claimed: 23, polled: 23, messagesCreated: 23, released: 0, skipped: 0 });
    // 45 (SUBREQUEST_BUDGET) less one per request: not one per task.
    expect(report.subrequestsLeft).toBe(45 - 5);
    expect(await Promise.all(tasks.map((t) => t.polls()))).toEqual(tasks.map(() => 1));
  });

  it("spends its subrequest budget per request, and hands the tasks of requests it cannot make back, due at once", async () => {
    const hook = await receiver();
    const tasks = await newApiTasks(
      Array.from({ length: 23 }, () => [{ status: "processing" }]),
      hook.url,
    );
    const report = await consumeAllDue({ KLING_BATCH_SIZE: "5", SUBREQUEST_BUDGET: "2" });
    expect((await batches()).requests).toBe(2);
    expect(report).toMatchObject({ polled: 10, released: 13, subrequestsLeft: 0 });
    expect((await Promise.all(tasks.map((t) => t.polls()))).reduce((a, b) => a + b)).toBe(10);
    const released = await env.DB.prepare("SELECT count(*) AS n FROM tasks WHERE polls = 0 AND lease_token IS NULL AND next_poll_at <= ?")
      .bind(Date.now())
      .first<{ n: number }>();
    expect(released!.n).toBe(13);
  });

  it("never puts two tenants' own accounts in one request: each carries its tenant's key and finds only its tenant's tasks", async () => {
    const [a, b] = [await ownTenant("a"), await ownTenant("b")];
    const [hookA, hookB] = [await receiver(), await receiver()];
    const idsA = [await createOwn(a.key, hookA.url), await createOwn(a.key, hookA.url)];
    const idsB = [await createOwn(b.key, hookB.url), await createOwn(b.key, hookB.url), await createOwn(b.key, hookB.url)];
    // A registers one of B's ids on its own account, where upstream does not know it.
    const registered = await send(a.key, "POST", "/v1/tasks", { provider: "kling", task_id: idsB[0], callback_url: hookA.url });
    expect(registered.status).toBe(201);
    await sim("batches", { method: "DELETE" });
    const before = await byAccount();

    const report = await consumeAllDue({ KLING_BATCH_SIZE: "50" });
    expect(report).toMatchObject({ claimed: 6, polled: 6, configurationError: null });
    const seen = await batches();
    // Six tasks, well within one batch of 50, yet two requests: one per account.
    expect(seen.requests).toBe(2);
    const after = await byAccount();
    expect((after[a.account] ?? 0) - (before[a.account] ?? 0)).toBe(1);
    expect((after[b.account] ?? 0) - (before[b.account] ?? 0)).toBe(1);
    expect((after.default ?? 0) - (before.default ?? 0)).toBe(0);
    const asked = seen.log.map((r) => [...r.ids].sort());
    expect(asked).toContainEqual([...idsA, idsB[0]!].sort());
    expect(asked).toContainEqual([...idsB].sort());
    for (const request of seen.log) {
      // What each request found belongs to one account: the key it carried (A's request asked for B's id, not found).
      const owners = new Set(await Promise.all(request.answered.map(accountOf)));
      expect(owners.size).toBe(1);
      expect(request.status).toBe(200);
    }
    // A's copy of B's id: not found on A's account; B's own row of that id is B's answer alone.
    expect(await taskRow(a.id, idsB[0]!)).toMatchObject({ not_found_streak: 1, task_status: null, last_event: null });
    for (const id of idsB) expect(await taskRow(b.id, id)).toMatchObject({ not_found_streak: 0, task_status: "succeed" });
    for (const id of idsA) expect(await taskRow(a.id, id)).toMatchObject({ not_found_streak: 0, task_status: "succeed" });
    const events = await env.DB.prepare(
      "SELECT tenant_id, event_type, count(*) AS n FROM messages GROUP BY tenant_id, event_type ORDER BY tenant_id",
    ).all<Json>();
    expect(events.results).toEqual(
      [
        { tenant_id: a.id, event_type: "task.succeeded", n: 2 },
        { tenant_id: b.id, event_type: "task.succeeded", n: 3 },
      ].sort((x, y) => (x.tenant_id < y.tenant_id ? -1 : 1)),
    );
  });

  it("records each task's answer as a poll of its own would: the same rows, the same webhooks", async () => {
    const outcomes: UpstreamStep[][] = [
      [{ status: "succeeded" }],
      [{ status: "failed", msg: "content moderation" }],
      [{ status: "processing" }],
      [{ omit: true }],
      [{ status: "submitted" }],
    ];
    /** One run: the tasks polled by a consumer with `batchSize`, then their webhooks delivered by a tick. */
    async function run(batchSize: string) {
      await resetDb();
      await sim("batches", { method: "DELETE" });
      const hook = await receiver();
      const tasks = await newApiTasks(outcomes, hook.url);
      const report = await consumeAllDue({ KLING_BATCH_SIZE: batchSize });
      const requests = (await batches()).requests;
      const rows = [];
      for (const t of tasks) {
        const row = (await taskRow("default", t.id))!;
        rows.push({
          task_status: row.task_status,
          polls: row.polls,
          error_streak: row.error_streak,
          not_found_streak: row.not_found_streak,
          last_error: row.last_error,
          last_event: row.last_event,
          finish_reason: row.finish_reason,
          settled: row.settled_at !== null,
          waiting: row.next_poll_at !== null,
          data: row.data === null ? null : timeless(JSON.parse(row.data.replaceAll(t.id, "<task id>"))),
        });
      }
      await tick(manualClock());
      // Each body with its task's own values (id, output URLs, times, subscription) named alike.
      const webhooks = (await hook.deliveries())
        .map((d): Json => {
          const raw = JSON.parse(d.body) as Json;
          const task = tasks.findIndex((t) => t.id === raw.task_id);
          const w = JSON.parse(d.body.replaceAll(raw.task_id, "<task id>")) as Json;
          return { task, ...w, timestamp: "<time>", subscription_id: "<sub>", data: timeless(w.data) };
        })
        .sort((x, y) => x.task - y.task);
      return { requests, report, rows, webhooks };
    }
    const alone = await run("1");
    const batched = await run("50");
    expect([alone.requests, batched.requests]).toEqual([outcomes.length, 1]);
    expect(batched.rows).toEqual(alone.rows);
    expect(batched.webhooks).toEqual(alone.webhooks);
    const counts = (r: Json) => ({
      polled: r.polled,
      statusChanges: r.statusChanges,
      messagesCreated: r.messagesCreated,
      upstreamErrors: r.upstreamErrors,
    });
    expect(counts(batched.report)).toEqual(counts(alone.report));
    // Not vacuous: a success and a failure were delivered, and the omitted task was counted not found.
    expect(batched.webhooks.map((w) => w.type)).toEqual(["task.succeeded", "task.failed"]);
    expect(batched.rows[3]).toMatchObject({ not_found_streak: 1 });
  });
});
