import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { type LeaseToken, newLeaseToken } from "../src/domain/ids";
import type { TaskUpdate } from "../src/domain/poll-plan";
import { claimDueTasks, dueCursor, selectDueTasks } from "../src/storage/claim-tasks";
import { type Db, openDb } from "../src/storage/db";
import { emptyUsage, meteredD1 } from "../src/storage/metered-d1";
import { recordPolls, SELECTED } from "../src/storage/record-polls";
import { resetDb } from "./support/relay";
import { taskUpdate } from "./support/task-update";

const N = 20;
const NOW = 1_000_000;

/** `n` due tasks, each with one active subscription to `task.succeeded` on one endpoint. */
async function seed(n = N): Promise<void> {
  await env.DB.batch([
    env.DB.prepare(
      "INSERT INTO endpoints (id, tenant_id, url, secret, created_at, updated_at) VALUES ('ep_poll_cost', 'default', 'https://example.com/hook', 'whsec_x', 0, 0)",
    ),
    ...Array.from({ length: n }, (_, i) =>
      env.DB.prepare(
        `INSERT INTO tasks (id, tenant_id, provider, task_id, action, action2, task_status, next_poll_at, created_at, updated_at)
         VALUES (?, 'default', 'cometapi', ?, 'videos', 'text2video', 'processing', ?, 0, 0)`,
      ).bind(`tsk_poll_cost_${i}`, `poll-cost-${i}`, NOW - n + i),
    ),
    ...Array.from({ length: n }, (_, i) =>
      env.DB.prepare(
        `INSERT INTO subscriptions (id, tenant_id, task_key, endpoint_id, callback_url, events, status, created_at, updated_at)
         VALUES (?, 'default', ?, 'ep_poll_cost', 'https://example.com/hook', '["task.succeeded"]', 'active', 0, 0)`,
      ).bind(`sub_poll_cost_${i}`, `tsk_poll_cost_${i}`),
    ),
  ]);
}

/** Claims up to `limit` of the seeded tasks under `leaseToken`, as a queue consumer's tick or a callback does. */
const claimDue = (db: Db, leaseToken: LeaseToken, limit: number) =>
  claimDueTasks(db, { now: NOW, limit, leaseToken, leaseMs: 60_000, pollable: { providers: ["cometapi"], newApi: false }, only: "single" });

const update = (over: Partial<TaskUpdate>): TaskUpdate => taskUpdate(NOW, over);

/**
 * What a poll costs in D1's rows written (what D1 bills most for: about a thousand rows read for
 * one written), counted, not timed: the claim and the record of N tasks. D1 counts a row written
 * for the row and one for each index entry inserted (an entry deleted costs nothing), and SQLite
 * rewrites the entry of every index whose columns an UPDATE's SET names, changed or not.
 */
