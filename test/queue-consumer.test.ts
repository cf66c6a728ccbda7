import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { beforeEach, describe, expect, it } from "vitest";
import { leaseToken } from "../src/domain/ids";
import type { Env } from "../src/env";
import worker from "../src/index";
import { consumeBatch } from "../src/queue/consume-batch";
import { claimDueMessageIds } from "../src/storage/claim-messages";
import { claimDueTasks } from "../src/storage/claim-tasks";
import { openDb } from "../src/storage/db";
import { queuedLeaseMs } from "../src/work/leases";
import type { WorkMessage } from "../src/work/work-message";
import { manualClock, maxInFlight, receiver, register, resetDb, taskKey, tick, unique, upstreamTask } from "./support/relay";

const SECRET = "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0MTI=";
const POLLS = "kling-webhook-relay-polls";
const DELIVERIES = "kling-webhook-relay-deliveries";
const LEASE = queuedLeaseMs(15_000);

let seq = 0;
/** A batch as Queues hands it to the consumer: these bodies, one message each. */
const batchOf = (queue: string, bodies: unknown[]) =>
  createMessageBatch(
    queue,
    bodies.map((body) => ({ id: `msg-${++seq}`, timestamp: new Date(), attempts: 1, body })),
  );

/** Runs the Worker's own `queue` handler, then reads what it acknowledged and what it retried. */
async function runQueueHandler(batch: MessageBatch<unknown>, overrides: Partial<Env> = {}) {
  const ctx = createExecutionContext();
  await worker.queue(batch, { ...env, ...overrides });
  return getQueueResult(batch, ctx);
}

/**
 * A D1 that is down: every statement throws, so the consumer throws (a misconfigured one does
 * not: it logs one line and retries the batch, test/misconfigured-relay.test.ts).
 */
const D1_DOWN = {
  DB: new Proxy({} as D1Database, {
    get: () => () => {
      throw new Error("D1 is down");
    },
  }),
};

/** Registers `count` tasks on the fake upstream, each answering `steps`, all to one receiver. */
async function registered(count: number, hookUrl: string, options: Parameters<typeof upstreamTask>[1] = {}) {
  const tasks = [];
  for (let i = 0; i < count; i++) {
    const task = await upstreamTask(
      [{ status: "succeed", result: { videos: [{ id: `v${i}`, url: "https://cdn.example/v.mp4", duration: "5" }] } }],
      options,
    );
    await register({ task_id: task.id, callback_url: hookUrl });
    tasks.push(task);
  }
  return tasks;
}

const claimTasks = (token: string, now: number, leaseMs = LEASE) =>
  claimDueTasks(openDb(env.DB), {
    now,
    limit: 100,
    leaseToken: leaseToken(token),
    leaseMs,
    pollable: { providers: ["cometapi"], newApi: false },
    only: "single",
  });
