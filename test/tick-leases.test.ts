import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { leaseToken, taskKey } from "../src/domain/ids";
import { planNextPoll } from "../src/domain/poll-plan";
import { claimDueTasks, dueCursor, selectDueTasks } from "../src/storage/claim-tasks";
import { openDb } from "../src/storage/db";
import { recordPolls } from "../src/storage/record-polls";
import { api, manualClock, receiver, register, resetDb, tick, upstreamTask } from "./support/relay";

const policy = { pollMinIntervalMs: 10_000, pollMaxIntervalMs: 60_000, maxTaskAgeMs: 86_400_000, pushSafetyPollMs: 300_000 };

describe("leases", () => {
  beforeEach(resetDb);

  it("loses nothing when a tick dies after claiming: the work is claimed again once the lease ends", async () => {
    const task = await upstreamTask([{ status: "succeed" }]);
    const hook = await receiver();
    await register({ task_id: task.id, callback_url: hook.url });
    const clock = manualClock();
    // A tick that claims, then dies before polling or recording anything.
    const [claimed] = await claimDueTasks(openDb(env.DB), {
      now: clock.now(),
      limit: 10,
      leaseToken: leaseToken("lease_dead"),
      leaseMs: 120_000,
      pollable: { providers: ["cometapi"], newApi: false },
    });
    expect(claimed?.taskId).toBe(task.id);

    expect((await tick(clock)).claimed).toBe(0);
    clock.advance(119_000);
    expect((await tick(clock)).claimed).toBe(0);
    clock.advance(2_000);
    const report = await tick(clock);
    expect(report).toMatchObject({ claimed: 1, polled: 1, delivered: 1 });
    expect(await task.polls()).toBe(1);
  });

  it("leaves no lease behind when a claimed task is settled: its last subscription cancelled while the tick that claimed it died", async () => {
    const task = await upstreamTask([{ status: "processing" }]);
    const hook = await receiver();
    const sub = await register({ task_id: task.id, callback_url: hook.url });
    const [claimed] = await claimDueTasks(openDb(env.DB), {
      now: Date.now(),
      limit: 1,
      leaseToken: leaseToken("lease_dead"),
      leaseMs: 120_000,
      pollable: { providers: ["cometapi"], newApi: false },
    });
    expect(claimed?.taskId).toBe(task.id);
    expect((await api(`/v1/subscriptions/${sub.body.id}`, { method: "DELETE" })).status).toBe(204);
    // Settled: never due again, so a lease kept here would be held forever.
    const row = await env.DB.prepare("SELECT next_poll_at, lease_token, settled_at FROM tasks WHERE task_id = ?").bind(task.id).first();
    expect(row).toMatchObject({ next_poll_at: null, lease_token: null });
    expect(row!.settled_at).not.toBeNull();
  });

  it("never lets a stale tick overwrite the result of the tick that holds the lease", async () => {
    const task = await upstreamTask([{ status: "succeed" }]);
    const hook = await receiver();
    await register({ task_id: task.id, callback_url: hook.url });
    const db = openDb(env.DB);
    const clock = manualClock();
    const [stale] = await claimDueTasks(db, {
      now: clock.now(),
      limit: 1,
      leaseToken: leaseToken("lease_stale"),
      leaseMs: 1_000,
      pollable: { providers: ["cometapi"], newApi: false },
    });
    clock.advance(2_000);
    await tick(clock);
    // The stale tick wakes up and records an older view of the task.
    const outdated = planNextPoll(
      stale!,
      { kind: "status", status: "processing", data: '{"task_status":"processing"}', createdAt: null, updatedAt: null },
      clock.now(),
      policy,
      { opensAtMs: 0, closesAtMs: 160_000, stepMs: 10_000 },
      () => 0.5,
    );
    const key = taskKey((await env.DB.prepare("SELECT id FROM tasks WHERE task_id = ?").bind(task.id).first<{ id: string }>())!.id);
    await recordPolls(db, [{ taskKey: key, update: outdated }], leaseToken("lease_stale"), clock.now());
    const stored = await env.DB.prepare("SELECT task_status, next_poll_at FROM tasks WHERE task_id = ?").bind(task.id).first();
    expect(stored).toEqual({ task_status: "succeed", next_poll_at: null });
    expect(await hook.deliveries()).toHaveLength(1);
  });

  it("sends each webhook once when two ticks overlap: both may poll a task, the first record wins", async () => {
    const hook = await receiver();
    const tasks = [];
    for (let i = 0; i < 14; i++) {
      tasks.push(await upstreamTask([{ status: "succeed" }], { latencyMs: 40 }));
      await register({ task_id: tasks[i]!.id, callback_url: hook.url });
    }
    const clock = manualClock();
    const [a, b] = await Promise.all([tick(clock), tick(clock)]);
    // A tick's polls hold no lease (tick/poll-phase.ts): each task is polled by one tick or by both.
    const polls = await Promise.all(tasks.map((t) => t.polls()));
    expect(polls.every((n) => n === 1 || n === 2)).toBe(true);
    expect(a.polled + b.polled).toBe(polls.reduce((x, y) => x + y, 0));
    // Its event is written by one record only: one message, one webhook.
    const messages = await env.DB.prepare("SELECT count(*) AS n FROM messages").first<{ n: number }>();
    expect(messages?.n).toBe(14);
    expect(a.messagesCreated + b.messagesCreated).toBe(14);
    expect(await hook.deliveries()).toHaveLength(14);
    expect(new Set((await hook.deliveries()).map((d) => d.headers["webhook-id"])).size).toBe(14);
  });

  it("leaves nothing to wait for when a tick dies after selecting: the next tick polls at once", async () => {
    const task = await upstreamTask([{ status: "succeed" }]);
    const hook = await receiver();
    await register({ task_id: task.id, callback_url: hook.url });
    const clock = manualClock();
    // A tick that selects, then dies before polling or recording anything: nothing was written.
    const [selected] = await selectDueTasks(openDb(env.DB), {
      now: clock.now(),
      limit: 10,
      pollable: { providers: ["cometapi"], newApi: false },
      from: dueCursor(),
    });
    expect(selected?.taskId).toBe(task.id);
    const row = await env.DB.prepare("SELECT lease_token, next_poll_at FROM tasks WHERE task_id = ?").bind(task.id).first();
    expect(row).toEqual({ lease_token: null, next_poll_at: selected!.seenDue });

    expect(await tick(clock)).toMatchObject({ claimed: 1, polled: 1, delivered: 1 });
    expect(await task.polls()).toBe(1);
  });
});
