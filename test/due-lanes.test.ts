/**
 * The due tasks are in two indexes, one a lane (src/storage/due-lanes.ts): Kling's new API
 * (polled many a request) and every other task. A walk of one lane reads only its own; whatever
 * reads both (the next due time, the dashboard, unparking) sees both. A dispatching tick's lanes
 * taking turns: test/queue-dispatch.test.ts.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { newLeaseToken } from "../src/domain/ids";
import { PARKED_FROM } from "../src/domain/parked-time";
import { claimDueTasks, dueCursor, selectDueTasks } from "../src/storage/claim-tasks";
import { loadDashboardCounts } from "../src/storage/dashboard-counts";
import { openDb, runBatch } from "../src/storage/db";
import { listTasks } from "../src/storage/list-tasks";
import { emptyUsage, meteredD1 } from "../src/storage/metered-d1";
import { nextDueAt } from "../src/storage/next-due";
import { unparkStatements } from "../src/storage/parking";
import { resetDb } from "./support/relay";

const NOW = 1_000_000;
const pollable = { providers: ["cometapi", "kling"], newApi: true };

/** `count` due tasks of one lane, `${prefix}0..`, due at `due(i)`: Kling's new API (`batch`) or CometAPI videos (`single`). */
async function seed(lane: "batch" | "single", prefix: string, count: number, due: (i: number) => number): Promise<void> {
  const [provider, action, action2] = lane === "batch" ? ["kling", "", "text2video"] : ["cometapi", "videos", "text2video"];
  await env.DB.batch(
    Array.from({ length: count }, (_, i) =>
      env.DB.prepare(
        `INSERT INTO tasks (id, tenant_id, provider, task_id, action, action2, task_status, next_poll_at, created_at, updated_at)
         VALUES (?, 'default', ?, ?, ?, ?, 'processing', ?, ?, 0)`,
      ).bind(`tsk_${prefix}${i}`, provider, `${prefix}${i}`, action, action2, due(i), i),
    ),
  );
}

describe("due lanes", () => {
  beforeEach(resetDb);

  it("walks one lane reading only its own tasks: a batch walk past 60 due tasks of the other lane reads none of them", async () => {
    await seed("single", "single-", 60, (i) => NOW - 100 + i);
    await seed("batch", "batch-", 3, (i) => NOW - 10 + i);
    const usage = emptyUsage();
    const db = openDb(meteredD1(env.DB, usage));
    const batch = await selectDueTasks(db, { now: NOW, limit: 50, pollable, only: "batch", from: dueCursor() });
    expect(batch.map((t) => t.key)).toEqual(["tsk_batch-0", "tsk_batch-1", "tsk_batch-2"]);
    // Its own 3, the live tenants and the providers' list once; with one index for both lanes it read all 63.
    expect(usage.rowsRead).toBeLessThanOrEqual(3 + 3);

    const single = await selectDueTasks(db, { now: NOW, limit: 100, pollable, only: "single", from: dueCursor() });
    expect(single).toHaveLength(60);
    expect(single.every((t) => t.key.startsWith("tsk_single-"))).toBe(true);
  });

  it("claims one lane at a time, in due order within it", async () => {
    await seed("single", "single-", 3, (i) => NOW - 100 + 20 * i); // -100, -80, -60
    await seed("batch", "batch-", 3, (i) => NOW - 90 + 20 * i); // -90, -70, -50
    const db = openDb(env.DB);
    const leaseToken = newLeaseToken();
    const claim = (only: "batch" | "single", limit: number) =>
      claimDueTasks(db, { now: NOW, limit, leaseToken, leaseMs: 60_000, pollable, only });
    expect((await claim("batch", 2)).map((t) => t.key)).toEqual(["tsk_batch-0", "tsk_batch-1"]);
    expect((await claim("single", 5)).map((t) => t.key)).toEqual(["tsk_single-0", "tsk_single-1", "tsk_single-2"]);
    const leased = await env.DB.prepare("SELECT count(*) AS n FROM tasks WHERE lease_token = ?").bind(leaseToken).first<{ n: number }>();
    expect(leased?.n).toBe(5);
  });

  it("finds the next due time in either lane", async () => {
    const db = openDb(env.DB);
    await seed("single", "single-", 1, () => NOW + 500);
    expect(await nextDueAt(db, { tasks: pollable, messages: false })).toBe(NOW + 500);
    await seed("batch", "batch-", 1, () => NOW + 200);
    expect(await nextDueAt(db, { tasks: pollable, messages: false })).toBe(NOW + 200);
    // The operator without Kling's new-API key, and no tenant's own account: that lane is not pollable.
    expect(await nextDueAt(db, { tasks: { providers: ["cometapi", "kling"], newApi: false }, messages: false })).toBe(NOW + 500);
  });

  it("lists polling tasks of both lanes next due first, page after page, and counts both", async () => {
    await seed("single", "single-", 3, (i) => NOW + 2 * i); // +0, +2, +4
    await seed("batch", "batch-", 3, (i) => NOW + 2 * i + 1); // +1, +3, +5
    const db = openDb(env.DB);
    const seen: string[] = [];
    let after: { key: number; rowid: number } | undefined;
    for (let page = 0; page < 4; page++) {
      const got = await listTasks(db, { state: "polling", limit: 2, after });
      seen.push(...got.rows.map((r) => r.taskId));
      if (got.next === null) break;
      after = got.next;
    }
    expect(seen).toEqual(["single-0", "batch-0", "single-1", "batch-1", "single-2", "batch-2"]);
    expect((await loadDashboardCounts(db)).tasksPolling).toBe(6);
    expect((await loadDashboardCounts(db, "default")).tasksPolling).toBe(6);
  });

  it("unparks a resumed tenant's parked tasks of both lanes", async () => {
    const created = await env.DB.prepare("SELECT created_at AS c FROM tenants WHERE id = 'default'").first<{ c: number }>();
    const parked = PARKED_FROM + (created?.c ?? 0);
    await seed("single", "single-", 2, () => parked);
    await seed("batch", "batch-", 2, () => parked);
    const db = openDb(env.DB);
    await runBatch(db, unparkStatements(db, NOW));
    const due = await env.DB.prepare("SELECT count(*) AS n FROM tasks WHERE next_poll_at = ?").bind(NOW).first<{ n: number }>();
    expect(due?.n).toBe(4);
  });
});
