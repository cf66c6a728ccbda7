/** The metered D1 wrapper answers exactly what D1 answers, and counts what it cost. */
import { env } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { openDb } from "../src/storage/db";
import { emptyUsage, meteredD1 } from "../src/storage/metered-d1";
import { subscriptions, tasks } from "../src/storage/schema";
import { lingeringClock, receiver, register, resetDb, tick, upstreamTask } from "./support/relay";

async function seed() {
  const now = Date.now();
  await env.DB.batch([
    env.DB.prepare(
      "INSERT INTO tasks (id, tenant_id, task_id, action, action2, created_at, updated_at) VALUES ('tsk_1', 'default', 't-1', 'videos', 'text2video', ?1, ?1)",
    ).bind(now),
    env.DB.prepare(
      "INSERT INTO subscriptions (id, tenant_id, task_key, endpoint_id, callback_url, events, status, created_at, updated_at) VALUES ('s-1', 'default', 'tsk_1', 'ep_1', 'https://a.example.com/h', '[]', 'active', ?1, ?1)",
    ).bind(now + 1),
  ]);
  return now;
}

describe("meteredD1", () => {
  beforeEach(resetDb);

  it("gives a join with same-named columns every column, as D1 itself does", async () => {
    const now = await seed();
    const join = (db: ReturnType<typeof openDb>) =>
      db
        .select({
          taskId: tasks.taskId,
          subscriptionTaskKey: subscriptions.taskKey,
          taskCreated: tasks.createdAt,
          subscriptionCreated: subscriptions.createdAt,
        })
        .from(tasks)
        .innerJoin(subscriptions, eq(subscriptions.taskKey, tasks.id));
    const usage = emptyUsage();
    const plain = await join(openDb(env.DB));
    const metered = await join(openDb(meteredD1(env.DB, usage)));
    expect(plain).toEqual([{ taskId: "t-1", subscriptionTaskKey: "tsk_1", taskCreated: now, subscriptionCreated: now + 1 }]);
    expect(metered).toEqual(plain);
    expect(usage.queries).toBe(1);
  });

  it("counts rows read and written where D1 reports them, and the round trips where it does not", async () => {
    await seed();
    const usage = emptyUsage();
    const db = openDb(meteredD1(env.DB, usage));
    await db.update(tasks).set({ polls: 1 }).where(eq(tasks.taskId, "t-1"));
    await db.all(sql`SELECT task_id FROM tasks`);
    expect(usage).toMatchObject({ queries: 2, unmetered: 0 });
    expect(usage.rowsWritten).toBeGreaterThan(0);
    expect(usage.rowsRead).toBeGreaterThan(0);
    await db.select().from(tasks);
    expect(usage).toMatchObject({ queries: 3, unmetered: 1 });
  });

  it("leaves no statement of a tick unmetered, so its D1 figures are complete", async () => {
    const task = await upstreamTask([{ status: "processing" }, { status: "succeed" }]);
    await register({ task_id: task.id, callback_url: (await receiver()).url });
    const report = await tick(lingeringClock());
    expect(report.messagesCreated).toBe(1);
    expect(report.d1.queries).toBeGreaterThan(5);
    expect(report.d1.unmetered).toBe(0);
  });
});
