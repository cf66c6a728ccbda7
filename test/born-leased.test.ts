/**
 * Webhooks born leased: the tick that records a finished task creates its webhook leased to itself
 * and sends it with no claim (2 rows written and 8 read a message less); a message the claim would
 * not send (a halted tenant's, an open or disabled endpoint's, one held for the archive) is created
 * as before, for the claim to decide; what the tick has no budget left to send is handed back, due
 * at once.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config";
import { newLeaseToken } from "../src/domain/ids";
import { actOnCallback } from "../src/inbound/push-work";
import { openDb } from "../src/storage/db";
import { recordPolls, SELECTED } from "../src/storage/record-polls";
import { deliveryPhase } from "../src/tick/delivery-phase";
import { pollPhase } from "../src/tick/poll-phase";
import { emptyTickReport, type TickContext } from "../src/tick/tick-context";
import { WorkBudget } from "../src/work/work-budget";
import type { Clock } from "../src/work/work-context";
import { type Recorded, recordingD1 } from "./support/recording-d1";
import { api, manualClock, receiver, register, registerFinished, resetDb, tick, upstreamTask } from "./support/relay";
import { taskUpdate } from "./support/task-update";

const NOW = 1_000_000;

/** Tasks `bl_0..n-1` due at NOW, each with one active subscription to `task.succeeded` on endpoint `ep_bl_<i>` of tenant `default`. */
async function seed(n: number): Promise<void> {
  await env.DB.batch(
    Array.from({ length: n }, (_, i) => [
      env.DB.prepare(
        "INSERT INTO endpoints (id, tenant_id, url, secret, created_at, updated_at) VALUES (?, 'default', ?, 'whsec_x', 0, 0)",
      ).bind(`ep_bl_${i}`, `https://example.com/hook/${i}`),
      env.DB.prepare(
        `INSERT INTO tasks (id, tenant_id, provider, task_id, action, action2, task_status, next_poll_at, created_at, updated_at)
         VALUES (?, 'default', 'cometapi', ?, 'videos', 'text2video', 'processing', ?, 0, 0)`,
      ).bind(`tsk_bl_${i}`, `bl-${i}`, NOW),
      env.DB.prepare(
        `INSERT INTO subscriptions (id, tenant_id, task_key, endpoint_id, callback_url, events, status, created_at, updated_at)
         VALUES (?, 'default', ?, ?, ?, '["task.succeeded"]', 'active', 0, 0)`,
      ).bind(`sub_bl_${i}`, `tsk_bl_${i}`, `ep_bl_${i}`, `https://example.com/hook/${i}`),
    ]).flat(),
  );
}

const finished = taskUpdate(NOW, {
  taskStatus: "succeed",
  data: '{"task_status":"succeed"}',
  nextPollAt: null,
  event: "task.succeeded",
});

const messageOf = (i: number) =>
  env.DB.prepare("SELECT id, state, lease_token, next_attempt_at FROM messages WHERE subscription_id = ?")
    .bind(`sub_bl_${i}`)
    .first<{ id: string; state: string; lease_token: string | null; next_attempt_at: number | null }>();

