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
      only: "single",
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
      only: "single",
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
      only: "single",
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
    await recordPolls(db, [{ taskKey: key, update: outdated, pushed: false }], leaseToken("lease_stale"), clock.now());
    const stored = await env.DB.prepare("SELECT task_status, next_poll_at FROM tasks WHERE task_id = ?").bind(task.id).first();
    expect(stored).toEqual({ task_status: "succeed", next_poll_at: null });
    expect(await hook.deliveries()).toHaveLength(1);
  });

  it("polls each task once when two ticks overlap: each sees the other polling, and leases what it polls", async () => {
    const hook = await receiver();
    const tasks = [];
    for (let i = 0; i < 14; i++) {
      tasks.push(await upstreamTask([{ status: "succeed" }], { latencyMs: 40 }));
      await register({ task_id: tasks[i]!.id, callback_url: hook.url });
    }
    const clock = manualClock();
    const [a, b] = await Promise.all([tick(clock), tick(clock)]);
    expect(a.polled + b.polled).toBe(14);
    expect(await Promise.all(tasks.map((t) => t.polls()))).toEqual(tasks.map(() => 1));
    expect(await hook.deliveries()).toHaveLength(14);
    expect(new Set((await hook.deliveries()).map((d) => d.headers["webhook-id"])).size).toBe(14);
    // Both said they poll, and both said they stopped.
    expect((await env.DB.prepare("SELECT count(*) AS n FROM polling_ticks").first<{ n: number }>())?.n).toBe(0);
  });

  it("writes 2 rows a same-status poll polling alone, 4 while another tick polls (its lease)", async () => {
    const tasks = [];
    const hook = await receiver();
    for (let i = 0; i < 10; i++) {
      tasks.push(await upstreamTask([{ status: "processing" }]));
      await register({ task_id: tasks[i]!.id, callback_url: hook.url });
    }
    const clock = manualClock();
    await tick(clock);
    const again = () => env.DB.prepare("UPDATE tasks SET next_poll_at = ?").bind(clock.now()).run();
    await again();
    const alone = await tick(clock);
    await again();
    await env.DB.prepare("INSERT INTO polling_ticks (token, until) VALUES ('lease_other', ?)")
      .bind(clock.now() + 60_000)
      .run();
    const beside = await tick(clock);
    expect([alone.polled, beside.polled]).toEqual([10, 10]);
    // The claim's lease: the task and its due entry, on each of the 10 polls.
    expect(beside.d1.rowsWritten - alone.d1.rowsWritten).toBe(2 * 10);
    expect(await Promise.all(tasks.map((t) => t.polls()))).toEqual(tasks.map(() => 3));
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
      only: "single",
      from: dueCursor(),
    });
    expect(selected?.taskId).toBe(task.id);
    const row = await env.DB.prepare("SELECT lease_token, next_poll_at FROM tasks WHERE task_id = ?").bind(task.id).first();
    expect(row).toEqual({ lease_token: null, next_poll_at: selected!.seenDue });

    expect(await tick(clock)).toMatchObject({ claimed: 1, polled: 1, delivered: 1 });
    expect(await task.polls()).toBe(1);
  });
});