const pollMessage = (token: string, ids: string[]): WorkMessage => ({ kind: "poll", leaseToken: leaseToken(token), ids });
const leases = async (table: "tasks" | "messages") =>
  (await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE lease_token IS NOT NULL`).first<{ n: number }>())!.n;

describe("queue consumer", () => {
  beforeEach(resetDb);

  it("polls the tasks a message names, records the whole batch in one D1 batch, and acknowledges it", async () => {
    const hook = await receiver();
    const tasks = await registered(12, hook.url);
    const claimed = await claimTasks("lease_q1", Date.now());
    const ids = claimed.map((t) => t.key);
    const batch = batchOf(POLLS, [pollMessage("lease_q1", ids.slice(0, 10)), pollMessage("lease_q1", ids.slice(10))]);
    const ctx = createExecutionContext();
    const report = await consumeBatch(batch, env);
    const result = await getQueueResult(batch, ctx);

    expect(result.explicitAcks).toEqual(batch.messages.map((m) => m.id));
    expect(result.retryMessages).toEqual([]);
    expect(report).toMatchObject({ messages: 2, claimed: 12, polled: 12, messagesCreated: 12, skipped: 0, released: 0 });
    // A consumer's line carries the work it did, none of a tick's own fields.
    expect(report).not.toHaveProperty("rounds");
    expect(report).not.toHaveProperty("endReason");
    // Load the claimed rows, read the kind statistics, record everything: three round trips.
    expect(report.d1.queries).toBe(3);
    expect(await Promise.all(tasks.map((t) => t.polls()))).toEqual(tasks.map(() => 1));
    expect(await leases("tasks")).toBe(0);
    const pending = await env.DB.prepare("SELECT count(*) AS n FROM messages WHERE status = 'pending'").first<{ n: number }>();
    expect(pending!.n).toBe(12);
  });

  it("skips ids whose lease moved on: a late or duplicate message polls nothing", async () => {
    const hook = await receiver();
    const [task] = await registered(1, hook.url);
    const clock = manualClock();
    await claimTasks("lease_old", clock.now(), 1_000);
    clock.advance(2_000);
    // The lease ran out and another tick claimed the task again.
    await claimTasks("lease_new", clock.now());
    const result = await runQueueHandler(batchOf(POLLS, [pollMessage("lease_old", [await taskKey(task!.id)])]));
    expect(result.explicitAcks).toHaveLength(1);
    expect(await task!.polls()).toBe(0);
    const row = await env.DB.prepare("SELECT lease_token FROM tasks WHERE task_id = ?").bind(task!.id).first();
    expect(row).toEqual({ lease_token: "lease_new" });
  });

  it("delivers the webhooks a delivery message names, signed, and schedules a failed one for retry", async () => {
    const ok = await receiver();
    const flaky = await receiver([{ status: 500 }, { status: 200 }]);
    const task = await upstreamTask([{ status: "succeed" }]);
    await register({ task_id: task.id, callback_url: ok.url });
    await register({ task_id: task.id, callback_url: flaky.url });
    await runQueueHandler(
      batchOf(POLLS, [
        pollMessage(
          "lease_p",
          (await claimTasks("lease_p", Date.now())).map((t) => t.key),
        ),
      ]),
    );

    const ids = await claimDueMessageIds(openDb(env.DB), { now: Date.now(), limit: 10, leaseToken: leaseToken("lease_d"), leaseMs: LEASE });
    expect(ids).toHaveLength(2);
    const batch = batchOf(DELIVERIES, [{ kind: "deliver", leaseToken: leaseToken("lease_d"), ids }]);
    const ctx = createExecutionContext();
    const report = await consumeBatch(batch, env);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toHaveLength(1);
    expect(report).toMatchObject({ claimed: 2, delivered: 1, retried: 1, polled: 0 });
    const [delivery] = await ok.deliveries();
    expect(new Webhook(SECRET).verify(delivery!.body, delivery!.headers)).toMatchObject({ type: "task.succeeded", task_id: task.id });
    const retry = await env.DB.prepare(
      "SELECT status, lease_token, next_attempt_at - updated_at AS wait FROM messages WHERE status = 'pending'",
    ).first<{ wait: number }>();
    expect(retry).toMatchObject({ status: "pending", lease_token: null });
    expect(retry!.wait).toBeGreaterThanOrEqual(4_500);
    expect(retry!.wait).toBeLessThanOrEqual(5_500);
  });

  it("retries a message that names no work (then the dead-letter queue has it) and still does the others", async () => {
    const hook = await receiver();
    const [task] = await registered(1, hook.url);
    await claimTasks("lease_q", Date.now());
    const batch = batchOf(POLLS, [
      { kind: "poll", leaseToken: "lease_q" },
      pollMessage("lease_q", [await taskKey(task!.id)]),
      "not json work",
    ]);
    const result = await runQueueHandler(batch);
    const [bad1, good, bad2] = batch.messages.map((m) => m.id);
    expect(result.retryMessages).toEqual([{ msgId: bad1 }, { msgId: bad2 }]);
    expect(result.explicitAcks).toEqual([good]);
    expect(await task!.polls()).toBe(1);
  });

  it("acknowledges nothing when it throws, so the batch is retried, and the retry does the work", async () => {
    const hook = await receiver();
    const [task] = await registered(1, hook.url);
    await claimTasks("lease_q", Date.now());
    const first = batchOf(POLLS, [pollMessage("lease_q", [await taskKey(task!.id)])]);
    await expect(runQueueHandler(first, D1_DOWN)).rejects.toThrow(/D1 is down/);
    const ctx = createExecutionContext();
    expect(await getQueueResult(first, ctx)).toMatchObject({ explicitAcks: [], retryMessages: [], ackAll: false });
    expect(await leases("tasks")).toBe(1);

    const retried = createMessageBatch(POLLS, [{ ...first.messages[0]!, attempts: 2 }]);
    expect((await runQueueHandler(retried)).explicitAcks).toHaveLength(1);
    expect(await task!.polls()).toBe(1);
    expect(await hook.deliveries()).toHaveLength(0);
    expect(await leases("tasks")).toBe(0);
  });

  it("loses nothing when a batch keeps crashing into the dead-letter queue: the tick claims its tasks again once the lease ends", async () => {
    const hook = await receiver();
    const [task] = await registered(1, hook.url);
    const clock = manualClock();
    await claimTasks("lease_dead", clock.now());
    for (let attempt = 1; attempt <= 4; attempt++) {
      const batch = createMessageBatch(POLLS, [
        { id: "doomed", timestamp: new Date(), attempts: attempt, body: pollMessage("lease_dead", [await taskKey(task!.id)]) },
      ]);
      await expect(runQueueHandler(batch, D1_DOWN)).rejects.toThrow(/D1 is down/);
    }
    clock.advance(LEASE - 1_000);
    expect((await tick(clock)).claimed).toBe(0);
    clock.advance(2_000);
    expect(await tick(clock)).toMatchObject({ claimed: 1, polled: 1, delivered: 1 });
    expect(await task!.polls()).toBe(1);
    expect(await hook.deliveries()).toHaveLength(1);
  });

  it("spends only its own subrequest budget, 6 requests in flight, and hands the rest back due at once", async () => {
    const hook = await receiver();
    const group = unique("consumer");
    const tasks = await registered(20, hook.url, { group, latencyMs: 40 });
    const now = Date.now();
    const ids = (await claimTasks("lease_q", now)).map((t) => t.key);
    const batch = batchOf(POLLS, [pollMessage("lease_q", ids.slice(0, 10)), pollMessage("lease_q", ids.slice(10))]);
    const ctx = createExecutionContext();
    const report = await consumeBatch(batch, { ...env, SUBREQUEST_BUDGET: "14" });
    expect((await getQueueResult(batch, ctx)).explicitAcks).toHaveLength(2);
    expect(report).toMatchObject({ polled: 14, released: 6, subrequestsLeft: 0 });
    expect(await maxInFlight(group)).toBeLessThanOrEqual(6);
    expect((await Promise.all(tasks.map((t) => t.polls()))).reduce((a, b) => a + b)).toBe(14);
    const released = await env.DB.prepare("SELECT count(*) AS n FROM tasks WHERE lease_token IS NULL AND next_poll_at <= ?")
      .bind(Date.now())
      .first<{ n: number }>();
    expect(released!.n).toBe(6);
  });

  it("does not start work whose lease is nearly over, and releases it for the tick to claim again", async () => {
    const hook = await receiver();
    const [task] = await registered(1, hook.url);
    await claimTasks("lease_short", Date.now(), 20_000);
    const batch = batchOf(POLLS, [pollMessage("lease_short", [await taskKey(task!.id)])]);
    const ctx = createExecutionContext();
    const report = await consumeBatch(batch, env);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toHaveLength(1);
    expect(report).toMatchObject({ polled: 0, released: 1 });
    expect(await task!.polls()).toBe(0);
    expect(await leases("tasks")).toBe(0);
  });

  it("hands polls back, unpolled, when no upstream key is set", async () => {
    const hook = await receiver();
    const [task] = await registered(1, hook.url);
    const now = Date.now();
    await claimTasks("lease_q", now);
    const batch = batchOf(POLLS, [pollMessage("lease_q", [await taskKey(task!.id)])]);
    const ctx = createExecutionContext();
    const report = await consumeBatch(batch, { ...env, COMETAPI_KEY: "", KLING_API_KEY: "" });
    expect((await getQueueResult(batch, ctx)).explicitAcks).toHaveLength(1);
    expect(report).toMatchObject({ polled: 0, released: 1 });
    const row = await env.DB.prepare("SELECT lease_token, next_poll_at FROM tasks WHERE task_id = ?")
      .bind(task!.id)
      .first<{ next_poll_at: number }>();
    expect(row!.next_poll_at).toBeGreaterThanOrEqual(now + 60_000);
  });

  it("finds the claimed rows through primary keys: the loaders scan no table", async () => {
    const hook = await receiver();
    await registered(2, hook.url);
    const log: string[] = [];
    const DB = new Proxy(env.DB, {
      get: (target, prop) =>
        prop === "prepare"
          ? (sql: string) => {
              log.push(sql);
              return target.prepare(sql);
            }
          : (Reflect.get(target, prop)?.bind?.(target) ?? Reflect.get(target, prop)),
    });
    const ids = (await claimTasks("lease_q", Date.now())).map((t) => t.key);
    await consumeBatch(batchOf(POLLS, [pollMessage("lease_q", ids)]), { ...env, DB });
    const messageIds = await claimDueMessageIds(openDb(env.DB), {
      now: Date.now(),
      limit: 10,
      leaseToken: leaseToken("lease_d"),
      leaseMs: LEASE,
    });
    await consumeBatch(batchOf(DELIVERIES, [{ kind: "deliver", leaseToken: leaseToken("lease_d"), ids: messageIds }]), { ...env, DB });
    const loaders = log.filter((sql) => sql.includes("json_each(?) p JOIN"));
    expect(loaders).toHaveLength(2);
    for (const sql of loaders) {
      const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind("[]").all<{ detail: string }>();
      const details = plan.results.map((r) => r.detail);
      // Only the JSON list of (id, lease) pairs is walked; every table row is a key lookup.
      expect(
        details.filter((d) => d.startsWith("SCAN") && !d.includes("VIRTUAL TABLE")),
        sql,
      ).toEqual([]);
      expect(
        details.some((d) => d.startsWith("SEARCH")),
        sql,
      ).toBe(true);
    }
  });
});