describe("webhooks born leased", () => {
  beforeEach(resetDb);

  it("are created leased to the record's caller only where the claim would send them", async () => {
    await seed(5);
    // 1: its tenant suspended; 2: its endpoint's circuit open; 3: its endpoint disabled; 4: its files being archived.
    await env.DB.batch([
      env.DB.prepare("INSERT INTO tenants (id, name, suspended_at, created_at, updated_at) VALUES ('tn_bl_halted', 'halted', 1, 0, 0)"),
      env.DB.prepare("UPDATE endpoints SET tenant_id = 'tn_bl_halted' WHERE id = 'ep_bl_1'"),
      env.DB.prepare("UPDATE subscriptions SET tenant_id = 'tn_bl_halted' WHERE id = 'sub_bl_1'"),
      env.DB.prepare("UPDATE tasks SET tenant_id = 'tn_bl_halted' WHERE id = 'tsk_bl_1'"),
      env.DB.prepare("UPDATE endpoints SET circuit_opened_at = 1, next_probe_at = ? WHERE id = 'ep_bl_2'").bind(NOW + 60_000),
      env.DB.prepare("UPDATE endpoints SET disabled_at = 1 WHERE id = 'ep_bl_3'"),
      env.DB.prepare("UPDATE tasks SET archive = 'copying' WHERE id = 'tsk_bl_4'"),
    ]);
    const token = newLeaseToken();
    const recorded = await recordPolls(
      openDb(env.DB),
      Array.from({ length: 5 }, (_, i) => ({ taskKey: `tsk_bl_${i}` as never, update: finished, seenDue: NOW, pushed: false })),
      SELECTED,
      NOW,
      [],
      { token, until: NOW + 90_000 },
    );
    expect(recorded.messagesCreated).toBe(5);
    const first = await messageOf(0);
    expect(recorded.born).toEqual([first!.id]);
    expect(first).toMatchObject({ state: "leased", lease_token: token, next_attempt_at: NOW + 90_000 });
    for (const i of [1, 2, 3]) expect(await messageOf(i)).toMatchObject({ state: "scheduled", lease_token: null, next_attempt_at: NOW });
    expect(await messageOf(4)).toMatchObject({ state: "held", lease_token: null, next_attempt_at: null });
  });

  it("are not created without a lease asked for: a queue consumer's record leaves them due for the claim", async () => {
    await seed(1);
    const recorded = await recordPolls(
      openDb(env.DB),
      [{ taskKey: "tsk_bl_0" as never, update: finished, seenDue: NOW, pushed: false }],
      SELECTED,
      NOW,
    );
    expect(recorded).toEqual({ messagesCreated: 1, born: [] });
    expect(await messageOf(0)).toMatchObject({ state: "scheduled", lease_token: null, next_attempt_at: NOW });
  });

  it("let a tick send a finished task's webhook with no claim: 2 rows written a task less", async () => {
    const n = 20;
    const hook = await receiver();
    for (let i = 0; i < n; i++) {
      const task = await upstreamTask([{ status: "succeed" }]);
      expect((await register({ task_id: task.id, callback_url: hook.url })).status).toBe(201);
    }
    const report = await tick(manualClock());
    expect(report).toMatchObject({ polled: n, delivered: n });
    expect(await hook.deliveries()).toHaveLength(n);
    // Per task: its record 1, its message 6, the message's record 1 (which keeps the attempt: a
    // logged one would add 3), the subscription's `delivered` 1; the tick's own rows (its polling
    // row, the hour's counts, the attempt counter) add a few tenths. A claim of each message would add 2.
    expect(report.d1.rowsWritten / n).toBeGreaterThanOrEqual(9);
    expect(report.d1.rowsWritten / n).toBeLessThan(10);
    const left = await env.DB.prepare("SELECT count(*) AS n FROM messages WHERE state <> 'delivered' OR lease_token IS NOT NULL").first();
    expect(left).toEqual({ n: 0 });
  });

  it("that the tick has no subrequest left to send are handed back, due at once, and the next tick sends them", async () => {
    const hook = await receiver();
    await registerFinished(4, hook.url);
    const clock = manualClock();
    // 5 subrequests: a fifth kept for webhooks, so 4 polls and 1 webhook.
    const first = await tick(clock, { SUBREQUEST_BUDGET: "5" });
    expect(first).toMatchObject({ polled: 4, delivered: 1 });
    const open = await env.DB.prepare(
      "SELECT state, lease_token, next_attempt_at FROM messages WHERE state <> 'delivered' ORDER BY id",
    ).all<Record<string, unknown>>();
    expect(open.results).toEqual(
      Array.from({ length: 3 }, () => ({ state: "scheduled", lease_token: null, next_attempt_at: clock.now() })),
    );
    const second = await tick(clock);
    expect(second.delivered).toBe(3);
    expect(await hook.deliveries()).toHaveLength(4);
  });

  it("let an upstream callback's work send the webhook its poll produced with no claim", async () => {
    const hook = await receiver();
    const task = await upstreamTask([{ status: "succeed" }]);
    expect((await register({ task_id: task.id, callback_url: hook.url })).status).toBe(201);
    const log: Recorded[] = [];
    const callback = { taskId: task.id, status: "succeed", outcome: { kind: "unknown" } } as never;
    const report = await actOnCallback({ ...env, DB: recordingD1(env.DB, log) }, "cometapi", callback, false);
    expect(report).toMatchObject({ polled: 1, delivered: 1 });
    expect(await hook.deliveries()).toHaveLength(1);
    // The message is created (leased) with the poll's record, and written next by its attempt's
    // record (with the parking of failed ones after it, in the same batch). A claim would come
    // in between.
    const writes = log.map((s) => s.sql.trim()).filter((sql) => /^(WITH f AS|UPDATE messages|INSERT INTO messages)/.test(sql));
    expect(writes[0]).toMatch(/^WITH f AS MATERIALIZED/);
    expect(writes[1]).toMatch(/^UPDATE messages SET\s+status = \?1 ->> /);
  });

  it("that their subscription was cancelled before the tick sent them are not sent", async () => {
    const hook = await receiver();
    const task = await upstreamTask([{ status: "succeed" }]);
    const sub = (await register({ task_id: task.id, callback_url: hook.url })).body;
    const clock = manualClock();
    // The poll phase alone: the webhook is created leased to this tick, not sent yet.
    const ctx = tickContext(clock);
    expect(await pollPhase(ctx, 0)).toBe(1);
    expect(ctx.born).toHaveLength(1);
    expect((await api(`/v1/subscriptions/${sub.id}`, { method: "DELETE" })).status).toBe(204);
    // The cancellation took the lease: the delivery phase loads nothing, and claims nothing.
    expect(await deliveryPhase(ctx)).toBe(0);
    expect(await hook.deliveries()).toHaveLength(0);
    expect(await env.DB.prepare("SELECT state, lease_token FROM messages").first()).toEqual({ state: "cancelled", lease_token: null });
  });

  it("of a tick that died before sending them are sent by a later tick once their lease ends", async () => {
    const hook = await receiver();
    const task = await upstreamTask([{ status: "succeed" }]);
    expect((await register({ task_id: task.id, callback_url: hook.url })).status).toBe(201);
    const clock = manualClock();
    // A tick that polled and recorded, then died: its webhook is leased to it, and nobody sends it.
    const ctx = tickContext(clock);
    expect(await pollPhase(ctx, 0)).toBe(1);
    const [id] = ctx.born!;
    const { next_attempt_at: leaseEnd } = (await env.DB.prepare("SELECT next_attempt_at FROM messages WHERE id = ?")
      .bind(id)
      .first<{ next_attempt_at: number }>())!;
    expect(leaseEnd).toBeGreaterThan(clock.now());
    clock.set(leaseEnd - 1);
    expect((await tick(clock)).delivered).toBe(0);
    expect(await hook.deliveries()).toHaveLength(0);
    clock.set(leaseEnd);
    expect((await tick(clock)).delivered).toBe(1);
    const [delivery] = await hook.deliveries();
    expect(delivery!.headers["webhook-id"]).toBe(id);
  });
});

/** The context a tick that delivers itself gives its phases (as src/tick/run-tick.ts makes it). */
function tickContext(clock: Clock): TickContext {
  const config = loadConfig(env);
  return {
    db: openDb(env.DB),
    config,
    clock,
    budget: new WorkBudget(config.subrequestBudget, clock.now() + config.tickWallBudgetMs),
    report: emptyTickReport(),
    leaseToken: newLeaseToken(),
    claims: { made: 0 },
    born: [],
  };
}