describe("rows written per poll", () => {
  beforeEach(resetDb);

  it("a tick's poll that finds the same status again writes 2 rows: its record's, none to select it", async () => {
    await seed();
    const usage = emptyUsage();
    const db = openDb(meteredD1(env.DB, usage));
    const selected = await selectDueTasks(db, {
      now: NOW,
      limit: N,
      pollable: { providers: ["cometapi"], newApi: false },
      only: "single",
      from: dueCursor(),
    });
    expect(selected).toHaveLength(N);
    expect(usage.rowsWritten).toBe(0);
    // Each due entry, and the live tenants once; no lease to write.
    expect(usage.rowsRead).toBeLessThanOrEqual(N + 2);

    const before = { ...usage };
    await recordPolls(
      db,
      selected.map((t) => ({ taskKey: t.key, update: update({}), seenDue: t.seenDue, pushed: false })),
      SELECTED,
      NOW,
    );
    // The task row and its due entry at the next poll; plus the hour's poll count, once per batch.
    expect(usage.rowsWritten - before.rowsWritten).toBe(2 * N + 1);
    // The task by key, and its key in the statement's `IN` list (2 a task; a batched
    // `UPDATE ... FROM json_each` read 4).
    expect(usage.rowsRead - before.rowsRead).toBeLessThanOrEqual(2 * N + 1);
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM tasks WHERE next_poll_at = ? AND polls = 2")
      .bind(NOW + 30_000)
      .first<{ n: number }>();
    expect(rows?.n).toBe(N);
  });

  it("records a round larger than one statement's keys (a queue consumer's 900 tasks) in full, at the same cost a task", async () => {
    const n = 200;
    await seed(n);
    const usage = emptyUsage();
    const db = openDb(meteredD1(env.DB, usage));
    const leaseToken = newLeaseToken();
    const claimed = await claimDue(db, leaseToken, n);
    expect(claimed).toHaveLength(n);
    const before = { ...usage };
    await recordPolls(
      db,
      claimed.map((t) => ({ taskKey: t.key, update: update({ polls: 10 + Number(t.key.slice("tsk_poll_cost_".length)) }), pushed: false })),
      leaseToken,
      NOW,
    );
    expect(usage.rowsWritten - before.rowsWritten).toBe(2 * n + 1);
    expect(usage.rowsRead - before.rowsRead).toBeLessThanOrEqual(2 * n + 1);
    // Each task got its own facts, whichever statement named it.
    const rows = await env.DB.prepare(
      "SELECT count(*) AS n FROM tasks WHERE lease_token IS NULL AND next_poll_at = ? AND polls = 10 + CAST(substr(task_id, 11) AS INTEGER)",
    )
      .bind(NOW + 30_000)
      .first<{ n: number }>();
    expect(rows?.n).toBe(n);
  });

  it("drops a tick's record of a task that was taken meanwhile: its due time moved", async () => {
    await seed();
    const db = openDb(env.DB);
    const selected = await selectDueTasks(db, {
      now: NOW,
      limit: N,
      pollable: { providers: ["cometapi"], newApi: false },
      only: "single",
      from: dueCursor(),
    });
    // Half of them leased by someone else (a callback's claim, an older Worker's tick), one paused
    // by its last subscription's cancellation, in between.
    const leaseToken = newLeaseToken();
    await claimDue(db, leaseToken, N / 2);
    await env.DB.prepare("UPDATE tasks SET next_poll_at = NULL WHERE id = ?")
      .bind(`tsk_poll_cost_${N - 1}`)
      .run();

    const finished = update({ taskStatus: "succeed", data: '{"task_status":"succeed"}', nextPollAt: null, event: "task.succeeded" });
    const created = await recordPolls(
      db,
      selected.map((t) => ({ taskKey: t.key, update: finished, seenDue: t.seenDue, pushed: false })),
      SELECTED,
      NOW,
    );
    // Only the tasks nobody touched: their one webhook each, and the others' state as it was.
    expect(created.messagesCreated).toBe(N / 2 - 1);
    const states = await env.DB.prepare(
      "SELECT sum(task_status = 'succeed') AS done, sum(lease_token = ?) AS leased, sum(next_poll_at IS NULL AND task_status = 'processing') AS paused FROM tasks",
    )
      .bind(leaseToken)
      .first();
    expect(states).toEqual({ done: N / 2 - 1, leased: N / 2, paused: 1 });
  });

  it("a leased poll (a queue consumer's, a callback's) that finds the same status again writes 4 rows: the claim 2, the record 2", async () => {
    await seed();
    const usage = emptyUsage();
    const db = openDb(meteredD1(env.DB, usage));
    const leaseToken = newLeaseToken();

    const claimed = await claimDue(db, leaseToken, N);
    expect(claimed).toHaveLength(N);
    // The task row, and its due entry at the lease's end.
    expect(usage.rowsWritten).toBe(2 * N);

    const recorded = { ...usage };
    await recordPolls(
      db,
      claimed.map((t) => ({ taskKey: t.key, update: update({}), pushed: false })),
      leaseToken,
      NOW,
    );
    // The task row and its due entry at the next poll; plus the hour's poll count, once
    // per batch. Was 3 per task while the record named settled_at for every task (its
    // `tasks_tenant_unsettled` entry rewritten).
    expect(usage.rowsWritten - recorded.rowsWritten).toBeLessThanOrEqual(2 * N + 1);
    const rows = await env.DB.prepare(
      "SELECT count(*) AS n FROM tasks WHERE next_poll_at = ? AND lease_token IS NULL AND settled_at IS NULL",
    )
      .bind(NOW + 30_000)
      .first<{ n: number }>();
    expect(rows?.n).toBe(N);
  });

  it("a poll that sees the task finish writes its row, its settled entry and its webhook message", async () => {
    await seed();
    const leaseToken = newLeaseToken();
    const claimed = await claimDue(openDb(env.DB), leaseToken, N);
    const usage = emptyUsage();
    const db = openDb(meteredD1(env.DB, usage));

    const created = await recordPolls(
      db,
      claimed.map((t) => ({
        taskKey: t.key,
        update: update({ taskStatus: "succeed", data: '{"task_status":"succeed"}', nextPollAt: null, event: "task.succeeded" }),
        pushed: t.pushedAt !== null,
      })),
      leaseToken,
      NOW,
    );

    expect(created.messagesCreated).toBe(N);
    // Per task: its row (1; 2 while `tasks_settled` had an entry of it); its message's row and its
    // five index entries (6); plus the hour's poll count.
    expect(usage.rowsWritten).toBeLessThanOrEqual(7 * N + 1);
    // Rows read: measured 240 for 20 (382 while the record also looked for finished tasks to stop
    // polling, whose polling it had just stopped; 321 while it checked every subscription of a
    // finished task, though those that asked for its final event had just got their webhook, and
    // read the tasks again for the callbacks' counts, though none of them was pushed).
    expect(usage.rowsRead).toBeLessThanOrEqual(12 * N);
    const finished = await env.DB.prepare(
      "SELECT count(*) AS n FROM tasks WHERE finished_at = ? AND settled_at = ? AND next_poll_at IS NULL AND lease_token IS NULL",
    )
      .bind(NOW, NOW)
      .first<{ n: number }>();
    expect(finished?.n).toBe(N);
  });
});
